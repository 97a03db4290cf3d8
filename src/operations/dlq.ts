import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { REQUEST_DETAIL_TYPE, parseRequestMessage } from '../model/request.js';
import { parseSesEvent } from '../model/ses-event.js';
import { ExitCode, MailengineError } from '../errors.js';
import type { IoHost } from '../io/io-host.js';
import { redriveRunnerQueue, runnerQueues, runnerState } from '../local/runner/client.js';
import type { TrackingRecord } from '../tracking/record.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import { mapConcurrent } from '../util/pool.js';
import type { EngineResources } from './engine-resources.js';

export type DlqQueue = 'send' | 'feedback';
export const DLQ_QUEUES: readonly DlqQueue[] = ['send', 'feedback'];

/**
 * How long a peeked message stays hidden before `dlq list` gives it back. A receive with
 * VisibilityTimeout 0 would leave each message visible at once, so the next receive returns the
 * same ones again and a listing never gets past the first few. Instead each page is hidden for
 * this long and made visible again (ChangeMessageVisibility 0) as soon as the listing ends; if the
 * CLI dies in between, the messages reappear by themselves after this. Nothing consumes a DLQ, so
 * hiding its messages briefly delays nobody.
 */
export const PEEK_HOLD_SECONDS = 30;

/** A message as the queue hands it out, before it is read. */
export interface RawDeadLetter {
  messageId: string;
  body: string;
  /** Receives before this listing (the SQS count minus the peek's own receive). */
  receiveCount?: number;
  /** When it was first queued, in the source queue (epoch ms): a DLQ keeps the original time. */
  sentAt?: number;
  /** Message attributes: EventBridge sets ERROR_CODE and ERROR_MESSAGE on events it could not deliver. */
  attributes?: Record<string, string>;
}

export interface QueuePeek {
  name: string;
  /** Messages the queue reports (visible), before the peek. */
  approximate: number;
  inFlight?: number;
  messages: RawDeadLetter[];
}

/** One dead letter, read: what it was, which email it belongs to, and why it is here. */
export interface DeadLetter {
  messageId: string;
  kind: 'email-request' | 'ses-event' | 'unreadable';
  emailId?: string;
  recipient?: string;
  template?: string;
  /** SES events: Delivery, Bounce, … and the SES message id. */
  sesEventType?: string;
  sesMessageId?: string;
  receiveCount?: number;
  queuedAt?: string;
  ageSeconds?: number;
  /** The tracking record's status, when there is a record. */
  status?: string;
  errorType?: string;
  reason: string;
  /** Where the reason comes from. */
  reasonFrom: 'eventbridge' | 'tracking' | 'none';
  note?: string;
}

export interface DlqQueueReport {
  queue: DlqQueue;
  name: string;
  approximate: number;
  inFlight?: number;
  messages: DeadLetter[];
  /** More messages than were shown (raise --limit). */
  more: boolean;
}

export interface DlqListReport {
  stackName: string;
  local: boolean;
  queues: DlqQueueReport[];
  /** Messages across the queues, as the queues report them. */
  total: number;
  notes: string[];
}

export interface RedriveItem {
  queue: DlqQueue;
  from: string;
  to: string;
  messages: number;
  action: 'started' | 'moved' | 'would-move' | 'already-running' | 'empty';
  /** AWS: the StartMessageMoveTask handle, for ListMessageMoveTasks / CancelMessageMoveTask. */
  taskHandle?: string;
  moved?: number;
  runningTask?: { status: string; moved?: number; toMove?: number; startedAt?: string };
}

export interface RedriveReport {
  stackName: string;
  local: boolean;
  dryRun: boolean;
  items: RedriveItem[];
}

interface RedrivePlan {
  from: string;
  to: string;
  messages: number;
  runningTask?: RedriveItem['runningTask'];
}

