import { EventBridgeClient, ListRulesCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SqsEvent } from '../../../src/engine/sqs.js';
import { httpRequest } from '../../../src/local/http.js';
import { runnerEvents } from '../../../src/local/runner/client.js';
import { startRunner, type EngineHooks, type LocalRunner } from '../../../src/local/runner/runner.js';
import { testRunnerConfig } from '../../helpers/local-stack.js';

/** The runner in this process, with a Sender that only records what reaches it. */
describe('the runner’s PutEvents endpoint, through the real EventBridge client', () => {
  let runner: LocalRunner;
  let client: EventBridgeClient;
  let hooks: EngineHooks;
  const received: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    runner = await startRunner({
      config: testRunnerConfig('runner-pe'),
      engine: (h) => {
        hooks = h;
        return {
          sender: async (event: SqsEvent) => {
            for (const record of event.Records) received.push(JSON.parse(record.body) as Record<string, unknown>);
            return { batchItemFailures: [] };
          },
          feedback: async () => ({ batchItemFailures: [] }),
        };
      },
    });
    // Exactly what an app sets: only the endpoint is local.
    client = new EventBridgeClient({ region: 'us-east-1', endpoint: runner.url, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
  });

  afterAll(async () => {
    client?.destroy();
    await runner?.close();
  });

  beforeEach(() => {
    received.length = 0;
  });

  const waitForSender = async (count: number) => {
    const deadline = Date.now() + 5000;
    while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  };

  it('accepts an Email Request on the engine bus and hands the Sender the event as an SQS target gets it', async () => {
    const out = await client.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: 'shop-bus', Source: 'shop.orders', DetailType: 'Email Request', Detail: JSON.stringify({ to: 'ann@example.com', templateName: 'welcome' }), Time: new Date('2026-03-14T15:42:07.123Z') }],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries).toEqual([{ EventId: expect.stringMatching(/^[0-9a-f-]{36}$/) }]);
    await waitForSender(1);
    expect(received).toEqual([
      {
        version: '0',
        id: out.Entries![0].EventId,
        'detail-type': 'Email Request',
        source: 'shop.orders',
        account: '000000000000',
        time: '2026-03-14T15:42:07Z',
        region: 'us-east-1',
        resources: [],
        detail: { to: 'ann@example.com', templateName: 'welcome' },
      },
    ]);
  });

  it('is found by an unchanged app through AWS_ENDPOINT_URL_EVENTBRIDGE alone', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = runner.url;
    try {
      const app = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
      const out = await app.send(new PutEventsCommand({ Entries: [{ EventBusName: 'shop-bus', Source: 'shop', DetailType: 'Email Request', Detail: '{"to":"env@example.com","templateName":"x"}' }] }));
      app.destroy();
      expect(out.FailedEntryCount).toBe(0);
      await waitForSender(1);
      expect(received.map((e) => (e.detail as { to: string }).to)).toEqual(['env@example.com']);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
      else process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = saved;
    }
  });

  it('accepts the bus by ARN too', async () => {
    const out = await client.send(
      new PutEventsCommand({ Entries: [{ EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/shop-bus', Source: 'shop', DetailType: 'Email Request', Detail: '{"to":"a@example.com","templateName":"x"}' }] }),
    );
    expect(out.FailedEntryCount).toBe(0);
    await waitForSender(1);
    expect(received).toHaveLength(1);
  });

  it('fails only the entries that are wrong, each with EventBridge’s error code, in request order', async () => {
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: 'shop-bus', Source: 'shop', DetailType: 'Email Request', Detail: '{"to": "ann@example.com",' },
          { EventBusName: 'shop-bus', Source: 'shop', DetailType: 'Email Request', Detail: '"a string is JSON but not an object"' },
          { EventBusName: 'shop-bus', Source: 'shop', DetailType: 'Email Request', Detail: '{"to":"bo@example.com","templateName":"welcome"}' },
          { EventBusName: 'shop-bus', DetailType: 'Email Request', Detail: '{}' },
          { EventBusName: 'shop-bus', Source: 'shop', Detail: '{}' },
          { EventBusName: 'shop-bus', Source: 'shop', DetailType: 'Email Request' },
          { EventBusName: 'shop-bus', Source: 'aws.ses', DetailType: 'Email Bounced', Detail: '{}' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(6);
    expect(out.Entries).toEqual([
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { EventId: expect.any(String) },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' },
      { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
    ]);
    await waitForSender(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(received.map((e) => (e.detail as { to: string }).to)).toEqual(['bo@example.com']);
  });

  it('like EventBridge, accepts an event for a bus that does not exist, delivers it nowhere, and says so in its event list', async () => {
    const before = runner.bus.lastSeq;
    const out = await client.send(new PutEventsCommand({ Entries: [{ EventBusName: 'shop-bsu', Source: 'shop', DetailType: 'Email Request', Detail: '{"to":"a@example.com"}' }] }));
    expect(out.FailedEntryCount).toBe(0);
    const { events } = await runnerEvents(runner.url, { after: before });
    expect(events).toEqual([expect.objectContaining({ bus: 'shop-bsu', matchedRules: [], dropped: 'there is no event bus named "shop-bsu" on the local stack' })]);
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toEqual([]);
    expect(runner.state().queues.send.visible + runner.state().queues.send.inFlight).toBe(0);
  });

  it('sends only Email Request events to the send queue, like the rule; the default bus takes the rest', async () => {
    const before = runner.bus.lastSeq;
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: 'shop-bus', Source: 'shop', DetailType: 'Order Placed', Detail: '{"orderId":"A-1"}' },
          { Source: 'shop', DetailType: 'Email Request', Detail: '{"to":"a@example.com"}' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    const { events } = await runnerEvents(runner.url, { after: before });
    expect(events.map((e) => [e.bus, e.event['detail-type'], e.matchedRules])).toEqual([
      ['shop-bus', 'Order Placed', []],
      ['default', 'Email Request', []],
    ]);
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toEqual([]);
  });

  it('refuses a request of more than 10 entries as a whole, as a ValidationException', async () => {
    const entries = Array.from({ length: 11 }, () => ({ EventBusName: 'shop-bus', Source: 'shop', DetailType: 'Email Request', Detail: '{}' }));
    const err = await client.send(new PutEventsCommand({ Entries: entries })).then(
      () => undefined,
      (e: unknown) => e as { name: string; message: string; $metadata: { httpStatusCode: number } },
    );
    expect(err?.name).toBe('ValidationException');
    expect(err?.$metadata.httpStatusCode).toBe(400);
    expect(err?.message).toMatch(/less than or equal to 10/);
  });

  it('refuses entries over 256 KB in all', async () => {
    const big = JSON.stringify({ to: 'a@example.com', templateName: 'x', templateData: { blob: 'x'.repeat(200 * 1024) } });
    const err = await client.send(new PutEventsCommand({ Entries: [{ EventBusName: 'shop-bus', Source: 'shop', DetailType: 'Email Request', Detail: big }, { EventBusName: 'shop-bus', Source: 'shop', DetailType: 'Email Request', Detail: big }] })).then(
      () => undefined,
      (e: unknown) => e as { name: string; message: string },
    );
    expect(err).toMatchObject({ name: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' });
  });

  it('answers other EventBridge operations with an error naming what it serves', async () => {
    const err = await client.send(new ListRulesCommand({})).then(
      () => undefined,
      (e: unknown) => e as { name: string; message: string },
    );
    expect(err?.name).toBe('UnknownOperationException');
    expect(err?.message).toMatch(/PutEvents only/);
  });

  it('refuses requests addressed to any name but a loopback one (DNS rebinding), and accepts the loopback names', async () => {
    const body = JSON.stringify({ Entries: [{ EventBusName: 'shop-bus', Source: 'web', DetailType: 'Email Request', Detail: '{"to":"rebound@example.com","templateName":"welcome"}' }] });
    const putEvents = (host: string) =>
      httpRequest(runner.url, { method: 'POST', headers: { host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' }, body });
    const port = new URL(runner.url).port;

    for (const host of [`attacker.example:${port}`, 'attacker.example', `127.0.0.1.nip.io:${port}`]) {
      const refused = await putEvents(host);
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body)).toMatchObject({ __type: 'AccessDeniedException' });
      const control = await httpRequest(`${runner.url}/_mailengine/state`, { headers: { host } });
      expect(control.status).toBe(403);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual([]);

    for (const host of [`localhost:${port}`, `[::1]:${port}`, `127.0.0.1:${port}`]) {
      expect((await putEvents(host)).status).toBe(200);
      expect((await httpRequest(`${runner.url}/_mailengine/state`, { headers: { host } })).status).toBe(200);
    }
    await waitForSender(3);
    expect(received.map((e) => (e.detail as { to: string }).to)).toEqual(['rebound@example.com', 'rebound@example.com', 'rebound@example.com']);
  });

  it('long-polls: a waiting /_mailengine/events answers as soon as the status event arrives', async () => {
    const after = runner.bus.lastSeq;
    const started = Date.now();
    const waiting = runnerEvents(runner.url, { detailType: 'Email Status Changed', emailId: 'order-9', after, waitMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    await hooks.statusEvents.publish({ emailId: 'other', status: 'sent', time: new Date().toISOString(), cause: 'sender' });
    await hooks.statusEvents.publish({ emailId: 'order-9', status: 'delivered', time: '2026-03-14T15:42:09.000Z', cause: 'delivery' });
    const { events } = await waiting;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(events.map((e) => [e.bus, e.event.source, e.event['detail-type'], e.event.detail])).toEqual([
      ['shop-bus', 'mailengine', 'Email Status Changed', { emailId: 'order-9', status: 'delivered', time: '2026-03-14T15:42:09.000Z', cause: 'delivery' }],
    ]);
  });
});
