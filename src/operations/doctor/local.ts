import { queueCheck, type QueueFacts } from './queues.js';
import { attempt, check, doctorReport, skipped, type DoctorCheck, type DoctorGroup, type DoctorReport } from './report.js';
import { pausedCheck } from './sending.js';
import { templatesCheck } from './templates.js';
import type { S3Sender } from '../../templates/remote.js';

/** What the local stack tells doctor; the local target gathers it (operations never reach into src/local). */
export interface LocalDoctorFacts {
  stackName: string;
  /** The emulators and the runner, each running and answering or not. */
  parts: Array<{ name: string; label: string; state: string; healthy: boolean; endpoint: string }>;
  /** The names the stack's provisioning recorded, or undefined when it was never provisioned here. */
  provisioned?: { tables: string[]; templatesBucket?: string };
  /** The command that provisions this stack on the local stack and points the runner at it. */
  serveCommand: string;
  /** The engine runner's view, or why it could not be read. */
  runner: { serves: boolean; served: string; paused: boolean; queues: QueueFacts[] } | { error: string };
  /** The templates bucket as the Sender reads it. */
  s3?: S3Sender;
}

export const NOT_APPLICABLE = 'Not applicable on the local stack';

/** What the local stack does not have, and so is not checked; the ids are those of the AWS checks. */
const NOT_LOCAL: Array<[string, DoctorGroup, string]> = [
  ['region', 'access', 'the local stack needs no AWS region'],
  ['credentials', 'access', 'the local stack takes fixed local credentials'],
  ['ses-sandbox', 'ses', 'the SES emulator has no sandbox'],
  ['ses-sending', 'ses', 'the SES emulator has no account status'],
  ['ses-quota', 'ses', 'the SES emulator has no sending quota'],
  ['identity', 'domain', 'the SES emulator has no identities, DKIM or DNS to check'],
  ['alarm-subscription', 'alerts', 'the local stack has no alarm topic'],
  ['alarms', 'alerts', 'the local stack has no CloudWatch alarms'],
  ['event-destination', 'sending', 'the engine runner hands SES events to the engine itself'],
  ['bounce-rate', 'reputation', 'the local stack has no reputation metrics'],
  ['complaint-rate', 'reputation', 'the local stack has no reputation metrics'],
];

const RUNNER_CHECKS: Array<[string, DoctorGroup]> = [
  ['paused', 'sending'],
  ['send-queue', 'queues'],
  ['send-dlq', 'queues'],
  ['feedback-queue', 'queues'],
  ['feedback-dlq', 'queues'],
];

/** `doctor --local`: the local stack's parts, the stack provisioned on them, the runner serving it, its queues and templates. */
export async function doctorLocal(facts: LocalDoctorFacts): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const up = 'Start it with `mailengine local up`; `mailengine local status` shows each part and its log.';
  for (const part of facts.parts) {
    const ok = part.state === 'running' && part.healthy;
    checks.push(
      check(`local-${part.name}`, 'local', ok ? 'pass' : 'fail', `${part.label}: ${part.state === 'running' ? (part.healthy ? 'answering' : 'running but not answering') : 'stopped'} at ${part.endpoint}`, { fix: ok ? undefined : up }),
    );
  }
  const partsUp = facts.parts.every((p) => p.state === 'running' && p.healthy);

  if (!facts.provisioned) {
    checks.push(check('stack', 'stack', 'fail', `Stack ${facts.stackName} is not provisioned on the local stack`, { fix: `Run \`${facts.serveCommand}\` (or \`mailengine deploy --local\`).` }));
  } else {
    checks.push(check('stack', 'stack', 'pass', `Stack ${facts.stackName} is provisioned on the local stack`, { detail: [...facts.provisioned.tables, facts.provisioned.templatesBucket].filter(Boolean).join(', ') }));
  }
  checks.push(check('engine-version', 'stack', 'pass', 'The local stack runs this CLI\'s own engine code'));

  const runner = facts.runner;
  if ('error' in runner) {
    checks.push(check('runner', 'sending', 'fail', `The engine runner did not answer: ${runner.error}`, { fix: up }));
    checks.push(...skipped(RUNNER_CHECKS, 'Not checked: the engine runner did not answer'));
  } else if (!runner.serves) {
    checks.push(check('runner', 'sending', 'fail', `The engine runner serves ${runner.served}, not stack ${facts.stackName}: requests to it go nowhere`, { fix: `Run \`${facts.serveCommand}\`.` }));
    checks.push(...skipped(RUNNER_CHECKS, `Not checked: the engine runner serves another stack`));
  } else {
    checks.push(check('runner', 'sending', 'pass', `The engine runner serves stack ${facts.stackName}`));
    checks.push(pausedCheck({ state: runner.paused ? 'paused' : 'running', configurationSetSending: !runner.paused }));
    checks.push(...runner.queues.map(queueCheck));
  }

  const bucket = facts.provisioned?.templatesBucket;
  if (!bucket || !facts.s3) checks.push(check('templates', 'templates', 'skip', 'Not checked: the stack has no templates bucket here'));
  else if (!partsUp) checks.push(check('templates', 'templates', 'skip', 'Not checked: the local stack is not fully up'));
  else checks.push(...(await attempt('templates', 'templates', 'the templates bucket', () => templatesCheck(facts.s3 as S3Sender, bucket))));
  // Last within their groups: what was checked comes first.
  checks.push(...NOT_LOCAL.map(([id, group, why]) => check(id, group, 'skip', NOT_APPLICABLE, { detail: why })));
  return doctorReport({ target: 'local', stackName: facts.stackName }, checks);
}
