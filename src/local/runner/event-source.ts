import type { InvocationContext, SqsBatchResponse, SqsEvent, SqsRecord } from '../../engine/sqs.js';
import type { LocalQueue, ReceivedMessage } from './queue.js';

/** A Lambda handler fed by an SQS event source, as the Sender and Feedback are. */
export type SqsHandler = (event: SqsEvent, context: InvocationContext) => Promise<SqsBatchResponse | void | null | undefined>;

export interface EventSourceOptions {
  /** Names the function in logs and state (`sender`, `feedback`). */
  name: string;
  queue: LocalQueue;
  handler: SqsHandler;
  region: string;
  /** Records per invocation (`BatchSize`), at most 10 for SQS. */
  batchSize: number;
  /** Invocations running at once (`ScalingConfig.MaximumConcurrency`). */
  maxConcurrency: number;
  /** The function's timeout: what `getRemainingTimeInMillis()` counts down from. */
  timeoutMs: number;
  /** Off until `enable()`; a paused engine's Sender mapping starts off. */
  enabled?: boolean;
  onInvocation?: (outcome: InvocationOutcome) => void;
  now?: () => number;
}

export interface InvocationOutcome {
  function: string;
  records: number;
  /** Records the handler reported failed, or all of them when the whole invocation failed. */
  failed: string[];
  /** Why the whole batch counts as failed: a throw, a timeout, or a response Lambda would reject. */
  error?: string;
  tookMs: number;
}

export interface EventSourceState {
  enabled: boolean;
  running: number;
  invocations: number;
  failedInvocations: number;
}

/**
 * The Lambda side of an SQS event source mapping with `ReportBatchItemFailures`, as the engine
 * depends on it:
 * - batches of up to `batchSize` records, at most `maxConcurrency` invocations at a time;
 * - records not named in `batchItemFailures` are deleted; named ones stay hidden until their
 *   visibility timeout runs out and then come back with a higher receive count;
 * - a handler that throws, runs past its timeout, or names an id that is not in the batch fails
 *   the whole batch (Lambda's rule), so every record comes back;
 * - disabling the mapping stops new receives; what is in flight finishes.
 */
export class EventSource {
  private enabled: boolean;
  private running = 0;
  private invocations = 0;
  private failedInvocations = 0;
  private pumpQueued = false;
  private readonly unsubscribe: () => void;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: EventSourceOptions) {
    this.enabled = options.enabled ?? true;
    this.now = options.now ?? Date.now;
    this.unsubscribe = options.queue.onVisible(() => this.schedulePump());
    this.schedulePump();
  }

  enable(): void {
    this.enabled = true;
    this.schedulePump();
  }

  disable(): void {
    this.enabled = false;
  }

  state(): EventSourceState {
    return { enabled: this.enabled, running: this.running, invocations: this.invocations, failedInvocations: this.failedInvocations };
  }

  /** Stops receiving and waits (up to `graceMs`) for the invocations in flight. */
  async close(graceMs = 10_000): Promise<void> {
    this.closed = true;
    this.enabled = false;
    this.unsubscribe();
    const all = Promise.all([...this.inFlight]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  /**
   * Pumps on the next turn of the event loop rather than at once, so the entries of one PutEvents
   * call (or one burst of SES events) land in the queue together and go out as one batch.
   */
  private schedulePump(): void {
    if (this.pumpQueued || this.closed) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.enabled && !this.closed && this.running < this.options.maxConcurrency) {
      const batch = this.options.queue.receive(Math.max(1, Math.min(10, this.options.batchSize)));
      if (batch.length === 0) return;
      this.running++;
      const done = this.invoke(batch).finally(() => {
        this.running--;
        this.inFlight.delete(done);
        this.schedulePump();
      });
      this.inFlight.add(done);
    }
  }

  private async invoke(batch: ReceivedMessage[]): Promise<void> {
    const started = this.now();
    const deadline = started + this.options.timeoutMs;
    const event: SqsEvent = { Records: batch.map((m) => this.record(m)) };
    const context: InvocationContext = { getRemainingTimeInMillis: () => Math.max(0, deadline - this.now()) };
    const ids = new Set(batch.map((m) => m.messageId));
    this.invocations++;

    let failed: string[];
    let error: string | undefined;
    try {
      const response = await withTimeout(this.options.handler(event, context), this.options.timeoutMs);
      failed = (response?.batchItemFailures ?? []).map((f) => f?.itemIdentifier);
      const unknown = failed.find((id) => typeof id !== 'string' || !ids.has(id));
      if (unknown !== undefined) {
        error = `batchItemFailures names ${JSON.stringify(unknown)}, which is not a message of this batch`;
        failed = [...ids];
      }
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      failed = [...ids];
    }
    if (error) this.failedInvocations++;

    // Failed records are left alone: they reappear once their visibility timeout runs out.
    const keep = new Set(failed);
    for (const message of batch) if (!keep.has(message.messageId)) this.options.queue.delete(message.receiptHandle);
    this.options.onInvocation?.({ function: this.options.name, records: batch.length, failed, error, tookMs: this.now() - started });
  }

  private record(message: ReceivedMessage): SqsRecord & Record<string, unknown> {
    return {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
        SenderId: 'AIDAMAILENGINELOCAL',
      } as SqsRecord['attributes'],
      // Lambda's shape for SQS message attributes: lower-case keys, empty lists for the unused kinds.
      messageAttributes: Object.fromEntries(
        Object.entries(message.attributes ?? {}).map(([name, a]) => [name, { stringValue: a.StringValue, stringListValues: [], binaryListValues: [], dataType: a.DataType }]),
      ),
      md5OfBody: message.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queue.arn,
      awsRegion: this.options.region,
    };
  }
}

/** Lambda ends an invocation at its timeout; here the late result is ignored instead. */
function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
