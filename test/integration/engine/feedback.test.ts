import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { documentClient } from '../../../src/engine/deps.js';
import { createFeedback } from '../../../src/engine/feedback.js';
import { ENGINE_METRIC, RecordingMetrics } from '../../../src/engine/metrics.js';
import { createSender } from '../../../src/engine/sender.js';
import { silentLogger } from '../../../src/engine/status-events.js';
import type { SqsEvent, SqsRecord } from '../../../src/engine/sqs.js';
import { parseRunnerConfig } from '../../../src/local/runner/config.js';
import { realEngine } from '../../../src/local/runner/engine.js';
import type { EngineHooks } from '../../../src/local/runner/runner.js';
import { batch, feedbackFor, plentyOfTime, requestMessage, senderFor, useEngineFixture } from '../../helpers/engine-fixture.js';

/** The Feedback handler against DynamoDB Local, fed SES events shaped as EventBridge delivers them. */
const f = useEngineFixture('feedback');

let n = 0;
/** Sends one email through the real Sender; returns its emailId, SES message id and recipient. */
async function sent(to: string) {
  n += 1;
  const emailId = `fb-${n}`;
  await createSender(senderFor(f))(batch(requestMessage({ to, templateName: 'receipt', emailId, templateData: { name: 'A', orderId: emailId, total: '1' } })), plentyOfTime);
  const record = await senderFor(f).tracking.get(emailId);
  return { emailId, messageId: record!.sesMessageId!, to };
}

type Sent = Awaited<ReturnType<typeof sent>>;
const DETAIL_TYPE: Record<string, string> = { Send: 'Email Sent', Delivery: 'Email Delivered', Bounce: 'Email Bounced', Complaint: 'Email Complaint Received', DeliveryDelay: 'Email Delivery Delayed', Open: 'Email Opened', Click: 'Email Clicked' };

/** An SES event as the default bus delivers it to the feedback queue. */
interface EventOptions {
  id?: string;
  tagged?: boolean;
  time?: string;
  /** SQS message attributes (ApproximateReceiveCount, SentTimestamp). */
  attributes?: SqsRecord['attributes'];
}
function sesEvent(email: Sent, eventType: string, body: Record<string, unknown>, options: EventOptions = {}): SqsEvent {
  n += 1;
  const time = options.time ?? new Date(Date.now() + n).toISOString();
  const tags: Record<string, string[]> = { 'ses:configuration-set': ['enginetest'], template: ['receipt'] };
  if (options.tagged !== false) tags.emailId = [email.emailId];
  const detail = { eventType, mail: { timestamp: time, messageId: email.messageId, source: 'orders@shop.example', destination: [email.to], tags }, ...body };
  const record: SqsRecord = { messageId: `fbm-${n}`, body: JSON.stringify({ version: '0', id: options.id ?? `ses-${n}`, 'detail-type': DETAIL_TYPE[eventType], source: 'aws.ses', time, region: 'us-east-1', resources: [], detail }) };
  if (options.attributes) record.attributes = options.attributes;
  return { Records: [record] };
}
const delivery = (e: Sent, o: EventOptions = {}) => sesEvent(e, 'Delivery', { delivery: { recipients: [e.to], timestamp: o.time ?? new Date().toISOString(), smtpResponse: '250 ok' } }, o);
const bounce = (e: Sent, type: 'Permanent' | 'Transient', o: EventOptions = {}) => sesEvent(e, 'Bounce', { bounce: { bounceType: type, bounceSubType: 'General', bouncedRecipients: [{ emailAddress: e.to, diagnosticCode: 'smtp; 550 5.1.1 unknown user' }] } }, o);
const complaint = (e: Sent, o: EventOptions = {}) => sesEvent(e, 'Complaint', { complaint: { complainedRecipients: [{ emailAddress: e.to }], complaintFeedbackType: 'abuse' } }, o);

