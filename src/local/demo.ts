import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCAL_REGION } from '../config/settings.js';
import { ExitCode, MailengineError } from '../errors.js';
import { say, type IoHost } from '../io/io-host.js';
import { answerWithoutAsking } from '../io/unanswered.js';
import type { HistoryEntry, TrackingRecord } from '../tracking/record.js';
import { LOCAL_CREDENTIALS, type LocalPorts } from '../model/local-stack.js';
import { readLocalPorts } from './endpoints.js';
import { startLocalStack, type LocalStackHandle } from './index.js';
import { findFreePorts, probePort } from './ports.js';
import { runnerSends, runnerState, waitForRunnerIdle } from './runner/client.js';
import { listReceivedEmails } from './ses-inbox.js';
import { localStackStatus } from './status.js';
import { pollUntil } from '../util/poll.js';

/** The stack name the demo provisions when it starts the local stack itself. */
export const DEMO_STACK = 'mailengine-demo';

export interface DemoOptions {
  /** The project directory: the stack's state goes to `<dir>/.mailengine/local/`. */
  dir: string;
  /** Leave the stack running afterwards (the inbox stays open). */
  keep?: boolean;
  /** Ports to use; by default the remembered ones, or free ones when those are taken. */
  ports?: LocalPorts;
  /** How long to wait for every request to reach its outcome. */
  timeoutMs?: number;
  io?: IoHost;
}

/** One published request and where it ended. */
export interface DemoRow {
  /** What the request shows. */
  request: string;
  emailId: string;
  recipient: string;
  /** The tracking record's status, or `duplicate-skipped` for the copy that sent nothing. */
  status: string;
  errorType?: string;
  note?: string;
}

export interface DemoResult {
  rows: DemoRow[];
  inbox: string;
  /** Emails the SES emulator accepted during the demo. */
  inboxCount: number;
  stackName: string;
  endpoints: LocalStackHandle['endpoints'];
  env: Record<string, string>;
  /** Whether the stack is still running (with `keep`, or because it was running before). */
  running: boolean;
  /**
   * While it runs: mailengine commands (arguments after `mailengine`) that work on the demo's
   * stack as they are, with the flags that choose it.
   */
  commands: Array<{ what: string; args: string[] }>;
  tookMs: number;
}

interface DemoRequest {
  request: string;
  detail: Record<string, unknown>;
  /** The template whose sampleData fills templateData. */
  sample?: string;
  /** Published in a second PutEvents call, once the requests before it were taken up. */
  later?: boolean;
}

/**
 * The batch: ordinary sends, the SES mailbox simulator's bounce and complaint, the same emailId
 * twice, and two requests that can never be sent. Every one must end somewhere visible.
 *
 * Ids and simulator labels carry `run`, so the demo can run again against a stack kept running:
 * otherwise every request would be a duplicate, and the bounce and complaint addresses would
 * already be suppressed.
 */
function demoRequests(run: string): DemoRequest[] {
  const id = (name: string) => `demo-${run}-${name}`;
  const simulator = (mailbox: string) => `${mailbox}+${run}@simulator.amazonses.com`;
  return [
    { request: 'normal send', sample: 'welcome', detail: { emailId: id('welcome'), to: 'maya@example.com', templateName: 'welcome' } },
    { request: 'normal send (simulator)', sample: 'order-confirmation', detail: { emailId: id('order'), to: simulator('success'), templateName: 'order-confirmation' } },
    { request: 'simulator bounce', sample: 'password-reset', detail: { emailId: id('reset'), to: simulator('bounce'), templateName: 'password-reset' } },
    { request: 'simulator complaint', sample: 'shipping-notification', detail: { emailId: id('shipping'), to: simulator('complaint'), templateName: 'shipping-notification' } },
    { request: 'invalid address', sample: 'welcome', detail: { emailId: id('bad-address'), to: 'maya-at-example.com', templateName: 'welcome' } },
    { request: 'unknown template', detail: { emailId: id('no-template'), to: 'maya@example.com', templateName: 'no-such-template', templateData: {} } },
    // Published again once the first copy is claimed, as an app's retry of a PutEvents call would be.
    { request: 'duplicate (same emailId)', sample: 'welcome', later: true, detail: { emailId: id('welcome'), to: 'maya@example.com', templateName: 'welcome' } },
  ];
}

