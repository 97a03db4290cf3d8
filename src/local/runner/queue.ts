import { createHash, randomUUID } from 'node:crypto';
import { QueueJournal, type MessageAttribute, type StoredMessage } from './journal.js';

export type { MessageAttribute } from './journal.js';

/** SQS's own limit on `DelaySeconds`: 15 minutes. */
export const MAX_DELAY_MS = 900_000;

/**
 * A local stand-in for one SQS standard queue, with the behaviour the engine relies on:
 * at-least-once delivery, a visibility timeout that hides a received message until it is deleted
 * or the timeout runs out, a receive count, a redrive policy that moves a message to the dead
 * letter queue once it has been received `maxReceiveCount` times, and a retention period.
 *
 * With `journalFile` the queue is durable: every operation is appended to that file before it
 * returns (see `QueueJournal` for the fsync policy), and a queue opened on the same file after a
 * crash, SIGKILL included, has every message back: queued ones visible, in-flight ones hidden until
 * their visibility timeout runs out and then received again with their receive counts, as SQS
 * does when a consumer dies. Without it the queue lives in memory only.
 *
 * Per-message delays (SendMessage `DelaySeconds`, at most 15 minutes) and string or number message
 * attributes are kept as SQS keeps them.
 *
 * What it leaves out on purpose: ordering guarantees (SQS standard queues have none either;
 * this one happens to be first in, first out), queue-level delays and long polling (a listener is
 * told when a message becomes visible instead).
 */
export interface LocalQueueOptions {
  /** How long a received message stays hidden (SQS `VisibilityTimeout`). */
  visibilityTimeoutMs: number;
  /** How long a message is kept at all (SQS `MessageRetentionPeriod`). */
  retentionMs?: number;
  /** The redrive policy: where a message goes after `maxReceiveCount` receives. */
  redrive?: { deadLetterQueue: LocalQueue; maxReceiveCount: number; onMoved?: (message: QueuedMessage) => void };
  /** Keep the queue in this append-only file, so it outlives the process. */
  journalFile?: string;
  now?: () => number;
}

/**
 * A message as the queue holds it. `visibleAt` is the epoch ms from which it can be received
 * (again); at or before now means visible. `deadLetterSourceQueue` is set on a message moved here
 * by a redrive policy.
 */
export interface QueuedMessage extends StoredMessage {
  receiptHandle?: string;
}

export interface SendOptions {
  /** SendMessage `DelaySeconds`, in milliseconds: hidden this long before its first receive. */
  delayMs?: number;
  /** SendMessage `MessageAttributes`. */
  attributes?: Record<string, MessageAttribute>;
}

/** What a receive hands out: the message as it is now, with the receipt handle that deletes it. */
export type ReceivedMessage = Readonly<QueuedMessage> & { receiptHandle: string };

export interface QueueDepth {
  /** Ready to be received (SQS `ApproximateNumberOfMessages`). */
  visible: number;
  /** Received and not yet deleted or returned (`ApproximateNumberOfMessagesNotVisible`). */
  inFlight: number;
  /** Sent with a delay that has not run out yet (`ApproximateNumberOfMessagesDelayed`). */
  delayed: number;
}

/** A journal shorter than this is never compacted while the queue is open. */
const COMPACT_MIN_LINES = 20_000;

export class LocalQueue {
  private readonly messages = new Map<string, QueuedMessage>();
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly wakeups: Array<[number, string]> = [];
  private readonly now: () => number;
  private readonly journal: QueueJournal | undefined;

  constructor(
    readonly name: string,
    readonly arn: string,
    private readonly options: LocalQueueOptions,
  ) {
    this.now = options.now ?? Date.now;
    if (options.journalFile) {
      const now = this.now();
      const opened = QueueJournal.open(options.journalFile, (m) => !this.isPastRetention(m, now));
      this.journal = opened.journal;
      for (const [id, m] of opened.messages) {
        this.messages.set(id, m);
        // Messages that were in flight when the last process died come back when their timeout runs out.
        if (m.visibleAt > now) this.wakeAt(m);
      }
      this.schedule();
    }
  }

  get visibilityTimeoutMs(): number {
    return this.options.visibilityTimeoutMs;
  }

  get maxReceiveCount(): number | undefined {
    return this.options.redrive?.maxReceiveCount;
  }

