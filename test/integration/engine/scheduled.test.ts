import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { documentClient } from '../../../src/engine/deps.js';
import { createWakeUps } from '../../../src/engine/schedule.js';
import { createSender } from '../../../src/engine/sender.js';
import { listReceivedEmails } from '../../../src/local/index.js';
import { wakeUpMessage } from '../../../src/model/wake-up.js';
import { scheduledShardOf } from '../../../src/tracking/record.js';
import { TrackingStore } from '../../../src/tracking/tracking-store.js';
import { batch, plentyOfTime, requestMessage, senderFor, useEngineFixture } from '../../helpers/engine-fixture.js';

/**
 * Scheduled sends against DynamoDB Local, s3rver and the SES emulator, on a clock the test moves:
 * the Sender, its tracking store and its wake-ups all read the same injected time, and a wake-up
 * "fires" when the test hands its message to the Sender, as the queue or Scheduler would.
 */
const f = useEngineFixture('scheduled');

const MINUTE = 60_000;
let ids = 0;

/** A Sender with its own clock and wake-ups that are kept, not delivered: the test fires them. */
function scheduledEngine() {
  const clock = { t: Date.now() };
  const now = () => new Date(clock.t);
  const tracking = new TrackingStore(documentClient(f.settings.clients.dynamodb), { tableName: f.settings.trackingTable, retentionDays: f.settings.retentionDays, now });
  const queued: Array<{ body: string; delayMs: number }> = [];
  const scheduled: Array<{ name: string; at: Date; body: string }> = [];
  const wakeUps = createWakeUps({
    requeue: { requeue: async (message, delayMs) => void queued.push({ body: message.body, delayMs }) },
    schedules: { create: async (s) => void scheduled.push(s) },
    now,
  });
  const send = createSender({ ...senderFor(f), tracking, wakeUps, now });
  let fired = 0;
  return {
    clock,
    now,
    tracking,
    queued,
    scheduled,
    send: (message: { messageId: string; body: string }) => send(batch(message), plentyOfTime),
    /** Delivers a wake-up body to the Sender, as the queue would once its delay or schedule ran out. */
    fire: (body: string) => send(batch({ messageId: `wake-${++fired}`, body }), plentyOfTime),
  };
}

const order = (emailId: string, sendAt?: string) => ({
  to: `${emailId}@customer.example`,
  templateName: 'receipt',
  emailId,
  templateData: { name: 'Ada', orderId: emailId, total: '€12.00' },
  ...(sendAt !== undefined ? { sendAt } : {}),
});
const newId = (label: string) => `sched-${label}-${process.pid}-${++ids}`;
const mailsTo = async (emailId: string) => (await listReceivedEmails(f.stack.endpoints.sesv2)).filter((m) => m.to.includes(`${emailId}@customer.example`));
const iso = (ms: number) => new Date(ms).toISOString();

