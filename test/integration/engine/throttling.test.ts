import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendPacer } from '../../../src/engine/pacer.js';
import { REQUEUE_ATTRIBUTES, type RequeuePort, type RequeueState } from '../../../src/engine/requeue.js';
import { createSender, type SenderDeps } from '../../../src/engine/sender.js';
import type { SqsRecord } from '../../../src/engine/sqs.js';
import { parseRunnerConfig, type RunnerConfig } from '../../../src/local/runner/config.js';
import { realEngine } from '../../../src/local/runner/engine.js';
import { startRunner, type LocalRunner } from '../../../src/local/runner/runner.js';
import { batch, plentyOfTime, requestMessage, senderFor, useEngineFixture } from '../../helpers/engine-fixture.js';

const awsError = (name: string, status: number) => Object.assign(new Error(`${name} (injected)`), { name, $metadata: { httpStatusCode: status } });
const order = (emailId: string) => ({ to: `${emailId}@customer.example`, templateName: 'receipt', emailId, templateData: { name: 'Ada', orderId: emailId, total: '1' } });

/** SES that refuses every SendEmail as over the rate, counting the calls. */
function throttlingSes(): Pick<SESv2Client, 'send'> & { calls: number } {
  const ses = {
    calls: 0,
    async send() {
      ses.calls += 1;
      throw awsError('TooManyRequestsException', 429);
    },
  };
  return ses as unknown as Pick<SESv2Client, 'send'> & { calls: number };
}

/** A requeue port that records the copies it was given (or refuses them). */
function recordingRequeue(refuse = false): RequeuePort & { copies: Array<{ message: SqsRecord; delayMs: number; state: RequeueState }> } {
  const port = {
    copies: [] as Array<{ message: SqsRecord; delayMs: number; state: RequeueState }>,
    async requeue(message: SqsRecord, delayMs: number, state: RequeueState) {
      if (refuse) throw awsError('AccessDenied', 403);
      port.copies.push({ message, delayMs, state });
    },
  };
  return port;
}

/** The copy as the queue would deliver it to the next invocation. */
function delivered(copy: { message: SqsRecord; state: RequeueState }, messageId: string): SqsRecord {
  return {
    ...copy.message,
    messageId,
    messageAttributes: {
      [REQUEUE_ATTRIBUTES.requeues]: { stringValue: String(copy.state.requeues), dataType: 'Number' },
      [REQUEUE_ATTRIBUTES.waitingSince]: { stringValue: String(copy.state.waitingSince), dataType: 'Number' },
    },
  };
}

const f = useEngineFixture('throttling');

