import type { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../src/engine/deps.js';
import { MailengineError } from '../../../src/errors.js';
import { lookupEmails, planLookup } from '../../../src/operations/lookup.js';
import { cancelScheduledEmail, parseAtOption, rescheduleEmail } from '../../../src/operations/schedule/manage.js';
import { parseWakeUp } from '../../../src/model/wake-up.js';
import { TrackingStore } from '../../../src/tracking/tracking-store.js';
import { useEngineFixture } from '../../helpers/engine-fixture.js';

/**
 * `status lookup --status scheduled`, `send cancel` and `send reschedule` as operations, on
 * DynamoDB Local: the listing reads the sparse by-send-at index shard by shard (Query, never Scan).
 */
const f = useEngineFixture('schedule-ops', { receipt: false });
let tracking: TrackingStore;
const WHERE = 'on the test stack';
const START = Date.now() + 3_600_000;

beforeAll(async () => {
  tracking = new TrackingStore(documentClient(f.settings.clients.dynamodb), { tableName: f.settings.trackingTable, retentionDays: 30 });
  // 25 scheduled emails, a minute apart, created in scrambled order, and one already on its way.
  const order = Array.from({ length: 25 }, (_, i) => (i * 7) % 25);
  for (const i of order) {
    await tracking.recordScheduled({ emailId: `pending-${String(i).padStart(2, '0')}`, eventId: `e-${i}`, recipient: `p${i}@customer.example`, templateName: 'receipt' }, new Date(START + i * 60_000).toISOString(), '{}');
  }
  // Due a second ago and taken by its wake-up: on its way to SES, no longer scheduled.
  await tracking.recordScheduled({ emailId: 'was-sent', eventId: 'e-sent', recipient: 'sent@customer.example' }, new Date(Date.now() - 1000).toISOString(), '{}');
  expect(await tracking.takeDue('was-sent')).toMatchObject({ status: 'queued' });
}, 60_000);

async function failure(promise: Promise<unknown>): Promise<MailengineError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof MailengineError) return err;
    throw err;
  }
  throw new Error('expected a MailengineError');
}

const recordingEvents = () => {
  const entries: Array<{ Detail?: string; DetailType?: string; EventBusName?: string }> = [];
  return {
    entries,
    send: async (command: PutEventsCommand) => {
      entries.push(...(command.input.Entries ?? []));
      return { FailedEntryCount: 0, Entries: [{ EventId: `wake-${entries.length}` }] };
    },
  };
};

describe('status lookup --status scheduled', () => {
  it('lists every scheduled email once, soonest first, a page at a time across the index shards', async () => {
    const seen: string[] = [];
    let result = await lookupEmails(tracking, planLookup({ status: 'scheduled', limit: 10 }), WHERE);
    expect(result.query).toEqual({ by: 'scheduled', limit: 10 });
    seen.push(...result.emails.map((e) => e.emailId));
    while (result.next) {
      result = await lookupEmails(tracking, planLookup({ next: result.next }), WHERE);
      seen.push(...result.emails.map((e) => e.emailId));
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `pending-${String(i).padStart(2, '0')}`));
    expect(result.emails[0].sendAt).toBeDefined();
  });

  it('accepts only `scheduled` (exit 2 for any other status) and is one way of looking among the others', () => {
    expect(() => planLookup({ status: 'sent' })).toThrow(/only `--status scheduled`/);
    expect(() => planLookup({ status: 'scheduled', recipient: 'a@b.example' })).toThrow(/not several/);
  });
});

describe('send cancel / send reschedule', () => {
  it('cancel: scheduled → cancelled (exit 0), again: already cancelled, a sent one: exit 1 saying what it is, unknown: exit 4', async () => {
    const done = await cancelScheduledEmail(tracking, 'pending-24', WHERE);
    expect(done).toMatchObject({ emailId: 'pending-24', status: 'cancelled', alreadyCancelled: false, sendAt: new Date(START + 24 * 60_000).toISOString() });
    expect(await cancelScheduledEmail(tracking, 'pending-24', WHERE)).toMatchObject({ alreadyCancelled: true });

    const sent = await failure(cancelScheduledEmail(tracking, 'was-sent', WHERE));
    expect(sent).toMatchObject({ code: 'EMAIL_NOT_SCHEDULED', exitCode: 1 });
    expect(sent.message).toMatch(/was-sent on the test stack is queued, not scheduled: it cannot be cancelled/);
    expect(await failure(cancelScheduledEmail(tracking, 'nobody', WHERE))).toMatchObject({ code: 'EMAIL_NOT_FOUND', exitCode: 4 });
    expect(await failure(cancelScheduledEmail(tracking, 'bad id', WHERE))).toMatchObject({ code: 'INVALID_EMAIL_ID', exitCode: 2 });
  });

  it('reschedule: moves sendAt and its expiry by as much, and publishes a wake-up for the email on the bus', async () => {
    const before = await tracking.get('pending-23');
    const events = recordingEvents();
    const at = new Date(START + 2 * 86_400_000).toISOString();
    const result = await rescheduleEmail({ tracking, events, eventBusName: 'test-bus', where: WHERE }, 'pending-23', at);
    expect(result).toMatchObject({ emailId: 'pending-23', status: 'scheduled', sendAt: at, previousSendAt: before?.sendAt, wakeUpEventId: 'wake-1' });
    const after = await tracking.get('pending-23');
    expect(after?.expiresAt).toBe(before!.expiresAt + (Date.parse(at) - Date.parse(before!.sendAt!)) / 1000);
    expect(events.entries).toHaveLength(1);
    expect(events.entries[0]).toMatchObject({ EventBusName: 'test-bus', DetailType: 'Email Request' });
    expect(parseWakeUp(JSON.stringify({ id: 'x', 'detail-type': 'Email Request', detail: JSON.parse(events.entries[0].Detail!) }))).toMatchObject({ emailId: 'pending-23' });

    const notScheduled = await failure(rescheduleEmail({ tracking, events, eventBusName: 'test-bus', where: WHERE }, 'pending-24', at));
    expect(notScheduled).toMatchObject({ code: 'EMAIL_NOT_SCHEDULED', exitCode: 1 });
    expect(events.entries).toHaveLength(1);
  });

  it('--at takes ISO 8601 with an offset or +10m/+2h/+3d, and refuses anything else or beyond 365 days (exit 2)', () => {
    const now = new Date('2026-12-01T10:00:00Z');
    expect(parseAtOption('+10m', now)).toBe('2026-12-01T10:10:00.000Z');
    expect(parseAtOption('2026-12-24T09:00:00+01:00', now)).toBe('2026-12-24T08:00:00.000Z');
    expect(() => parseAtOption('tomorrow', now)).toThrow(/is not a time/);
    expect(() => parseAtOption('2026-12-24T09:00:00', now)).toThrow(/is not a time/);
    expect(() => parseAtOption('+400d', now)).toThrow(/more than 365 days/);
  });
});
