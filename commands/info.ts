import type { Command } from 'commander';
import type { Zod } from './runtime.js';
import { keyValueTable } from './terminal/render.js';
import { alarmStates } from '../src/stack/alarms.js';
import type { StackInfo } from '../src/stack/info.js';
import type { LocalStackInfo } from '../src/stack/info-local.js';
import type { QueueDepth } from '../src/stack/queue-depth.js';
import type { SendingView } from '../src/stack/sending-state.js';
import { defineAction, type Runtime } from './runtime.js';


const infoOptions = (z: Zod) =>
  z.object({});

  const count = (n: number | undefined) => (n === undefined ? '?' : n.toLocaleString('en-US'));

function sesLine(r: StackInfo): string | undefined {
  const ses = r.ses;
  if (!ses) return undefined;
  const access = ses.productionAccess ? 'production' : 'SANDBOX (verified recipients only, 200 a day, 1 a second)';
  const quota = ses.max24HourSend !== undefined ? `${count(ses.sentLast24Hours)} of ${count(ses.max24HourSend)} sent in the last 24 h` : '';
  const rate = ses.maxSendRate !== undefined ? `max ${ses.maxSendRate}/s` : '';
  const flags = [!ses.sendingEnabled ? 'ACCOUNT SENDING OFF' : '', ses.enforcementStatus && ses.enforcementStatus !== 'HEALTHY' ? ses.enforcementStatus : ''];
  return [access, rate, quota, ...flags].filter(Boolean).join('; ');
}

function identityLine(r: StackInfo): string | undefined {
  const id = r.identity;
  if (!id) return r.problems.some((p) => p.section === 'identity') ? 'unreadable' : undefined;
  if (!id.exists) return `${id.name}: DOES NOT EXIST in SES`;
  const dkim = id.dkimStatus ? `, DKIM ${id.dkimStatus}` : '';
  return `${id.name}: ${id.verifiedForSending ? 'verified' : `NOT VERIFIED (${id.verificationStatus ?? '?'})`}${dkim}`;
}

function sendingLine(s: SendingView | undefined): string | undefined {
  if (!s) return undefined;
  const parts = [
    s.configurationSetSending === undefined ? '' : `configuration set sending ${s.configurationSetSending ? 'on' : 'off'}`,
    s.senderMapping ? `Sender queue mapping ${s.senderMapping}` : '',
  ].filter(Boolean);
  const word = { running: 'running', paused: 'PAUSED', 'partly-paused': 'PARTLY PAUSED', unknown: 'unknown' }[s.state];
  return `${word}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function queueLines(queues: Array<Pick<QueueDepth, 'name' | 'waiting' | 'inFlight'>> | undefined): string | undefined {
  return queues?.map((q) => `${q.name} ${count(q.waiting)} waiting, ${count(q.inFlight)} in flight${q.name.endsWith('dlq') && (q.waiting ?? 0) > 0 ? ' <- failed requests' : ''}`).join('\n') || undefined;
}

/** The stack outputs that are IAM policy documents for an application's role, and what each allows. */
const APP_POLICIES: ReadonlyArray<[string, string]> = [
  ['PublisherPolicy', 'publish requests'],
  ['AttachmentUploadPolicy', 'upload attachments'],
  ['ScheduledSendsPolicy', 'cancel and reschedule scheduled emails with mailengine/client'],
];

function render(r: StackInfo, order: (o: Record<string, string>) => Array<[string, string]>): string {
  const queues = queueLines(r.queues);
  const rows: Array<[string, string | undefined]> = [
    ['stack', `${r.stackName} in ${r.region}: ${r.stack.status}${r.stack.statusReason ? ` (${r.stack.statusReason})` : ''}`],
    ['updated', r.stack.updatedAt ?? r.stack.createdAt],
    ['engine', `${r.version.engine ?? 'unknown'} (this CLI: ${r.version.cli})`],
    ['sending', sendingLine(r.sending)],
    ['auto-pause alarms', r.alarms ? (r.alarms.length > 0 ? alarmStates(r.alarms) : 'none found') : undefined],
    ['SES account', sesLine(r)],
    ['identity', identityLine(r)],
    ['queues', queues],
  ];
  const lines = [keyValueTable(rows)];
  if (r.version.advice) lines.push('', r.version.advice);
  // The IAM policy documents are long JSON: named here, printed whole by --json.
  const outputs = order(r.outputs).filter(([k]) => !APP_POLICIES.some(([name]) => name === k));
  if (outputs.length) lines.push('', 'Outputs', keyValueTable(outputs.map(([k, v]) => [`  ${k}`, v])));
  const policies = APP_POLICIES.filter(([name]) => r.outputs[name]);
  if (policies.length) lines.push('', 'Policies for an app role (see --json, or the stack outputs):', ...policies.map(([name, what]) => `  ${name}: ${what}`));
  return lines.join('\n');
}

function renderLocal(r: LocalStackInfo): string {
  const rows: Array<[string, string | undefined]> = [
    ['stack', `${r.stackName} on the local stack (engine ${r.engineVersion})`],
    ['parts', r.parts.map((p) => `${p.label}: ${p.state}${p.state === 'running' && !p.healthy ? ' (not answering)' : ''} ${p.endpoint}`).join('\n')],
    ['inbox', r.inbox],
    ['sending', sendingLine(r.sending)],
    ['queues', queueLines(r.queues)],
    ...r.tables.map((t): [string, string] => [t.logicalId, `table ${t.name}: ${t.status}, ${count(t.itemCount)} items; indexes ${t.indexes.join(', ') || 'none'}${t.ttlAttribute ? `; TTL ${t.ttlAttribute}` : ''}`]),
    ...r.buckets.map((b): [string, string] => [b.logicalId, `bucket ${b.name}: ${b.exists ? `${count(b.objects)} objects` : 'MISSING'}`]),
  ];
  return [keyValueTable(rows), '', `Not on the local stack: ${r.notAvailable.join('; ')}.`].join('\n');
}

export function registerInfo(program: Command, runtime: Runtime): void {
  program
    .command('info')
    .description('the deployed engine: stack status, versions, outputs, SES account and identity, queue depths, paused or not')
    .action(
      defineAction(runtime, 'info', infoOptions, async (_options, ctx) => {
        const { orderedOutputs } = await import('../src/stack/stack-outputs.js');
        const { info, incomplete } = await (await ctx.target()).info(ctx.io);
        ctx.io.result(info, (r) => (r.target === 'local' ? renderLocal(r) : render(r, orderedOutputs)));
        // A partial read is not a clean exit: the result above shows what could be read.
        if (incomplete) throw incomplete;
      }),
    );
}
