import { REQUEST_DETAIL_TYPE, parseRequestMessage } from '../model/request.js';
import { parseSesEvent } from '../model/ses-event.js';
import { ExitCode, MailengineError } from '../errors.js';
import type { IoHost } from '../io/io-host.js';
import type { TrackingRecord } from '../tracking/record.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import { mapConcurrent } from '../util/pool.js';

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
  title: string;
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
  title: string;
  dryRun: boolean;
  items: RedriveItem[];
}

export interface RedrivePlan {
  from: string;
  to: string;
  messages: number;
  runningTask?: RedriveItem['runningTask'];
}

/** Where the dead letters are: the deployed stack's SQS queues, or the local runner's. */
export interface DeadLetterSource {
  readonly stackName: string;
  readonly local: boolean;
  /** "stack prod" or "the local engine mailengine". */
  readonly title: string;
  peek(queue: DlqQueue, limit: number): Promise<QueuePeek & { releaseFailed?: string }>;
  planRedrive(queue: DlqQueue): Promise<RedrivePlan>;
  /** Starts the move (SQS: a move task, reported `started`) or makes it (the local runner: `moved`). */
  redrive(queue: DlqQueue, plan: RedrivePlan): Promise<Partial<Pick<RedriveItem, 'taskHandle' | 'moved' | 'action'>>>;
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
  return { stackName: source.stackName, local: source.local, title: source.title, queues, total: queues.reduce((n, q) => n + Math.max(q.approximate, q.messages.length), 0), notes };
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
  const report: RedriveReport = { stackName: source.stackName, local: source.local, title: source.title, dryRun: options.dryRun, items };
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
    Object.assign(item, done);
  }
  return report;
}