/** Where the dead letters are: the deployed stack's SQS queues, or the local runner's. */
export interface DeadLetterSource {
  readonly stackName: string;
  readonly local: boolean;
  peek(queue: DlqQueue, limit: number): Promise<QueuePeek & { releaseFailed?: string }>;
  planRedrive(queue: DlqQueue): Promise<RedrivePlan>;
  redrive(queue: DlqQueue, plan: RedrivePlan): Promise<Pick<RedriveItem, 'taskHandle' | 'moved'>>;
}

const queueName = (url: string) => url.split('/').pop() ?? url;

/** A deployed engine's DLQs, through SQS. */
export class SqsDeadLetters implements DeadLetterSource {
  readonly local = false;

  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    readonly stackName: string,
    private readonly urls: Record<DlqQueue, { source: string; dlq: string }>,
  ) {}

  private async attributes(url: string, names: QueueAttributeName[]): Promise<Record<string, string>> {
    // GetQueueAttributes: every attribute value is a string (API reference).
    const out = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }));
    return (out.Attributes ?? {}) as Record<string, string>;
  }

  async peek(queue: DlqQueue, limit: number): Promise<QueuePeek & { releaseFailed?: string }> {
    const url = this.urls[queue].dlq;
    const attrs = await this.attributes(url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']);
    const seen = new Map<string, RawDeadLetter>();
    const handles: string[] = [];
    let releaseFailed: string | undefined;
    try {
      while (seen.size < limit) {
        // ReceiveMessage (API reference): Messages[] with MessageId, ReceiptHandle, Body, Attributes
        // (system attributes as strings) and MessageAttributes ({ StringValue, DataType }).
        const out = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: Math.min(10, limit - seen.size),
            VisibilityTimeout: PEEK_HOLD_SECONDS,
            // A short long-poll asks every SQS server, so a small queue is not missed by sampling.
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
            MessageAttributeNames: ['All'],
          }),
        );
        const batch = out.Messages ?? [];
        if (batch.length === 0) break;
        for (const m of batch) {
          if (m.ReceiptHandle) handles.push(m.ReceiptHandle);
          if (!m.MessageId || seen.has(m.MessageId)) continue;
          const count = Number(m.Attributes?.ApproximateReceiveCount);
          const sent = Number(m.Attributes?.SentTimestamp);
          seen.set(m.MessageId, {
            messageId: m.MessageId,
            body: m.Body ?? '',
            ...(Number.isFinite(count) ? { receiveCount: Math.max(0, count - 1) } : {}),
            ...(Number.isFinite(sent) ? { sentAt: sent } : {}),
            attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).flatMap(([k, v]) => (v.StringValue !== undefined ? [[k, v.StringValue]] : []))),
          });
        }
      }
    } finally {
      releaseFailed = await this.release(url, handles);
    }
    return {
      name: queueName(url),
      approximate: Number(attrs.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(attrs.ApproximateNumberOfMessagesNotVisible ?? 0),
      messages: [...seen.values()],
      ...(releaseFailed ? { releaseFailed } : {}),
    };
  }

  /** Makes the peeked messages visible again at once. Returns why it failed, if it did. */
  private async release(url: string, handles: string[]): Promise<string | undefined> {
    try {
      for (let i = 0; i < handles.length; i += 10) {
        const entries = handles.slice(i, i + 10).map((ReceiptHandle, j) => ({ Id: `m${i + j}`, ReceiptHandle, VisibilityTimeout: 0 }));
        await this.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: entries }));
      }
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  async planRedrive(queue: DlqQueue): Promise<RedrivePlan> {
    const { source, dlq } = this.urls[queue];
    const [dlqAttrs, sourceAttrs] = await Promise.all([this.attributes(dlq, ['QueueArn', 'ApproximateNumberOfMessages']), this.attributes(source, ['QueueArn'])]);
    const from = dlqAttrs.QueueArn;
    const to = sourceAttrs.QueueArn;
    if (!from || !to) throw new MailengineError('QUEUE_ARN_MISSING', `SQS did not report the ARN of ${from ? queueName(source) : queueName(dlq)}.`, { suggestion: 'Run it again; if it persists, check the queue in the SQS console.' });
    // ListMessageMoveTasks: Results[] with Status RUNNING | COMPLETED | CANCELLING | CANCELLED | FAILED (API reference).
    const tasks = await this.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: from, MaxResults: 1 }));
    const running = tasks.Results?.find((t) => t.Status === 'RUNNING');
    return {
      from,
      to,
      messages: Number(dlqAttrs.ApproximateNumberOfMessages ?? 0),
      ...(running
        ? {
            runningTask: {
              status: running.Status ?? 'RUNNING',
              moved: running.ApproximateNumberOfMessagesMoved,
              toMove: running.ApproximateNumberOfMessagesToMove,
              ...(running.StartedTimestamp ? { startedAt: new Date(running.StartedTimestamp).toISOString() } : {}),
            },
          }
        : {}),
    };
  }

  async redrive(_queue: DlqQueue, plan: RedrivePlan): Promise<Pick<RedriveItem, 'taskHandle'>> {
    // StartMessageMoveTask: SourceArn (the DLQ), DestinationArn (named, because the send DLQ also
    // holds events the EventBridge rule could not deliver, which have no SQS source queue to go back to).
    const out = await this.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: plan.from, DestinationArn: plan.to }));
    return { taskHandle: out.TaskHandle };
  }
}

