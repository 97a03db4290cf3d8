import { afterEach, describe, expect, it } from 'vitest';
import type { SqsBatchResponse, SqsEvent } from '../../../src/engine/sqs.js';
import { EventSource, type InvocationOutcome, type SqsHandler } from '../../../src/local/runner/event-source.js';
import { LocalQueue } from '../../../src/local/runner/queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

function queues(visibilityTimeoutMs: number, maxReceiveCount = 3) {
  const dlq = new LocalQueue('shop-send-dlq', 'arn:aws:sqs:us-east-1:000000000000:shop-send-dlq', { visibilityTimeoutMs: 1000 });
  const queue = new LocalQueue('shop-send', 'arn:aws:sqs:us-east-1:000000000000:shop-send', { visibilityTimeoutMs, redrive: { deadLetterQueue: dlq, maxReceiveCount } });
  return { queue, dlq };
}

const sources: EventSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close(1000)));
});

function source(queue: LocalQueue, handler: SqsHandler, options: { batchSize?: number; maxConcurrency?: number; timeoutMs?: number } = {}) {
  const outcomes: InvocationOutcome[] = [];
  const s = new EventSource({
    name: 'sender',
    queue,
    handler,
    region: 'us-east-1',
    batchSize: options.batchSize ?? 10,
    maxConcurrency: options.maxConcurrency ?? 10,
    timeoutMs: options.timeoutMs ?? 5000,
    onInvocation: (o) => outcomes.push(o),
  });
  sources.push(s);
  return { source: s, outcomes };
}