const feed = (event: SqsEvent) => createFeedback(feedbackFor(f))(event);
const stored = (emailId: string) => feedbackFor(f).tracking.getWithHistory(emailId);
const suppressed = (address: string) => feedbackFor(f).suppression.check(address);

describe('Feedback', () => {
  it('Delivery moves sent → delivered, adds history and publishes a status event', async () => {
    const e = await sent('d1@customer.example');
    expect((await feed(delivery(e))).batchItemFailures).toEqual([]);
    const s = await stored(e.emailId);
    expect(s?.record.status).toBe('delivered');
    expect(s?.record.deliveredAt).toBeTruthy();
    expect(s?.history.map((h) => h.event)).toEqual(['sent', 'delivery']);
    expect(f.published.events.filter((x) => x.emailId === e.emailId).map((x) => x.status)).toEqual(['sent', 'delivered']);
  });

  it('a repeated event changes nothing and adds no second history entry', async () => {
    const e = await sent('d2@customer.example');
    const event = delivery(e, { id: 'repeat-me' });
    await feed(event);
    await feed(event);
    expect((await stored(e.emailId))?.history.map((h) => h.event)).toEqual(['sent', 'delivery']);
    expect(f.published.events.filter((x) => x.emailId === e.emailId && x.status === 'delivered')).toHaveLength(1);
  });

  it('out of order: a late Delivery does not move a bounced email back', async () => {
    const e = await sent('ooo@customer.example');
    await feed(bounce(e, 'Permanent'));
    await feed(delivery(e));
    const s = await stored(e.emailId);
    expect(s?.record.status).toBe('bounced');
    expect(s?.history.map((h) => h.event).sort()).toEqual(['delivery', 'hard_bounce', 'sent']);
  });

  it('out of order: Open before Delivery ends as opened; a later complaint wins over both', async () => {
    const e = await sent('open@customer.example');
    await feed(sesEvent(e, 'Open', { open: { userAgent: 'Mail' } }));
    await feed(delivery(e));
    expect((await stored(e.emailId))?.record.status).toBe('opened');
    await feed(complaint(e));
    expect((await stored(e.emailId))?.record.status).toBe('complained');
  });

  it('a hard bounce suppresses the address', async () => {
    const e = await sent('hard@customer.example');
    await feed(bounce(e, 'Permanent'));
    expect(await suppressed('hard@customer.example')).toMatchObject({ reason: 'bounce', source: 'ses' });
  });

  it('a complaint suppresses the address, and a later bounce does not weaken the reason', async () => {
    const e = await sent('complainer@customer.example');
    await feed(complaint(e));
    await feed(bounce(e, 'Permanent'));
    expect(await suppressed('complainer@customer.example')).toMatchObject({ reason: 'complaint' });
  });

  it('soft bounces suppress only after 3 in a row; a repeated event counts once', async () => {
    const address = 'soft@customer.example';
    const a = await sent(address);
    const first = bounce(a, 'Transient', { id: 'soft-1' });
    await feed(first);
    await feed(first);
    const b = await sent(address);
    await feed(bounce(b, 'Transient'));
    expect(await suppressed(address)).toBeUndefined();
    const c = await sent(address);
    await feed(bounce(c, 'Transient'));
    expect(await suppressed(address)).toMatchObject({ reason: 'soft_bounce' });
    expect((await stored(c.emailId))?.record.status).toBe('soft_bounced');
  });

  it('a delivery in between resets the soft-bounce count', async () => {
    const address = 'flaky@customer.example';
    await feed(bounce(await sent(address), 'Transient'));
    await feed(bounce(await sent(address), 'Transient'));
    await feed(delivery(await sent(address)));
    await feed(bounce(await sent(address), 'Transient'));
    await feed(bounce(await sent(address), 'Transient'));
    expect(await suppressed(address)).toBeUndefined();
  });

  it('an event without the emailId tag is matched through the SES message id', async () => {
    const e = await sent('untagged@customer.example');
    await feed(delivery(e, { tagged: false }));
    expect((await stored(e.emailId))?.record.status).toBe('delivered');
  });

  it('an event for an email not recorded yet is handed back for a retry', async () => {
    const ghost = { emailId: 'not-yet', messageId: 'unknown-message', to: 'ghost@customer.example' };
    const event = delivery(ghost, { tagged: false });
    expect((await feed(event)).batchItemFailures).toEqual([{ itemIdentifier: event.Records[0].messageId }]);
  });

  it('a message that is not an SES event is dropped with a log line, not retried forever', async () => {
    expect((await feed({ Records: [{ messageId: 'junk', body: '{"detail":{"hello":1}}' }] })).batchItemFailures).toEqual([]);
  });

  it('events of another configuration set are ignored', async () => {
    const e = await sent('other@customer.example');
    const event = delivery(e);
    const body = JSON.parse(event.Records[0].body);
    body.detail.mail.tags['ses:configuration-set'] = ['someone-else'];
    await feed({ Records: [{ messageId: 'x', body: JSON.stringify(body) }] });
    expect((await stored(e.emailId))?.record.status).toBe('sent');
  });

  it('a record whose own `sent` write was lost gets SES\'s accept time and message id from the first event that proves SES took it', async () => {
    const tracking = senderFor(f).tracking;
    const lost = async (to: string) => {
      n += 1;
      const e = { emailId: `lost-sent-${n}`, messageId: `0100-lost-${n}`, to };
      // The Sender claimed it and SES accepted it, but the crash or outage took the `sent` write.
      expect((await tracking.claim({ emailId: e.emailId, eventId: `evt-${e.emailId}`, recipient: to, templateName: 'receipt' }, 1_000)).outcome).toBe('claimed');
      return e;
    };
    const accepted = new Date(Date.now() - 5_000).toISOString();

    // The Send event went missing too: the Delivery completes the record.
    const e = await lost('lost-send@customer.example');
    expect((await feed(delivery(e, { time: accepted }))).batchItemFailures).toEqual([]);
    expect((await stored(e.emailId))?.record).toMatchObject({ status: 'delivered', sesMessageId: e.messageId, sentAt: accepted, deliveredAt: accepted });

    // A Reject proves SES did not send it: no sentAt.
    const r = await lost('rejected@customer.example');
    await feed(sesEvent(r, 'Reject', { reject: { reason: 'Bad content' } }, { time: accepted }));
    expect((await stored(r.emailId))?.record).toMatchObject({ status: 'rejected' });
    expect((await stored(r.emailId))?.record.sentAt).toBeUndefined();

    // A record the Sender completed keeps its own time.
    const ok = await sent('kept@customer.example');
    const own = (await stored(ok.emailId))!.record.sentAt;
    await feed(sesEvent(ok, 'Send', { send: {} }, { time: new Date(Date.parse(own!) - 60_000).toISOString() }));
    expect((await stored(ok.emailId))?.record.sentAt).toBe(own);
  });

  it('when SES\'s Send event is processed before the Sender records `sent`, `sent` is announced once', async () => {
    n += 1;
    const emailId = `race-${n}`;
    const to = 'race@customer.example';
    const real = f.settings.clients.sesv2;
    // Feedback handles the Send event for this message before SendEmail has even returned.
    const ses = {
      send: async (command: never) => {
        const out = (await real.send(command)) as { MessageId?: string };
        await feed(sesEvent({ emailId, messageId: out.MessageId!, to }, 'Send', { send: {} }));
        return out;
      },
    };
    await createSender({ ...senderFor(f), ses: ses as unknown as Pick<SESv2Client, 'send'> })(
      batch(requestMessage({ to, templateName: 'receipt', emailId, templateData: { name: 'A', orderId: emailId, total: '1' } })),
      plentyOfTime,
    );
    expect((await stored(emailId))?.record.status).toBe('sent');
    expect(f.published.events.filter((e) => e.emailId === emailId).map((e) => [e.status, e.cause])).toEqual([['sent', 'send']]);
  });
});

