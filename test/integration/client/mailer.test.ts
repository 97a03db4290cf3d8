import { EventBridgeClient, PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { createMailer, type SendResult } from '../../../src/client/index.js';
import { runnerEvents, runnerSends, waitForRunnerIdle } from '../../../src/local/runner/client.js';
import { useAppClients, useTestStack } from '../../helpers/local-stack.js';

/**
 * The client against the local stack: its requests go through the runner's PutEvents endpoint,
 * the real Sender sends them to the SES emulator, and the tracking store holds their records.
 */
const STACK = 'clientshop';

/** The starter template the requests use, as an app's generated types would describe it. */
interface MailTemplates {
  welcome: { userName: string; dashboardUrl?: string };
}

describe('mailengine/client on the local stack', () => {
  const stack = useTestStack('client', STACK, { sesEventDelayMs: 50 });
  const app = useAppClients(stack);
  /** The entries of each PutEvents call the mailers made, by emailId. */
  const calls: string[][] = [];

  /** The runner's EventBridge, through a wrapper that records each call's entries. */
  const recording = {
    send: async (command: PutEventsCommand): Promise<PutEventsCommandOutput> => {
      calls.push((command.input.Entries ?? []).map((e) => JSON.parse(e.Detail!).emailId as string));
      return app.events.send(command);
    },
  };

  /** Waits until SES accepted the email (`sent`, or already `delivered`) and returns its record. */
  async function accepted(emailId: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await app.tracking.get(emailId);
      if (record && ['sent', 'delivered'].includes(record.status)) return record;
      if (Date.now() > deadline) throw new Error(`${emailId} is ${record?.status ?? 'missing'}, not sent`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const welcome = (i: number) => ({ template: 'welcome' as const, to: `success+client${i}@simulator.amazonses.com`, data: { userName: `User ${i}` } });

  it('send: one request becomes an SES-accepted email whose record the returned emailId finds', async () => {
    const mailer = createMailer<MailTemplates>({ busName: `${STACK}-bus`, source: 'shop.accounts', eventBridgeClient: recording });
    const result = await mailer.send({ ...welcome(0), data: { userName: 'Ann', dashboardUrl: 'https://app.example.com' } });
    expect(result).toMatchObject({ ok: true, emailId: expect.any(String), eventId: expect.any(String) });
    const { emailId, eventId } = result as Extract<SendResult, { ok: true }>;

    const record = await accepted(emailId);
    expect(record).toMatchObject({ recipient: 'success+client0@simulator.amazonses.com', templateName: 'welcome', source: 'shop.accounts', eventId, sesMessageId: expect.any(String) });
    expect(await runnerSends(stack.handle.endpoints.eventbridge, emailId)).toHaveLength(1);
  });

  it('sendBatch: 25 requests in three calls, every one sent once, results in input order', async () => {
    calls.length = 0;
    const mailer = createMailer<MailTemplates>({ busName: `${STACK}-bus`, eventBridgeClient: recording });
    const requests = Array.from({ length: 25 }, (_, i) => ({ ...welcome(i + 1), emailId: `client-batch-${i + 1}` }));
    const results = await mailer.sendBatch(requests);

    expect(results.map((r) => r.ok && r.emailId)).toEqual(requests.map((r) => r.emailId));
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
    const records = await Promise.all(requests.map((r) => accepted(r.emailId)));
    records.forEach((record, i) => expect(record).toMatchObject({ recipient: requests[i].to, source: 'mailengine.client', eventId: (results[i] as { eventId: string }).eventId }));
    await waitForRunnerIdle(stack.handle.endpoints.eventbridge);
    for (const { emailId } of requests) expect(await runnerSends(stack.handle.endpoints.eventbridge, emailId), emailId).toHaveLength(1);
  }, 90_000);

  it('an invalid request is answered with its problems and never reaches the bus, while the valid ones beside it go', async () => {
    const mailer = createMailer({ busName: `${STACK}-bus`, eventBridgeClient: recording });
    const [bad, good] = await mailer.sendBatch([
      { template: 'welcome', to: 'not-an-address', emailId: 'client-invalid-1', data: { userName: 'Nobody' } },
      { ...welcome(99), emailId: 'client-valid-99' },
    ]);
    expect(bad).toEqual({ ok: false, emailId: 'client-invalid-1', error: { code: 'invalid_address', message: 'to: is not a valid email address', retryable: false } });
    expect(good).toMatchObject({ ok: true, emailId: 'client-valid-99' });
    await accepted('client-valid-99');
    await waitForRunnerIdle(stack.handle.endpoints.eventbridge);

    const { events: published } = await runnerEvents(stack.handle.endpoints.eventbridge, { detailType: 'Email Request', emailId: 'client-invalid-1' });
    expect(published).toEqual([]);
    expect(await app.tracking.get('client-invalid-1')).toBeUndefined();
  });

  it('an endpoint that refuses connections: every request fails retryably with the network’s error, after the retries', async () => {
    const closed = new EventBridgeClient({ region: stack.handle.region, credentials: stack.handle.credentials, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    try {
      const mailer = createMailer<MailTemplates>({ busName: `${STACK}-bus`, eventBridgeClient: closed, maxAttempts: 2, backoff: { baseMs: 10, maxMs: 20 } });
      const results = await mailer.sendBatch([{ ...welcome(300), emailId: 'client-down-1' }, welcome(301)]);
      expect(results[0]).toEqual({ ok: false, emailId: 'client-down-1', error: { code: 'ECONNREFUSED', message: expect.stringContaining('(after 2 attempts)'), retryable: true } });
      expect(results[1]).toMatchObject({ ok: false, emailId: expect.any(String), error: { code: 'ECONNREFUSED', retryable: true } });
    } finally {
      closed.destroy();
    }
  });

  it('entries EventBridge throttles are retried and sent once; those it accepted are not published again', async () => {
    // The first call publishes every other entry and answers the rest with ThrottlingException,
    // as EventBridge does when it accepts a call only in part; later calls go through whole.
    let first = true;
    const published: string[] = [];
    const throttlingHalf = {
      send: async (command: PutEventsCommand): Promise<PutEventsCommandOutput> => {
        const entries = command.input.Entries ?? [];
        const ids = entries.map((e) => JSON.parse(e.Detail!).emailId as string);
        if (!first) {
          published.push(...ids);
          return app.events.send(command);
        }
        first = false;
        const forwarded = entries.filter((_, i) => i % 2 === 0);
        published.push(...ids.filter((_, i) => i % 2 === 0));
        const out = await app.events.send(new PutEventsCommand({ Entries: forwarded }));
        let next = 0;
        const answers = entries.map((_, i) => (i % 2 === 0 ? out.Entries![next++] : { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }));
        return { FailedEntryCount: answers.filter((a) => 'ErrorCode' in a).length, Entries: answers, $metadata: {} };
      },
    };
    const mailer = createMailer<MailTemplates>({ busName: `${STACK}-bus`, eventBridgeClient: throttlingHalf, backoff: { baseMs: 10, maxMs: 50 } });
    const requests = Array.from({ length: 6 }, (_, i) => ({ ...welcome(200 + i), emailId: `client-retry-${i}` }));
    const results = await mailer.sendBatch(requests);

    expect(results.every((r) => r.ok)).toBe(true);
    // Each emailId was published exactly once: the throttled ones on the second call only.
    expect([...published].sort()).toEqual(requests.map((r) => r.emailId).sort());
    expect(published.slice(3)).toEqual(['client-retry-1', 'client-retry-3', 'client-retry-5']);
    await Promise.all(requests.map((r) => accepted(r.emailId)));
    await waitForRunnerIdle(stack.handle.endpoints.eventbridge);
    for (const { emailId } of requests) {
      const { events: requestEvents } = await runnerEvents(stack.handle.endpoints.eventbridge, { detailType: 'Email Request', emailId });
      expect(requestEvents, emailId).toHaveLength(1);
      expect(await runnerSends(stack.handle.endpoints.eventbridge, emailId), emailId).toHaveLength(1);
    }
  }, 60_000);
});