describe('the Sender under SES throttling', () => {
  const noSleep = { sleep: async () => undefined };

  it('gives a request it cannot send back as a delayed copy and reports the original done; the record waits, queued', async () => {
    const ses = throttlingSes();
    const requeue = recordingRequeue();
    const message = requestMessage(order('thr-wait-1'));
    const out = await createSender({ ...senderFor(f), ses, requeue, ...noSleep })(batch(message), plentyOfTime);
    // Done as far as the queue is concerned: no receive is spent on waiting.
    expect(out.batchItemFailures).toEqual([]);
    expect(ses.calls).toBe(3);
    expect(requeue.copies).toHaveLength(1);
    expect(requeue.copies[0]).toMatchObject({ delayMs: 30_000, state: { requeues: 1, waitingSince: expect.any(Number) } });
    expect(requeue.copies[0].message.body).toBe(message.body);

    const waiting = await senderFor(f).tracking.getWithHistory('thr-wait-1');
    expect(waiting?.record).toMatchObject({ status: 'queued', attempts: 3 });
    expect(waiting?.record.lastError).toContain('TooManyRequestsException');
    expect(waiting?.history.map((h) => [h.event, h.details])).toEqual([['retry_scheduled', expect.objectContaining({ delaySeconds: 30, requeues: 1 })]]);

    // The copy comes back: twice the delay, the same waiting-since, and sent once SES takes it.
    const again = await createSender({ ...senderFor(f), ses, requeue, ...noSleep })({ Records: [delivered(requeue.copies[0], 'copy-1')] }, plentyOfTime);
    expect(again.batchItemFailures).toEqual([]);
    expect(requeue.copies[1]).toMatchObject({ delayMs: 60_000, state: { requeues: 2, waitingSince: requeue.copies[0].state.waitingSince } });
    const last = await createSender({ ...senderFor(f), requeue })({ Records: [delivered(requeue.copies[1], 'copy-2')] }, plentyOfTime);
    expect(last.batchItemFailures).toEqual([]);
    const sent = await senderFor(f).tracking.getWithHistory('thr-wait-1');
    expect(sent?.record.status).toBe('sent');
    expect(sent?.history.filter((h) => h.event === 'retry_scheduled')).toHaveLength(2);
  });

  it('when the copy cannot be sent, the original goes back to the queue as before', async () => {
    const message = requestMessage(order('thr-refused-1'));
    const out = await createSender({ ...senderFor(f), ses: throttlingSes(), requeue: recordingRequeue(true), ...noSleep })(batch(message), plentyOfTime);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: message.messageId }]);
    expect(await senderFor(f).tracking.get('thr-refused-1')).toMatchObject({ status: 'queued' });
  });

  it('a request throttled for longer than the bound ends failed with throttled_too_long, not in a DLQ', async () => {
    const requeue = recordingRequeue();
    const message = requestMessage(order('thr-bound-1'));
    const old = delivered({ message: { messageId: 'x', body: message.body }, state: { requeues: 12, waitingSince: Date.now() - 7 * 3_600_000 } }, message.messageId);
    const out = await createSender({ ...senderFor(f), ses: throttlingSes(), requeue, ...noSleep })({ Records: [old] }, plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(requeue.copies).toEqual([]);
    const record = await senderFor(f).tracking.get('thr-bound-1');
    expect(record).toMatchObject({ status: 'failed', errorType: 'throttled_too_long' });
    expect(record?.errorMessage).toMatch(/SES kept throttling this email for 4\d\d minutes \(12 times back in the queue\)/);
  });

  it('paced: records the pacer cannot serve before the deadline go back without calling SES or counting an attempt', async () => {
    const sends: string[] = [];
    const real = f.settings.clients.sesv2;
    const ses = { send: async (command: never) => (sends.push('x'), real.send(command)) } as unknown as Pick<SESv2Client, 'send'>;
    const requeue = recordingRequeue();
    const deps: SenderDeps = { ...senderFor(f), ses, requeue, pacer: new SendPacer({ ratePerSecond: 1 }) };
    const messages = Array.from({ length: 6 }, (_, i) => requestMessage(order(`thr-paced-${i}`)));
    // 8 s left: 2 s of it may be spent waiting for tokens (the rest is kept for the writes).
    const budget = Date.now() + 8_000;
    const out = await createSender(deps)(batch(...messages), { getRemainingTimeInMillis: () => budget - Date.now() });
    expect(out.batchItemFailures).toEqual([]);
    // One from the burst, one a second after: the rest are given back at once.
    expect(sends.length).toBeGreaterThanOrEqual(2);
    expect(sends.length).toBeLessThanOrEqual(3);
    expect(requeue.copies).toHaveLength(6 - sends.length);
    const records = await Promise.all(messages.map((_, i) => senderFor(f).tracking.getWithHistory(`thr-paced-${i}`)));
    const waiting = records.filter((r) => r?.record.status === 'queued');
    expect(waiting).toHaveLength(6 - sends.length);
    for (const r of waiting) {
      // No SendEmail was made for it: the attempt the claim took is given back.
      expect(r?.record.attempts).toBe(0);
      expect(r?.record.lastError).toMatch(/Paced/);
    }
    // Served in order: the first ones went out.
    expect(records.slice(0, 2).every((r) => r?.record.status === 'sent')).toBe(true);
  });
});

/**
 * Thirty minutes of sustained SES throttling, on a fast clock: the requeue delays (30 s doubling
 * to 15 min) and the 6-hour bound are scaled down 300 times, so half an hour passes in 6 s. The
 * real Sender runs in the local runner with its real queues: none of it may end in the DLQ, none
 * may be lost, every record must show that it waits, and each goes out once SES takes mail again.
 */