/** Deletes every item of an email (record and history), as `erase` or the TTL would. */
async function gone(emailId: string) {
  const keys = await feedbackFor(f).tracking.listItemKeys(emailId);
  await documentClient(f.settings.clients.dynamodb).send(new BatchWriteCommand({ RequestItems: { [f.settings.trackingTable]: keys.map((Key) => ({ DeleteRequest: { Key } })) } }));
  expect(await stored(emailId)).toBeUndefined();
}

const at = (base: number, seconds: number) => new Date(base + seconds * 1000).toISOString();

describe('Feedback for an email whose record is gone', () => {
  it('a hard bounce still suppresses the address, is let go (not handed back) and counted as unmatched', async () => {
    const e = await sent('erased@customer.example');
    await gone(e.emailId);
    const metrics = new RecordingMetrics();
    const warnings: Array<{ event: string; fields?: Record<string, unknown> }> = [];
    const log = { info() {}, error() {}, warn: (event: string, fields?: Record<string, unknown>) => void warnings.push({ event, fields }) };
    const result = await createFeedback(feedbackFor(f, { metrics, log }))(bounce(e, 'Permanent', { attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) } }));
    expect(result.batchItemFailures).toEqual([]);
    expect(warnings).toEqual([{ event: 'feedback.unmatched', fields: expect.objectContaining({ emailId: e.emailId, sesMessageId: e.messageId, kind: 'hard_bounce' }) }]);
    expect(await suppressed('erased@customer.example')).toMatchObject({ reason: 'bounce', source: 'ses' });
    expect(metrics.points).toEqual([{ name: ENGINE_METRIC.unmatched, value: 1, dimensions: { Function: 'feedback' } }]);
    // Nothing of the erased email comes back: no record, no history entry.
    expect(await feedbackFor(f).tracking.listItemKeys(e.emailId)).toEqual([]);
  });

  it('an untagged complaint suppresses on its first receive, is retried while the index may lag, then let go', async () => {
    const e = await sent('erased-untagged@customer.example');
    await gone(e.emailId);
    const metrics = new RecordingMetrics();
    const feedback = createFeedback(feedbackFor(f, { metrics, maxReceiveCount: 8 }));
    const receive = (count: number, sentAt = Date.now()) => complaint(e, { id: 'erased-complaint', tagged: false, attributes: { ApproximateReceiveCount: String(count), SentTimestamp: String(sentAt) } });

    const first = receive(1);
    expect((await feedback(first)).batchItemFailures).toEqual([{ itemIdentifier: first.Records[0].messageId }]);
    expect(await suppressed('erased-untagged@customer.example')).toMatchObject({ reason: 'complaint' });
    expect(metrics.total(ENGINE_METRIC.retried)).toBe(1);

    expect((await feedback(receive(3))).batchItemFailures).toEqual([]);
    // A message that waited longer than the index can lag is let go on its first receive.
    expect((await feedback(receive(1, Date.now() - 20 * 60_000))).batchItemFailures).toEqual([]);
    expect(metrics.total(ENGINE_METRIC.unmatched)).toBe(2);
    expect(metrics.total(ENGINE_METRIC.retried)).toBe(1);
    expect(metrics.total(ENGINE_METRIC.deadLettered)).toBe(0);
  });

  it('never hands an unmatched event back on the receive that would dead-letter it', async () => {
    const ghost = { emailId: 'never-known', messageId: 'never-known-message', to: 'never-known@customer.example' };
    const metrics = new RecordingMetrics();
    const event = bounce(ghost, 'Permanent', { tagged: false, attributes: { ApproximateReceiveCount: '2' } });
    expect((await createFeedback(feedbackFor(f, { metrics, maxReceiveCount: 2 }))(event)).batchItemFailures).toEqual([]);
    expect(await suppressed('never-known@customer.example')).toMatchObject({ reason: 'bounce' });
    expect(metrics.total(ENGINE_METRIC.unmatched)).toBe(1);
  });

  it("the local runner's Feedback knows its queue's maxReceiveCount, as MAX_RECEIVE_COUNT tells it in AWS", async () => {
    const base = parseRunnerConfig(readFileSync(join(f.stack.stateDir, 'eventbridge', 'config.json'), 'utf8'));
    const config = { ...base, dataDir: mkdtempSync(join(tmpdir(), 'mailengine-feedback-receives-')), feedback: { ...base.feedback, maxReceiveCount: 2 } };
    const hooks = { wrapSes: (client: unknown) => client, statusEvents: { async publish() {} }, logger: () => silentLogger } as unknown as EngineHooks;
    const engine = await realEngine(config)(hooks);
    try {
      const ghost = { emailId: 'runner-never-known', messageId: 'runner-never-known-message', to: 'runner-never-known@customer.example' };
      // Handed back on an early receive (the record may still be written), let go on the last.
      expect((await engine.feedback(bounce(ghost, 'Permanent', { tagged: false, attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) } }), plentyOfTime))?.batchItemFailures).toHaveLength(1);
      expect((await engine.feedback(bounce(ghost, 'Permanent', { tagged: false, attributes: { ApproximateReceiveCount: '2', SentTimestamp: String(Date.now()) } }), plentyOfTime))?.batchItemFailures).toEqual([]);
    } finally {
      engine.close?.();
    }
  });
});