/** The local engine runner's DLQs, through its control endpoints. Reading them hides nothing. */
export class RunnerDeadLetters implements DeadLetterSource {
  readonly local = true;
  private checked = false;

  constructor(
    private readonly endpoint: string,
    readonly stackName: string,
  ) {}

  private async queues() {
    if (!this.checked) {
      const state = await runnerState(this.endpoint);
      if (state.engine.stackName !== this.stackName) {
        throw new MailengineError('LOCAL_ENGINE_NOT_FOUND', `The local engine runner serves ${state.engine.stackName ? `stack ${state.engine.stackName}` : 'no engine'}, not ${this.stackName}.`, {
          exitCode: ExitCode.NotFound,
          suggestion: `Run \`mailengine local up --stack ${this.stackName}\`, or name the stack it serves with --stack.`,
        });
      }
      this.checked = true;
    }
    return runnerQueues(this.endpoint);
  }

  async peek(queue: DlqQueue, limit: number): Promise<QueuePeek> {
    const dlq = (await this.queues())[`${queue}Dlq`];
    return {
      name: dlq.name,
      approximate: dlq.visible,
      inFlight: dlq.inFlight,
      messages: dlq.messages.slice(0, limit).map((m) => ({ messageId: m.messageId, body: m.body, receiveCount: m.receiveCount, sentAt: m.sentAt })),
    };
  }

  async planRedrive(queue: DlqQueue): Promise<RedrivePlan> {
    const all = await this.queues();
    return { from: all[`${queue}Dlq`].name, to: all[queue].name, messages: all[`${queue}Dlq`].visible };
  }

  async redrive(queue: DlqQueue): Promise<Pick<RedriveItem, 'moved'>> {
    return { moved: (await redriveRunnerQueue(this.endpoint, queue)).moved };
  }
}

/** The dead letters of the engine the resources describe. */
export function deadLetterSource(resources: EngineResources, clients: { sqs?: Pick<SQSClient, 'send'>; localEndpoint?: string }): DeadLetterSource {
  if (resources.local) {
    if (!clients.localEndpoint) throw new MailengineError('LOCAL_STACK_DOWN', 'The local stack has no engine runner endpoint.', { exitCode: ExitCode.Environment, suggestion: 'Start it with `mailengine local up`.' });
    return new RunnerDeadLetters(clients.localEndpoint, resources.stackName);
  }
  if (!resources.queues || !clients.sqs) {
    throw new MailengineError('STACK_INCOMPLETE', `Stack ${resources.stackName} does not name its queues in its outputs.`, { exitCode: ExitCode.NotFound, suggestion: 'Upgrade it with `mailengine deploy`.' });
  }
  const q = resources.queues;
  return new SqsDeadLetters(clients.sqs, resources.stackName, { send: { source: q.send, dlq: q.sendDlq }, feedback: { source: q.feedback, dlq: q.feedbackDlq } });
}