describe('the local queue (SQS semantics)', () => {
  it('hides a received message for the visibility timeout, then hands it out again with a higher receive count', async () => {
    const { queue } = queues(80);
    const id = queue.send('hello');
    const [first] = queue.receive(10);
    expect(first).toMatchObject({ messageId: id, body: 'hello', receiveCount: 1 });
    expect(queue.receive(10)).toEqual([]);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    let woke = 0;
    queue.onVisible(() => woke++);
    await sleep(120);
    expect(woke).toBeGreaterThan(0);
    const [second] = queue.receive(10);
    expect(second).toMatchObject({ messageId: id, receiveCount: 2, firstReceivedAt: first.firstReceivedAt });
    // The first receiver's handle is stale now: it cannot delete what another receiver holds.
    expect(queue.delete(first.receiptHandle)).toBe(false);
    expect(queue.delete(second.receiptHandle)).toBe(true);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('moves a message to the DLQ once it was received maxReceiveCount times, keeping its id, body and count', async () => {
    const { queue, dlq } = queues(10, 3);
    const id = queue.send('poison');
    for (let i = 1; i <= 3; i++) {
      const got = queue.receive(1);
      expect(got.map((m) => m.receiveCount)).toEqual([i]);
      await sleep(25);
    }
    expect(queue.receive(1)).toEqual([]);
    expect(queue.list()).toEqual([]);
    expect(dlq.list()).toEqual([expect.objectContaining({ messageId: id, body: 'poison', receiveCount: 3, deadLetterSourceQueue: queue.arn })]);
  });

  it('drops messages older than the retention period', async () => {
    let now = 1_000_000;
    const queue = new LocalQueue('q', 'arn:q', { visibilityTimeoutMs: 10, retentionMs: 1000, now: () => now });
    queue.send('old');
    now += 1001;
    expect(queue.receive(10)).toEqual([]);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('changeVisibility(0) returns a message at once', () => {
    const { queue } = queues(60_000);
    queue.send('x');
    const [m] = queue.receive(1);
    expect(queue.changeVisibility(m.receiptHandle, 0)).toBe(true);
    expect(queue.receive(1).map((r) => r.receiveCount)).toEqual([2]);
  });
});

describe('the event source mapping (Lambda with ReportBatchItemFailures)', () => {
  it('hands over Lambda-shaped records, in batches of at most the batch size, and deletes what succeeded', async () => {
    const { queue } = queues(1000);
    const events: SqsEvent[] = [];
    for (let i = 0; i < 23; i++) queue.send(`m${i}`);
    const { outcomes } = source(queue, async (event) => {
      events.push(event);
      return { batchItemFailures: [] };
    });
    await until(() => outcomes.length >= 3);
    expect(events.map((e) => e.Records.length)).toEqual([10, 10, 3]);
    expect(events[0].Records[0]).toMatchObject({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body: 'm0',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: expect.stringMatching(/^\d+$/) },
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:shop-send',
      awsRegion: 'us-east-1',
    });
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('retries only the records named in batchItemFailures, after their visibility timeout', async () => {
    const { queue } = queues(150);
    queue.send('ok');
    const failingId = queue.send('fails once');
    const seen: Array<{ body: string; count: string | undefined; at: number }> = [];
    const started = Date.now();
    const { outcomes } = source(queue, async (event): Promise<SqsBatchResponse> => {
      for (const r of event.Records) seen.push({ body: r.body, count: r.attributes?.ApproximateReceiveCount, at: Date.now() - started });
      const failures = event.Records.filter((r) => r.body === 'fails once' && r.attributes?.ApproximateReceiveCount === '1');
      return { batchItemFailures: failures.map((r) => ({ itemIdentifier: r.messageId })) };
    });
    await until(() => outcomes.length >= 2);
    expect(outcomes[0]).toMatchObject({ records: 2, failed: [failingId] });
    expect(seen.map((s) => [s.body, s.count])).toEqual([
      ['ok', '1'],
      ['fails once', '1'],
      ['fails once', '2'],
    ]);
    // Not before the visibility timeout ran out.
    expect(seen[2].at).toBeGreaterThanOrEqual(140);
    await until(() => queue.depth().inFlight === 0);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('ends a message that keeps failing in the DLQ after maxReceiveCount receives', async () => {
    const { queue, dlq } = queues(20, 3);
    const id = queue.send('never works');
    let calls = 0;
    source(queue, async (event) => {
      calls++;
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    });
    await until(() => dlq.list().length === 1);
    expect(calls).toBe(3);
    expect(dlq.list()[0]).toMatchObject({ messageId: id, receiveCount: 3 });
    expect(queue.list()).toEqual([]);
  });

  it('fails the whole batch when the handler throws, times out, or names a record not in the batch', async () => {
    for (const behaviour of ['throws', 'times out', 'bad id'] as const) {
      const { queue } = queues(60_000);
      queue.send('a');
      queue.send('b');
      const { outcomes } = source(
        queue,
        async (): Promise<SqsBatchResponse> => {
          if (behaviour === 'throws') throw new Error('DynamoDB is down');
          if (behaviour === 'times out') await sleep(500);
          return { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] };
        },
        { timeoutMs: 100 },
      );
      await until(() => outcomes.length === 1);
      expect(outcomes[0].failed).toHaveLength(2);
      expect(outcomes[0].error).toMatch(behaviour === 'throws' ? /DynamoDB is down/ : behaviour === 'times out' ? /Task timed out after 0.10 seconds/ : /not a message of this batch/);
      expect(queue.depth()).toEqual({ visible: 0, inFlight: 2, delayed: 0 });
    }
  });

  it('counts the remaining time down from the function timeout', async () => {
    const { queue } = queues(1000);
    queue.send('x');
    const remaining: number[] = [];
    const { outcomes } = source(
      queue,
      async (_event, context) => {
        remaining.push(context.getRemainingTimeInMillis());
        await sleep(60);
        remaining.push(context.getRemainingTimeInMillis());
        return { batchItemFailures: [] };
      },
      { timeoutMs: 1000 },
    );
    await until(() => outcomes.length === 1);
    expect(remaining[0]).toBeLessThanOrEqual(1000);
    expect(remaining[0]).toBeGreaterThan(900);
    expect(remaining[0] - remaining[1]).toBeGreaterThanOrEqual(50);
  });

  it('runs at most maxConcurrency invocations at once (SendConcurrency)', async () => {
    const { queue } = queues(10_000);
    for (let i = 0; i < 12; i++) queue.send(`m${i}`);
    let running = 0;
    let peak = 0;
    const { outcomes } = source(
      queue,
      async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(40);
        running--;
        return { batchItemFailures: [] };
      },
      { batchSize: 1, maxConcurrency: 3 },
    );
    await until(() => outcomes.length === 12);
    expect(peak).toBe(3);
  });

  it('while disabled receives nothing, so messages wait without spending their receive count', async () => {
    const { queue } = queues(50, 2);
    const { source: s, outcomes } = source(queue, async () => ({ batchItemFailures: [] }));
    s.disable();
    queue.send('waits');
    await sleep(200);
    expect(outcomes).toEqual([]);
    expect(queue.list()).toEqual([expect.objectContaining({ body: 'waits', receiveCount: 0 })]);
    s.enable();
    await until(() => outcomes.length === 1);
    expect(queue.list()).toEqual([]);
  });
});