describe('Feedback counters and timestamps', () => {
  it('soft bounces count once per SES event: A, B, A is two, not three', async () => {
    const address = 'aba@customer.example';
    const a = bounce(await sent(address), 'Transient', { id: 'aba-A' });
    const b = bounce(await sent(address), 'Transient', { id: 'aba-B' });
    await feed(a);
    await feed(b);
    await feed(a);
    expect(await suppressed(address)).toBeUndefined();
    await feed(bounce(await sent(address), 'Transient', { id: 'aba-C' }));
    expect(await suppressed(address)).toMatchObject({ reason: 'soft_bounce', details: expect.objectContaining({ consecutiveSoftBounces: 3 }) });
  });

  it('a late Delivery of an older email does not reset newer soft bounces', async () => {
    const address = 'late-delivery@customer.example';
    const t = Date.now();
    const older = await sent(address);
    await feed(bounce(await sent(address), 'Transient', { time: at(t, 10) }));
    await feed(bounce(await sent(address), 'Transient', { time: at(t, 20) }));
    await feed(delivery(older, { time: at(t, 5) }));
    await feed(bounce(await sent(address), 'Transient', { time: at(t, 30) }));
    expect(await suppressed(address)).toMatchObject({ reason: 'soft_bounce' });
  });

  it('a soft bounce older than the last delivery does not count, however late it arrives', async () => {
    const address = 'late-bounce@customer.example';
    const t = Date.now();
    const late = await sent(address);
    await feed(bounce(await sent(address), 'Transient', { time: at(t, 10) }));
    await feed(delivery(await sent(address), { time: at(t, 20) }));
    await feed(bounce(late, 'Transient', { time: at(t, 15) }));
    await feed(bounce(await sent(address), 'Transient', { time: at(t, 30) }));
    await feed(bounce(await sent(address), 'Transient', { time: at(t, 40) }));
    expect(await suppressed(address)).toBeUndefined();
    await feed(bounce(await sent(address), 'Transient', { time: at(t, 50) }));
    expect(await suppressed(address)).toMatchObject({ reason: 'soft_bounce' });
  });

  it('an Open before the Delivery sets deliveredAt; the Delivery then gives its own, earlier time', async () => {
    const e = await sent('open-first@customer.example');
    const t = Date.now();
    await feed(sesEvent(e, 'Open', { open: { timestamp: at(t, 60), userAgent: 'Mail' } }, { time: at(t, 60) }));
    expect((await stored(e.emailId))?.record).toMatchObject({ status: 'opened', deliveredAt: at(t, 60) });
    await feed(delivery(e, { time: at(t, 2) }));
    expect((await stored(e.emailId))?.record).toMatchObject({ status: 'opened', deliveredAt: at(t, 2) });
  });

  it('a Click alone sets deliveredAt; a later Open does not move it', async () => {
    const e = await sent('click-only@customer.example');
    const t = Date.now();
    await feed(sesEvent(e, 'Click', { click: { timestamp: at(t, 30), link: 'https://shop.example/' } }, { time: at(t, 30) }));
    await feed(sesEvent(e, 'Open', { open: { timestamp: at(t, 40) } }, { time: at(t, 40) }));
    expect((await stored(e.emailId))?.record).toMatchObject({ status: 'clicked', deliveredAt: at(t, 30) });
  });

  it('a Click that moves the status also gives deliveredAt its earlier time (an Open processed first)', async () => {
    const e = await sent('open-then-earlier-click@customer.example');
    const t = Date.now();
    await feed(sesEvent(e, 'Open', { open: { timestamp: at(t, 40) } }, { time: at(t, 40) }));
    await feed(sesEvent(e, 'Click', { click: { timestamp: at(t, 30), link: 'https://shop.example/' } }, { time: at(t, 30) }));
    expect((await stored(e.emailId))?.record).toMatchObject({ status: 'clicked', deliveredAt: at(t, 30) });
  });
});