/** Statuses that will not change without another SES event the simulator will not send. */
const SETTLED = new Set(['delivered', 'bounced', 'complained', 'failed', 'suppressed', 'rejected', 'opened', 'clicked']);

async function choosePorts(dir: string, asked: LocalPorts | undefined): Promise<LocalPorts | undefined> {
  if (asked) return asked;
  // A stack already running here is adopted as it is.
  if ((await localStackStatus({ dir, probeTimeoutMs: 500 })).parts.some((p) => p.state === 'running')) return undefined;
  const remembered = readLocalPorts(dir);
  const probes = await Promise.all(Object.values(remembered).map((port) => probePort(port)));
  if (probes.every((p) => p === 'free')) return remembered;
  // Another program (or another project's stack) holds a port: the demo needs none in particular.
  const [dynamodb, s3, sesv2, eventbridge] = await findFreePorts(4);
  return { dynamodb, s3, sesv2, eventbridge };
}

/** The stack the runner running in `dir` serves, if one runs there and serves one. */
async function servedStack(dir: string): Promise<string | undefined> {
  const runner = (await localStackStatus({ dir, probeTimeoutMs: 500 })).parts.find((p) => p.name === 'eventbridge' && p.state === 'running');
  if (!runner) return undefined;
  try {
    const { engine } = await runnerState(runner.endpoint);
    return engine.configured ? engine.stackName : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What to try next on the stack the demo leaves running. `--local --stack` in each, because the
 * demo's stack is not the one mailengine picks by default.
 */
function followUp(stackName: string, rows: DemoRow[]): DemoResult['commands'] {
  const target = ['--local', '--stack', stackName];
  const delivered = rows.find((r) => r.status === 'delivered');
  return [
    { what: 'send a test email through its engine', args: ['send', '--test', ...target, '--simulate', 'success', '--template', 'welcome'] },
    ...(delivered ? [{ what: 'look up one of the emails it sent', args: ['status', 'lookup', ...target, '--email-id', delivered.emailId] }] : []),
    { what: 'stop it', args: ['local', 'down'] },
  ];
}

/** Answers without asking and shows nothing: for a demo run without an IO host (tests, tools). */
const quietIo: IoHost = {
  interactive: false,
  notify() {},
  requestResponse: async (req) => answerWithoutAsking(req, false),
  progress: () => ({ update() {}, succeed() {}, fail() {}, stop() {} }),
  result() {},
};

/** The same host, with a step's progress shown only as its outcome: the push's per-template lines are noise here. */
function outcomesOnly(io: IoHost): IoHost {
  return {
    interactive: io.interactive,
    notify: (msg) => io.notify(msg),
    requestResponse: (req) => io.requestResponse(req),
    progress: (code, message) => ({
      update() {},
      succeed: (text) => io.notify({ code, level: 'success', message: text ?? message }),
      fail: (text) => io.notify({ code, level: 'error', message: text ?? message }),
      stop() {},
    }),
    result: (data, render) => io.result(data, render),
  };
}

/**
 * Pushes the starter templates with `templates push`'s own code (validated, flattened, only what
 * changed). On a stack that is not the demo's own, templates already in the bucket are the
 * user's: only the missing starters go up, and nothing is replaced. Returns each starter's
 * `sampleData`, which the demo's requests use as their templateData.
 */
async function seedStarterTemplates(s3: S3Client, bucket: string, ownStack: boolean, io: IoHost): Promise<Map<string, Record<string, unknown>>> {
  const { findStarterDir } = await import('../templates/init.js');
  const { listTemplateNames } = await import('../templates/store.js');
  const { preparePushSource } = await import('../templates/push-source.js');
  const { pushFailedError, pushTemplates } = await import('../templates/push.js');
  const { listRemoteTemplates } = await import('../templates/remote.js');
  const root = findStarterDir();
  const starters = listTemplateNames(root);
  const present = ownStack ? new Set<string>() : new Set((await listRemoteTemplates(s3, bucket)).keys());
  const names = starters.filter((name) => !present.has(name));
  if (names.length > 0) {
    const source = preparePushSource({ dir: root, displayDir: 'starter-templates', names });
    const report = await pushTemplates({ s3, bucket, source, io: outcomesOnly(io), where: 'on the local stack' });
    if (!report.ok) throw pushFailedError(report);
  }
  const samples = new Map<string, Record<string, unknown>>();
  for (const name of starters) {
    const metadata = JSON.parse(await readFile(join(root, name, 'metadata.json'), 'utf8')) as { sampleData?: unknown };
    samples.set(name, typeof metadata.sampleData === 'object' && metadata.sampleData !== null ? (metadata.sampleData as Record<string, unknown>) : {});
  }
  return samples;
}

async function publish(events: EventBridgeClient, bus: string, requests: DemoRequest[], samples: Map<string, Record<string, unknown>>): Promise<string[]> {
  const { PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
  const out = await events.send(
    new PutEventsCommand({
      Entries: requests.map((r) => ({
        EventBusName: bus,
        Source: 'demo.shop',
        DetailType: 'Email Request',
        Detail: JSON.stringify({ ...(r.sample ? { templateData: samples.get(r.sample) ?? {} } : {}), ...r.detail }),
      })),
    }),
  );
  const ids = (out.Entries ?? []).map((e) => e.EventId ?? '');
  if (out.FailedEntryCount || ids.some((id) => !id)) {
    throw new MailengineError('DEMO_PUBLISH_FAILED', `PutEvents refused ${out.FailedEntryCount} of the demo's requests: ${JSON.stringify(out.Entries)}`, { exitCode: ExitCode.Failed });
  }
  return ids;
}

/**
 * `npm run demo`: starts (or adopts) the local stack, provisions it, seeds the starter templates,
 * publishes a batch of requests through the engine runner's PutEvents endpoint exactly as an app
 * would, waits until each reached its outcome, and reports one row per request. Stops the stack
 * afterwards unless `keep` is set or it was already running.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const began = Date.now();
  const io = options.io;
  const ports = await choosePorts(options.dir, options.ports);
  // A stack already running here keeps serving what it serves: the demo runs on that engine
  // rather than switch the runner away from the user's stack.
  const served = await servedStack(options.dir);
  const stack = await startLocalStack({ dir: options.dir, ports, inMemory: true, provision: { stackName: served ?? DEMO_STACK }, io });
  const startedHere = stack.up.parts.some((p) => p.state === 'started');
  let stopped = false;
  try {
    const state = await runnerState(stack.endpoints.eventbridge);
    if (!state.engine.configured || !state.engine.stackName) {
      throw new MailengineError('DEMO_ENGINE_NOT_CONFIGURED', `The local engine runner has no engine to run: ${state.engine.reason ?? 'unknown reason'}.`, {
        exitCode: ExitCode.Environment,
        suggestion: 'Run `mailengine local down` and then the demo again.',
      });
    }
    if (state.paused) {
      throw new MailengineError('DEMO_ENGINE_PAUSED', 'The local engine is paused, so the demo would wait forever.', { exitCode: ExitCode.Failed, suggestion: 'Resume it with `mailengine resume --local`, or `curl -X POST ' + `${stack.endpoints.eventbridge}/_mailengine/resume\`.` });
    }
    const stackName = state.engine.stackName;
    const { localStackResources } = await import('./resources.js');
    const resources = localStackResources(options.dir, stackName) ?? {};
    const bucket = resources.TemplatesBucket;
    const trackingTable = resources.TrackingTable;
    if (!bucket || !trackingTable) throw new MailengineError('DEMO_NOT_PROVISIONED', `The local stack "${stackName}" has no templates bucket or tracking table.`, { exitCode: ExitCode.Environment });

    const { S3Client } = await import('@aws-sdk/client-s3');
    const { EventBridgeClient } = await import('@aws-sdk/client-eventbridge');
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { documentClient } = await import('../engine/deps.js');
    const { TrackingStore } = await import('../tracking/tracking-store.js');
    const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    const s3 = new S3Client({ ...common, endpoint: stack.endpoints.s3, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    // The same client and settings an app uses: only the endpoint is local.
    const events = new EventBridgeClient({ ...common, endpoint: stack.endpoints.eventbridge });
    const dynamodb = new DynamoDBClient({ ...common, endpoint: stack.endpoints.dynamodb });
    const tracking = new TrackingStore(documentClient(dynamodb), { tableName: trackingTable, retentionDays: 30 });
    try {
      if (io) say.info(io, 'demo.seed', 'Pushing the starter templates to the local templates bucket, as `templates push` does');
      const samples = await seedStarterTemplates(s3, bucket, stackName === DEMO_STACK, io ?? quietIo);
      const requests = demoRequests(Date.now().toString(36).slice(-5));
      const since = new Date(Date.now() - 1000);
      const first = requests.filter((r) => !r.later);
      const later = requests.filter((r) => r.later);
      if (io) say.info(io, 'demo.publish', `Publishing ${first.length} Email Request events to ${state.engine.bus} (PutEvents at ${stack.endpoints.eventbridge}), then ${later.length} again`);
      const firstIds = await publish(events, state.engine.bus, first, samples);
      // The retry goes out once the original is claimed, so the table shows which copy sent.
      const claimDeadline = Date.now() + 15_000;
      for (const emailId of new Set(later.map((r) => String(r.detail.emailId)))) {
        const claimed = await pollUntil(async () => ({ done: (await tracking.get(emailId)) !== undefined, value: undefined }), { timeoutMs: Math.max(0, claimDeadline - Date.now()), delayMs: 50 });
        if (!claimed.done) throw new MailengineError('DEMO_TIMEOUT', `The Sender did not take up ${emailId} within 15 s.`, { exitCode: ExitCode.Failed, suggestion: 'See .mailengine/local/logs/eventbridge.log.' });
      }
      const laterIds = later.length > 0 ? await publish(events, state.engine.bus, later, samples) : [];
      const eventIds = requests.map((r) => (r.later ? laterIds[later.indexOf(r)] : firstIds[first.indexOf(r)]));

      const emailIds = [...new Set(requests.map((r) => String(r.detail.emailId)))];
      const records = new Map<string, { record: TrackingRecord; history: HistoryEntry[] }>();
      await waitForRunnerIdle(stack.endpoints.eventbridge, {
        timeoutMs: options.timeoutMs ?? 45_000,
        until: async () => {
          for (const emailId of emailIds) {
            const found = await tracking.getWithHistory(emailId);
            if (!found || !SETTLED.has(found.record.status)) return false;
            records.set(emailId, found);
          }
          return true;
        },
      });

      const rows: DemoRow[] = [];
      for (const [i, request] of requests.entries()) {
        const emailId = String(request.detail.emailId);
        const { record, history } = records.get(emailId)!;
        const original = requests.findIndex((r) => r.detail.emailId === emailId);
        // Of two requests with one emailId, the record belongs to the one whose event claimed it.
        if (requests.filter((r) => r.detail.emailId === emailId).length > 1 && record.eventId !== eventIds[i]) {
          const sends = (await runnerSends(stack.endpoints.eventbridge, emailId)).length;
          const ignored = history.some((h) => h.event === 'duplicate_ignored');
          rows.push({
            request: request.request,
            emailId,
            recipient: String(request.detail.to),
            status: 'duplicate-skipped',
            note: `${ignored ? 'recorded as duplicate_ignored; ' : ''}SES was called ${sends} time${sends === 1 ? '' : 's'} for this emailId${i === original ? '' : ` (the first copy is row ${original + 1})`}`,
          });
          continue;
        }
        rows.push({
          request: request.request,
          emailId,
          recipient: record.recipient ?? String(request.detail.to),
          status: record.status,
          ...(record.errorType ? { errorType: record.errorType } : {}),
          ...(record.errorMessage ? { note: record.errorMessage } : {}),
        });
      }
      const inboxCount = (await listReceivedEmails(stack.endpoints.sesv2, { since })).length;
      const running = options.keep === true || !startedHere;
      if (!running) {
        await stack.stop();
        stopped = true;
      }
      return { rows, inbox: stack.inbox, inboxCount, stackName, endpoints: stack.endpoints, env: stack.env, running, commands: running ? followUp(stackName, rows) : [], tookMs: Date.now() - began };
    } finally {
      for (const client of [s3, events, dynamodb]) client.destroy();
    }
  } finally {
    // On failure too: a demo that started the stack leaves nothing behind unless asked to.
    if (!stopped && startedHere && options.keep !== true) await stack.stop();
  }
}