  /** SendMessage: the message is visible at once, or after `delayMs`. Returns its id. */
  send(body: string, options: SendOptions = {}): string {
    return this.put(body, options);
  }

  private put(body: string, options: SendOptions, moved?: { from: string; original: QueuedMessage }): string {
    const delayMs = options.delayMs ?? 0;
    if (!(delayMs >= 0 && delayMs <= MAX_DELAY_MS)) throw new Error(`DelaySeconds must be between 0 and 900 (got ${delayMs / 1000})`);
    const messageId = moved?.original.messageId ?? randomUUID();
    const now = this.now();
    const attributes = options.attributes ?? moved?.original.attributes;
    const message: QueuedMessage = {
      messageId,
      body,
      md5OfBody: createHash('md5').update(body).digest('hex'),
      // SQS keeps the original send time and count when it moves a message to a DLQ.
      sentAt: moved?.original.sentAt ?? now,
      receiveCount: moved?.original.receiveCount ?? 0,
      ...(moved?.original.firstReceivedAt !== undefined ? { firstReceivedAt: moved.original.firstReceivedAt } : {}),
      visibleAt: now + delayMs,
      ...(attributes && Object.keys(attributes).length ? { attributes } : {}),
      ...(moved ? { deadLetterSourceQueue: moved.from } : {}),
    };
    this.journal?.append({ op: 'put', m: message });
    this.messages.set(messageId, message);
    if (delayMs > 0) {
      this.wakeAt(message);
      this.schedule();
    } else {
      this.notify();
    }
    return messageId;
  }

  /**
   * ReceiveMessage: up to `max` visible messages, each hidden for the visibility timeout and
   * counted. A message already received `maxReceiveCount` times is moved to the dead letter queue
   * instead of being handed out again, which is when SQS moves it too.
   */
  receive(max: number): ReceivedMessage[] {
    const now = this.now();
    const out: ReceivedMessage[] = [];
    // Deleting from a Map while iterating it is safe: the iteration simply does not see it again.
    for (const message of this.messages.values()) {
      if (out.length >= max) break;
      if (this.expired(message, now) || message.visibleAt > now) continue;
      const redrive = this.options.redrive;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        // Into the DLQ before out of here: a crash in between leaves a copy in both, never none.
        redrive.deadLetterQueue.put(message.body, {}, { from: this.arn, original: message });
        this.remove(message.messageId);
        redrive.onMoved?.(message);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + this.options.visibilityTimeoutMs;
      this.journal?.append({ op: 'recv', id: message.messageId, rc: message.receiveCount, fr: message.firstReceivedAt, v: message.visibleAt });
      this.wakeAt(message);
      message.receiptHandle = `${message.messageId}#${message.receiveCount}#${randomUUID()}`;
      out.push({ ...message, receiptHandle: message.receiptHandle });
    }
    this.maybeCompact();
    this.schedule();
    return out;
  }

  /**
   * DeleteMessage. Only the latest receipt handle counts: once a message was received again (its
   * visibility ran out), the earlier receiver's handle no longer deletes it, so a slow consumer
   * cannot remove a message another one is working on.
   */
  delete(receiptHandle: string): boolean {
    const messageId = receiptHandle.split('#')[0];
    const message = this.messages.get(messageId);
    if (!message || message.receiptHandle !== receiptHandle) return false;
    this.remove(messageId);
    this.schedule();
    return true;
  }

  /** ChangeMessageVisibility; 0 makes the message visible again at once. */
  changeVisibility(receiptHandle: string, timeoutMs: number): boolean {
    const message = this.messages.get(receiptHandle.split('#')[0]);
    if (!message || message.receiptHandle !== receiptHandle) return false;
    message.visibleAt = this.now() + timeoutMs;
    this.journal?.append({ op: 'vis', id: message.messageId, v: message.visibleAt });
    if (timeoutMs <= 0) {
      this.notify();
    } else {
      this.wakeAt(message);
      this.schedule();
    }
    return true;
  }

