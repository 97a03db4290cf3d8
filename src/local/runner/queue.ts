import { createHash, randomUUID } from 'node:crypto';

/**
 * An in-memory stand-in for one SQS standard queue, with the behaviour the engine relies on:
 * at-least-once delivery, a visibility timeout that hides a received message until it is deleted
 * or the timeout runs out, a receive count, a redrive policy that moves a message to the dead
 * letter queue once it has been received `maxReceiveCount` times, and a retention period.
 *
 * What it leaves out on purpose: ordering guarantees (SQS standard queues have none either;
 * this one happens to be first in, first out), message attributes, delay queues and long polling
 * (a listener is told when a message becomes visible instead).
 */
export interface LocalQueueOptions {
  /** How long a received message stays hidden (SQS `VisibilityTimeout`). */
  visibilityTimeoutMs: number;
  /** How long a message is kept at all (SQS `MessageRetentionPeriod`). */
  retentionMs?: number;
  /** The redrive policy: where a message goes after `maxReceiveCount` receives. */
  redrive?: { deadLetterQueue: LocalQueue; maxReceiveCount: number; onMoved?: (message: QueuedMessage) => void };
  now?: () => number;
}

export interface QueuedMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** Epoch ms from which it can be received again; at or before now means visible. */
  visibleAt: number;
  receiptHandle?: string;
  /** Set on a message that was moved here by a redrive policy. */
  deadLetterSourceQueue?: string;
}

/** What a receive hands out: the message as it is now, with the receipt handle that deletes it. */
export type ReceivedMessage = Readonly<QueuedMessage> & { receiptHandle: string };

export interface QueueDepth {
  /** Ready to be received (SQS `ApproximateNumberOfMessages`). */
  visible: number;
  /** Received and not yet deleted or returned (`ApproximateNumberOfMessagesNotVisible`). */
  inFlight: number;
}

export class LocalQueue {
  private readonly messages = new Map<string, QueuedMessage>();
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    readonly arn: string,
    private readonly options: LocalQueueOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get visibilityTimeoutMs(): number {
    return this.options.visibilityTimeoutMs;
  }

  get maxReceiveCount(): number | undefined {
    return this.options.redrive?.maxReceiveCount;
  }

  /** SendMessage: the message is visible at once. Returns its id. */
  send(body: string, moved?: { from: string; original: QueuedMessage }): string {
    const messageId = moved?.original.messageId ?? randomUUID();
    const now = this.now();
    this.messages.set(messageId, {
      messageId,
      body,
      md5OfBody: createHash('md5').update(body).digest('hex'),
      // SQS keeps the original send time and count when it moves a message to a DLQ.
      sentAt: moved?.original.sentAt ?? now,
      receiveCount: moved?.original.receiveCount ?? 0,
      firstReceivedAt: moved?.original.firstReceivedAt,
      visibleAt: now,
      ...(moved ? { deadLetterSourceQueue: moved.from } : {}),
    });
    this.notify();
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
    for (const message of [...this.messages.values()]) {
      if (out.length >= max) break;
      if (this.expired(message, now) || message.visibleAt > now) continue;
      const redrive = this.options.redrive;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        this.messages.delete(message.messageId);
        redrive.deadLetterQueue.send(message.body, { from: this.arn, original: message });
        redrive.onMoved?.(message);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + this.options.visibilityTimeoutMs;
      message.receiptHandle = `${message.messageId}#${message.receiveCount}#${randomUUID()}`;
      out.push({ ...message, receiptHandle: message.receiptHandle });
    }
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
    this.messages.delete(messageId);
    this.schedule();
    return true;
  }

  /** ChangeMessageVisibility; 0 makes the message visible again at once. */
  changeVisibility(receiptHandle: string, timeoutMs: number): boolean {
    const message = this.messages.get(receiptHandle.split('#')[0]);
    if (!message || message.receiptHandle !== receiptHandle) return false;
    message.visibleAt = this.now() + timeoutMs;
    if (timeoutMs <= 0) this.notify();
    else this.schedule();
    return true;
  }

  depth(): QueueDepth {
    const now = this.now();
    let visible = 0;
    let inFlight = 0;
    for (const message of this.messages.values()) {
      if (this.expired(message, now)) continue;
      if (message.visibleAt <= now) visible++;
      else inFlight++;
    }
    return { visible, inFlight };
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
      this.messages.delete(message.messageId);
      moved.push(target.send(message.body));
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
    this.messages.clear();
    this.clearTimer();
  }

  close(): void {
    this.listeners.clear();
    this.clearTimer();
  }

  private expired(message: QueuedMessage, now: number): boolean {
    const retention = this.options.retentionMs;
    if (retention === undefined || now - message.sentAt < retention) return false;
    this.messages.delete(message.messageId);
    return true;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
    this.schedule();
  }

  /** One timer, set for the earliest moment a hidden message becomes visible again. */
  private schedule(): void {
    const now = this.now();
    let next = Infinity;
    for (const message of this.messages.values()) if (message.visibleAt > now && message.visibleAt < next) next = message.visibleAt;
    if (next === this.timerAt) return;
    this.clearTimer();
    if (next === Infinity) return;
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.notify();
    }, next - now);
    // A waiting message must not keep a test process (or the CLI) alive on its own.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}