describe('scheduled sends', () => {
  it('a request two hours ahead is `scheduled`, listed, held until its schedule fires, then sent', async () => {
    const e = scheduledEngine();
    const id = newId('later');
    const sendAt = e.clock.t + 120 * MINUTE;
    expect((await e.send(requestMessage(order(id, iso(sendAt))))).batchItemFailures).toEqual([]);

    const record = await e.tracking.get(id);
    expect(record).toMatchObject({ status: 'scheduled', sendAt: iso(sendAt), scheduledShard: scheduledShardOf(id), attempts: 0 });
    expect(record?.pendingRequest).toContain(id);
    // Its retention counts from sendAt: it cannot expire before it is sent.
    expect(record!.expiresAt).toBeGreaterThanOrEqual(Math.floor(sendAt / 1000) + f.settings.retentionDays * 86_400);
    const items = await f.settings.clients.dynamodb.send(new QueryCommand({ TableName: f.settings.trackingTable, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `EMAIL#${id}` } } }));
    // Its history too: the `scheduled` entry is there as long as the record.
    expect(items.Items).toHaveLength(2);
    for (const item of items.Items ?? []) expect(Number(item.expiresAt.N)).toBeGreaterThanOrEqual(Math.floor(sendAt / 1000) + f.settings.retentionDays * 86_400);
    const listed = await e.tracking.listScheduledShard(scheduledShardOf(id), { limit: 200 });
    expect(listed.records.map((r) => r.emailId)).toContain(id);
    expect(await mailsTo(id)).toHaveLength(0);
    // More than 15 minutes ahead: a one-time schedule, not a queue delay.
    expect(e.queued).toHaveLength(0);
    expect(e.scheduled).toHaveLength(1);
    expect(e.scheduled[0].at.getTime()).toBe(sendAt);

    e.clock.t = sendAt;
    expect((await e.fire(e.scheduled[0].body)).batchItemFailures).toEqual([]);
    expect(await mailsTo(id)).toHaveLength(1);
    const sent = await e.tracking.getWithHistory(id);
    expect(sent?.record).toMatchObject({ status: 'sent', attempts: 1, sendAt: iso(sendAt) });
    expect(sent?.record.pendingRequest).toBeUndefined();
    expect(sent?.record.scheduledShard).toBeUndefined();
    expect(sent?.history.map((h) => h.event)).toEqual(['scheduled', 'sent']);
    const after = await e.tracking.listScheduledShard(scheduledShardOf(id), { limit: 200 });
    expect(after.records.map((r) => r.emailId)).not.toContain(id);
  });

  it('within 15 minutes the wake-up is a delayed message on the send queue', async () => {
    const e = scheduledEngine();
    const id = newId('soon');
    await e.send(requestMessage(order(id, iso(e.clock.t + 10 * MINUTE))));
    expect(e.scheduled).toHaveLength(0);
    expect(e.queued).toHaveLength(1);
    expect(e.queued[0].delayMs).toBe(10 * MINUTE);
    e.clock.t += 10 * MINUTE;
    await e.fire(e.queued[0].body);
    expect(await mailsTo(id)).toHaveLength(1);
  });

  it('a wake-up that comes early (the email was moved later) sends nothing and sets another for the new time', async () => {
    const e = scheduledEngine();
    const id = newId('stale');
    const first = e.clock.t + 60 * MINUTE;
    await e.send(requestMessage(order(id, iso(first))));
    const later = first + 90 * MINUTE;
    expect((await e.tracking.reschedule(id, iso(later))).moved).toBe(true);

    e.clock.t = first;
    expect((await e.fire(e.scheduled[0].body)).batchItemFailures).toEqual([]);
    expect(await mailsTo(id)).toHaveLength(0);
    expect((await e.tracking.get(id))?.status).toBe('scheduled');
    expect(e.scheduled).toHaveLength(2);
    expect(e.scheduled[1].at.getTime()).toBe(later);

    e.clock.t = later;
    await e.fire(e.scheduled[1].body);
    expect(await mailsTo(id)).toHaveLength(1);
    expect(await e.tracking.get(id)).toMatchObject({ status: 'sent', sendAt: iso(later) });
  });

  it('rescheduled earlier, it goes out at the new time, and the old wake-up later finds it sent and drops', async () => {
    const e = scheduledEngine();
    const id = newId('earlier');
    const first = e.clock.t + 120 * MINUTE;
    await e.send(requestMessage(order(id, iso(first))));
    const earlier = e.clock.t + 30 * MINUTE;
    await e.tracking.reschedule(id, iso(earlier));

    e.clock.t = earlier;
    // The wake-up a reschedule publishes: just the emailId.
    await e.fire(wakeUpMessage(id, e.now()));
    expect(await mailsTo(id)).toHaveLength(1);
    e.clock.t = first;
    expect((await e.fire(e.scheduled[0].body)).batchItemFailures).toEqual([]);
    expect(await mailsTo(id)).toHaveLength(1);
  });

  it('cancelled before it fires: `cancelled`, the request is dropped, and the wake-up sends nothing', async () => {
    const e = scheduledEngine();
    const id = newId('cancel-before');
    const sendAt = e.clock.t + 60 * MINUTE;
    await e.send(requestMessage(order(id, iso(sendAt))));
    e.clock.t = sendAt - 1_000;
    const out = await e.tracking.cancelScheduled(id);
    expect(out.cancelled).toBe(true);
    expect(out.record).toMatchObject({ status: 'cancelled' });
    expect(out.record?.pendingRequest).toBeUndefined();
    expect(out.record?.scheduledShard).toBeUndefined();

    e.clock.t = sendAt;
    expect((await e.fire(e.scheduled[0].body)).batchItemFailures).toEqual([]);
    expect(await mailsTo(id)).toHaveLength(0);
    expect((await e.tracking.get(id))?.status).toBe('cancelled');
  });

  it('cancelled just after it fired: the cancel is refused with the record as it is, and the email is sent once', async () => {
    const e = scheduledEngine();
    const id = newId('cancel-after');
    const sendAt = e.clock.t + 60 * MINUTE;
    await e.send(requestMessage(order(id, iso(sendAt))));
    e.clock.t = sendAt;
    await e.fire(e.scheduled[0].body);
    const out = await e.tracking.cancelScheduled(id);
    expect(out.cancelled).toBe(false);
    expect(out.record?.status).toBe('sent');
    expect(await mailsTo(id)).toHaveLength(1);
  });

  it('a cancel racing the wake-up at the moment it fires: exactly one wins, never both', async () => {
    const e = scheduledEngine();
    const sendAt = e.clock.t + 60 * MINUTE;
    const emails = Array.from({ length: 6 }, (_, i) => newId(`race-${i}`));
    for (const id of emails) await e.send(requestMessage(order(id, iso(sendAt))));
    e.clock.t = sendAt;
    const results = await Promise.all(
      emails.map(async (id, i) => {
        const wake = e.scheduled.find((s) => s.body.includes(`"${id}"`))!.body;
        const [cancel] = await Promise.all([e.tracking.cancelScheduled(id), e.fire(wake)]);
        return { id, cancelled: cancel.cancelled, i };
      }),
    );
    for (const r of results) {
      const record = await e.tracking.get(r.id);
      const mails = await mailsTo(r.id);
      if (r.cancelled) {
        expect(record?.status).toBe('cancelled');
        expect(mails).toHaveLength(0);
      } else {
        expect(record?.status).toBe('sent');
        expect(mails).toHaveLength(1);
      }
    }
  });

  it('a sendAt in the past sends now, without a wake-up', async () => {
    const e = scheduledEngine();
    const id = newId('past');
    await e.send(requestMessage(order(id, '2020-01-01T00:00:00Z')));
    expect(e.scheduled).toHaveLength(0);
    expect(e.queued).toHaveLength(0);
    expect(await mailsTo(id)).toHaveLength(1);
    expect((await e.tracking.get(id))?.status).toBe('sent');
  });

  it('a malformed sendAt is an invalid_request failed record, and nothing is sent or scheduled', async () => {
    const e = scheduledEngine();
    const id = newId('malformed');
    expect((await e.send(requestMessage(order(id, 'next tuesday')))).batchItemFailures).toEqual([]);
    expect(await e.tracking.get(id)).toMatchObject({ status: 'failed', errorType: 'invalid_request', recipient: `${id}@customer.example` });
    expect(e.scheduled).toHaveLength(0);
    expect(await mailsTo(id)).toHaveLength(0);
  });

  it('a redelivered scheduled request sets its wake-up again (a crash may have lost it) and creates nothing else', async () => {
    const e = scheduledEngine();
    const id = newId('redelivered');
    const message = requestMessage(order(id, iso(e.clock.t + 60 * MINUTE)));
    await e.send(message);
    await e.send(message);
    expect(e.scheduled.map((s) => s.name)).toEqual([e.scheduled[0].name, e.scheduled[0].name]);
    const stored = await e.tracking.getWithHistory(id);
    expect(stored?.record.status).toBe('scheduled');
    expect(stored?.history.map((h) => h.event)).toEqual(['scheduled']);
  });

  it('another request with a scheduled email’s emailId is a duplicate and leaves the schedule alone', async () => {
    const e = scheduledEngine();
    const id = newId('dup');
    await e.send(requestMessage(order(id, iso(e.clock.t + 60 * MINUTE))));
    await e.send(requestMessage(order(id)));
    expect(await mailsTo(id)).toHaveLength(0);
    const stored = await e.tracking.getWithHistory(id);
    expect(stored?.record.status).toBe('scheduled');
    expect(stored?.history.map((h) => h.event).sort()).toEqual(['duplicate_ignored', 'scheduled']);
  });

  it('a wake-up for an email that does not exist is dropped, not retried', async () => {
    const e = scheduledEngine();
    expect((await e.fire(wakeUpMessage(newId('nobody'), e.now()))).batchItemFailures).toEqual([]);
  });
});