/** What a dead letter is, from its body alone. */
export function readDeadLetter(raw: RawDeadLetter): Omit<DeadLetter, 'reason' | 'reasonFrom'> {
  const base = {
    messageId: raw.messageId,
    ...(raw.receiveCount !== undefined ? { receiveCount: raw.receiveCount } : {}),
  };
  let envelope: Record<string, unknown>;
  try {
    envelope = JSON.parse(raw.body) as Record<string, unknown>;
  } catch {
    return { ...base, kind: 'unreadable' };
  }
  if (envelope?.['detail-type'] === REQUEST_DETAIL_TYPE) {
    // The engine's own reading, so the emailId is the one the Sender would have used.
    const parsed = parseRequestMessage(raw.body, raw.messageId);
    const r = parsed.ok ? parsed.request : parsed.rejected;
    return { ...base, kind: 'email-request', emailId: r.emailId, recipient: r.recipient, template: r.templateName };
  }
  try {
    const event = parseSesEvent(raw.body);
    const detail = envelope.detail as { eventType?: string; mail?: { tags?: Record<string, string[]> } };
    return {
      ...base,
      kind: 'ses-event',
      emailId: event.emailId,
      sesMessageId: event.messageId,
      sesEventType: detail.eventType,
      recipient: event.recipients[0],
      template: detail.mail?.tags?.template?.[0],
    };
  } catch {
    return { ...base, kind: 'unreadable' };
  }
}

const PAST_SENDING = new Set(['sent', 'delivery_delayed', 'soft_bounced', 'delivered', 'opened', 'clicked', 'rejected', 'bounced', 'complained', 'failed', 'suppressed']);

/** Why it is in the DLQ: EventBridge's delivery error, else what the tracking record says. */
function reasonFor(letter: Omit<DeadLetter, 'reason' | 'reasonFrom'>, raw: RawDeadLetter, record: TrackingRecord | undefined, queue: DlqQueue): Pick<DeadLetter, 'reason' | 'reasonFrom' | 'note' | 'status' | 'errorType'> {
  const recordFacts = record ? { status: record.status, ...(record.errorType ? { errorType: record.errorType } : {}) } : {};
  const note =
    record && queue === 'send' && PAST_SENDING.has(record.status)
      ? `the engine already has this email as ${record.status}: a redrive sends nothing (it is a duplicate)`
      : undefined;
  const withNote = note ? { note } : {};
  const code = raw.attributes?.ERROR_CODE;
  if (code) {
    return { reason: `EventBridge could not deliver it to the send queue: ${code}${raw.attributes?.ERROR_MESSAGE ? `: ${raw.attributes.ERROR_MESSAGE}` : ''}`, reasonFrom: 'eventbridge', ...recordFacts, ...withNote };
  }
  if (record?.lastError) return { reason: record.lastError, reasonFrom: 'tracking', ...recordFacts, ...withNote };
  if (record?.errorType) return { reason: `${record.errorType}${record.errorMessage ? `: ${record.errorMessage}` : ''}`, reasonFrom: 'tracking', ...recordFacts, ...withNote };
  if (letter.kind === 'unreadable') return { reason: 'the message is neither an Email Request nor an SES event', reasonFrom: 'none', ...recordFacts };
  if (!record) {
    return {
      reason: queue === 'feedback' ? 'no tracking record matches this SES event, so the Feedback function kept retrying it' : 'the Sender recorded nothing for it: see the Sender function\'s logs',
      reasonFrom: 'none',
    };
  }
  return { reason: `no error recorded (the record is ${record.status}): see the ${queue === 'send' ? 'Sender' : 'Feedback'} function's logs`, reasonFrom: 'none', ...recordFacts, ...withNote };
}

/** Dead letters matched to their tracking records at once. */
const RECORD_READS_AT_ONCE = 10;

/**
 * `dlq list`: up to `limit` messages of each DLQ, each read (request or SES event) and matched to
 * its tracking record for the reason. Read-only: every message peeked stays in its queue.
 */