describe('Feedback metrics', () => {
  it('counts nothing for an event it applied', async () => {
    const metrics = new RecordingMetrics();
    expect((await createFeedback(feedbackFor(f, { metrics }))(delivery(await sent('quiet@customer.example')))).batchItemFailures).toEqual([]);
    expect(metrics.points).toEqual([]);
  });

  it('counts a message that is not an SES event as failed', async () => {
    const metrics = new RecordingMetrics();
    await createFeedback(feedbackFor(f, { metrics }))({ Records: [{ messageId: 'junk-metric', body: 'not json' }] });
    expect(metrics.points).toEqual([{ name: ENGINE_METRIC.failed, value: 1, dimensions: { Function: 'feedback' } }]);
  });

  it('counts a throttled message as retried and throttled, and as dead-lettered on its last receive', async () => {
    // DynamoDB refusing every call for its rate, as a hot partition or an exhausted table would.
    const throttled = new DynamoDBClient({ endpoint: f.stack.endpoints.dynamodb, region: f.stack.region, credentials: f.stack.credentials, maxAttempts: 1 });
    throttled.middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error('The level of configured provisioned throughput for the table was exceeded.'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
      },
      { step: 'initialize' },
    );
    const metrics = new RecordingMetrics();
    const feedback = createFeedback(feedbackFor(f, { metrics, maxReceiveCount: 3, clients: { ...f.settings.clients, dynamodb: throttled } }));
    const e = await sent('throttled@customer.example');
    const receive = (count: number) => bounce(e, 'Permanent', { id: 'throttled-bounce', attributes: { ApproximateReceiveCount: String(count) } });
    const second = receive(2);
    expect((await feedback(second)).batchItemFailures).toEqual([{ itemIdentifier: second.Records[0].messageId }]);
    expect(metrics.points.map((p) => p.name)).toEqual([ENGINE_METRIC.retried, ENGINE_METRIC.throttled]);
    await feedback(receive(3));
    expect(metrics.points.map((p) => p.name)).toEqual([ENGINE_METRIC.retried, ENGINE_METRIC.throttled, ENGINE_METRIC.retried, ENGINE_METRIC.throttled, ENGINE_METRIC.deadLettered]);
    expect(metrics.points.every((p) => p.dimensions.Function === 'feedback')).toBe(true);
    throttled.destroy();
  });
});