describe('30 simulated minutes of SES throttling (local runner, fast clock)', () => {
  const SCALE = 300;
  const REQUESTS = 40;
  let runner: LocalRunner;
  let config: RunnerConfig;

  beforeAll(async () => {
    const base = parseRunnerConfig(readFileSync(join(f.stack.stateDir, 'eventbridge', 'config.json'), 'utf8'));
    config = {
      ...base,
      port: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'mailengine-throttle-30m-')),
      engineBus: 'throttle-bus',
      sesMaxSendRate: 10,
      requeuePolicy: { firstDelayMs: 30_000 / SCALE, maxDelayMs: 900_000 / SCALE, giveUpAfterMs: (6 * 3_600_000) / SCALE },
      // A shorter invocation than Lambda's 30 s bounds how long a record waits for a token inside it.
      send: { ...base.send, functionTimeoutMs: 15_000, visibilityTimeoutMs: 90_000, maxReceiveCount: 3 },
    };
    runner = await startRunner({ config, engine: realEngine(config) });
  }, 60_000);
  afterAll(async () => runner?.close());

  it('0 dead-lettered, 0 lost, every record waiting while it lasts, each sent once after', async () => {
    runner.throttleSes(true);
    const events = new EventBridgeClient({ region: f.stack.region, credentials: f.stack.credentials, endpoint: runner.url });
    const emailIds = Array.from({ length: REQUESTS }, (_, i) => `thr30-${i}`);
    for (let i = 0; i < REQUESTS; i += 10) {
      const entries = emailIds.slice(i, i + 10).map((emailId) => ({ EventBusName: config.engineBus, Source: 'shop.orders', DetailType: 'Email Request', Detail: JSON.stringify(order(emailId)) }));
      expect((await events.send(new PutEventsCommand({ Entries: entries }))).FailedEntryCount).toBe(0);
    }
    events.destroy();

    const throttledMs = (30 * 60_000) / SCALE;
    let maxReceives = 0;
    const until = Date.now() + throttledMs;
    while (Date.now() < until) {
      for (const m of runner.queues.send.list()) maxReceives = Math.max(maxReceives, m.receiveCount);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Waiting spent no receives: no message was received more than once before SES took mail again.
    expect(maxReceives).toBeLessThanOrEqual(1);
    expect(runner.queues.sendDlq.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    const tracking = senderFor(f).tracking;
    const waiting = await Promise.all(emailIds.map((id) => tracking.getWithHistory(id)));
    const now = Date.now();
    for (const [i, w] of waiting.entries()) {
      expect(w, emailIds[i]).toBeDefined();
      // Queued between tries, saying why and for how long; or held right now by an invocation
      // that is trying it (its lease says until when). Never failed, never gone.
      if (w?.record.status === 'queued') {
        expect(w.record.lastError ?? '', JSON.stringify(w)).toMatch(/TooManyRequestsException|Paced/);
        expect(w.history.some((h) => h.event === 'retry_scheduled' && typeof h.details?.delaySeconds === 'number'), JSON.stringify(w)).toBe(true);
      } else {
        expect(w?.record.status, JSON.stringify(w)).toBe('sending');
        expect(Number(w?.record.leaseUntil), JSON.stringify(w)).toBeGreaterThan(now);
      }
    }
    expect(runner.sends()).toEqual([]);

    runner.throttleSes(false);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const records = await Promise.all(emailIds.map((id) => tracking.get(id)));
      if (records.every((r) => r?.sentAt)) break;
      if (Date.now() > deadline) throw new Error(`not all sent: ${records.map((r, i) => `${emailIds[i]}=${r?.status}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const perEmail = new Map<string, number>();
    for (const s of runner.sends()) perEmail.set(s.emailId!, (perEmail.get(s.emailId!) ?? 0) + 1);
    expect(emailIds.map((id) => perEmail.get(id) ?? 0)).toEqual(emailIds.map(() => 1));
    expect(runner.queues.sendDlq.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  }, 150_000);
});