export async function listDeadLetters(
  source: DeadLetterSource,
  tracking: Pick<TrackingStore, 'get' | 'findEmailIdByMessageId'>,
  options: { queues: readonly DlqQueue[]; limit: number; now?: () => number },
): Promise<DlqListReport> {
  const now = options.now ?? Date.now;
  const notes: string[] = [];
  const queues: DlqQueueReport[] = [];
  for (const queue of options.queues) {
    const peek = await source.peek(queue, options.limit);
    if (peek.releaseFailed) notes.push(`The messages peeked in ${peek.name} could not be made visible again (${peek.releaseFailed}); they reappear within ${PEEK_HOLD_SECONDS} s by themselves.`);
    const messages = await mapConcurrent(peek.messages, RECORD_READS_AT_ONCE, async (raw): Promise<DeadLetter> => {
      const letter = readDeadLetter(raw);
      const emailId = letter.emailId ?? (letter.sesMessageId ? await tracking.findEmailIdByMessageId(letter.sesMessageId) : undefined);
      const record = emailId ? await tracking.get(emailId) : undefined;
      const timing = raw.sentAt !== undefined ? { queuedAt: new Date(raw.sentAt).toISOString(), ageSeconds: Math.max(0, Math.round((now() - raw.sentAt) / 1000)) } : {};
      return {
        ...letter,
        ...(emailId ? { emailId } : {}),
        ...(letter.recipient ? {} : record?.recipient ? { recipient: record.recipient } : {}),
        ...(letter.template ? {} : record?.templateName ? { template: record.templateName } : {}),
        ...timing,
        ...reasonFor(letter, raw, record, queue),
      };
    });
    queues.push({ queue, name: peek.name, approximate: peek.approximate, ...(peek.inFlight !== undefined ? { inFlight: peek.inFlight } : {}), messages, more: peek.approximate > messages.length });
  }
  return { stackName: source.stackName, local: source.local, queues, total: queues.reduce((n, q) => n + Math.max(q.approximate, q.messages.length), 0), notes };
}

/**
 * `dlq redrive`: moves each DLQ's messages back to the queue it serves (SQS StartMessageMoveTask;
 * locally the runner's equivalent). Asks first, since redriven requests are sent; a DLQ with a
 * move already running is left to it; `dryRun` only reports.
 */
export async function redriveDeadLetters(source: DeadLetterSource, options: { queues: readonly DlqQueue[]; dryRun: boolean }, io: IoHost): Promise<RedriveReport> {
  const plans = await Promise.all(options.queues.map(async (queue) => ({ queue, plan: await source.planRedrive(queue) })));
  const items: RedriveItem[] = plans.map(({ queue, plan }) => ({
    queue,
    from: plan.from,
    to: plan.to,
    messages: plan.messages,
    action: plan.runningTask ? 'already-running' : plan.messages === 0 ? 'empty' : options.dryRun ? 'would-move' : 'started',
    ...(plan.runningTask ? { runningTask: plan.runningTask } : {}),
  }));
  const report: RedriveReport = { stackName: source.stackName, local: source.local, dryRun: options.dryRun, items };
  const todo = items.filter((i) => i.action === 'started');
  if (todo.length === 0) return report;

  const count = todo.reduce((n, i) => n + i.messages, 0);
  const confirmed = await io.requestResponse({
    kind: 'confirm',
    code: 'dlq.redrive.confirm',
    message: `Move ${count} message${count === 1 ? '' : 's'} back (${todo.map((i) => `${i.from} → ${i.to}`).join(', ')})? The engine processes them again; emails it already sent are not sent twice.`,
    default: false,
  });
  if (!confirmed) throw new MailengineError('DLQ_REDRIVE_DECLINED', 'Nothing was moved.', { exitCode: ExitCode.Failed, suggestion: 'Run it again and confirm, or pass --yes.' });

  for (const item of todo) {
    const plan = plans.find((p) => p.queue === item.queue)!.plan;
    const done = await source.redrive(item.queue, plan);
    Object.assign(item, source.local ? { action: 'moved' } : {}, done);
  }
  return report;
}