  depth(): QueueDepth {
    const now = this.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const message of this.messages.values()) {
      if (this.expired(message, now)) continue;
      if (message.visibleAt <= now) visible++;
      else if (message.receiveCount === 0) delayed++;
      else inFlight++;
    }
    return { visible, inFlight, delayed };
  }

  /**
   * Dead-letter queue redrive, as SQS StartMessageMoveTask does it: every message that is not in
   * flight moves to `target` as a new message (a new id, a new send time, a receive count of 0;
   * SQS treats redriven messages as new, so their retention starts again). Returns the ids the
   * messages got in `target`.
   */
  moveMessagesTo(target: LocalQueue): string[] {
    const now = this.now();
    const moved: string[] = [];
    for (const message of [...this.messages.values()]) {
      if (this.expired(message, now) || message.visibleAt > now) continue;
      moved.push(target.send(message.body, message.attributes ? { attributes: message.attributes } : {}));
      this.remove(message.messageId);
    }
    this.schedule();
    return moved;
  }

  /** Every message as it stands, for the runner's inspection endpoint and tests. */
  list(): QueuedMessage[] {
    const now = this.now();
    return [...this.messages.values()].filter((m) => !this.expired(m, now)).map((m) => ({ ...m }));
  }

  /** Called whenever a message may have become receivable (sent, or its visibility ran out). */
  onVisible(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops every message and timer; the queue can still be used afterwards. */
  purge(): void {
    this.journal?.append({ op: 'purge' });
    this.messages.clear();
    this.wakeups.length = 0;
    this.clearTimer();
  }

  close(): void {
    this.listeners.clear();
    this.clearTimer();
    this.journal?.close();
  }

  private remove(messageId: string): void {
    this.journal?.append({ op: 'del', id: messageId });
    this.messages.delete(messageId);
  }

  /** Rewrites the journal once it holds several times more lines than live messages. */
  private maybeCompact(): void {
    if (this.journal && this.journal.length > Math.max(COMPACT_MIN_LINES, 4 * this.messages.size)) this.journal.compact(this.messages.values());
  }

  private isPastRetention(message: StoredMessage, now: number): boolean {
    const retention = this.options.retentionMs;
    return retention !== undefined && now - message.sentAt >= retention;
  }

  private expired(message: QueuedMessage, now: number): boolean {
    if (!this.isPastRetention(message, now)) return false;
    this.remove(message.messageId);
    return true;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
    this.schedule();
  }

  /** Remembers when a hidden message becomes visible, so the timer can wake the listeners then. */
  private wakeAt(message: QueuedMessage): void {
    heapPush(this.wakeups, [message.visibleAt, message.messageId]);
  }

  /**
   * One timer, set for the earliest moment a hidden message becomes visible again. The moments
   * sit in a min-heap; entries whose message was deleted or hidden anew are dropped when they
   * reach the top, so no operation scans the whole queue.
   */
  private schedule(): void {
    const stale = ([at, id]: [number, string]) => this.messages.get(id)?.visibleAt !== at;
    while (this.wakeups.length > 0 && stale(this.wakeups[0])) heapPop(this.wakeups);
    const next = this.wakeups.length > 0 ? this.wakeups[0][0] : Infinity;
    if (next === this.timerAt) return;
    this.clearTimer();
    if (next === Infinity) return;
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      const now = this.now();
      while (this.wakeups.length > 0 && this.wakeups[0][0] <= now) heapPop(this.wakeups);
      this.notify();
    }, Math.max(0, next - this.now()));
    // A waiting message must not keep a test process (or the CLI) alive on its own.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}

function heapPush(heap: Array<[number, string]>, item: [number, string]): void {
  heap.push(item);
  for (let i = heap.length - 1; i > 0; ) {
    const parent = (i - 1) >> 1;
    if (heap[parent][0] <= heap[i][0]) break;
    [heap[parent], heap[i]] = [heap[i], heap[parent]];
    i = parent;
  }
}

function heapPop(heap: Array<[number, string]>): void {
  const last = heap.pop();
  if (heap.length === 0 || !last) return;
  heap[0] = last;
  for (let i = 0; ; ) {
    const l = 2 * i + 1;
    const r = l + 1;
    let min = i;
    if (l < heap.length && heap[l][0] < heap[min][0]) min = l;
    if (r < heap.length && heap[r][0] < heap[min][0]) min = r;
    if (min === i) return;
    [heap[min], heap[i]] = [heap[i], heap[min]];
    i = min;
  }
}
