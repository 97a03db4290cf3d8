import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STATUS_RANK } from '../../src/model/statuses.js';
import { RECORD_SORT_KEY, TRACKING_TABLE, emailPk, historySk } from '../../src/model/tables.js';
import { dayShardOf, expiryFor, type HistoryEntry, type TrackingRecord } from '../../src/tracking/record.js';
import { mapConcurrent } from '../../src/util/pool.js';
import { sleep } from '../../src/util/sleep.js';

export interface SeedEmail {
  emailId: string;
  recipient: string;
  /** ISO time the request was made. */
  createdAt: string;
}

/** History events of a delivered email, in the order the engine writes them. */
const HISTORY: Array<HistoryEntry['event'] & TrackingRecord['status']> = ['sent', 'delivered'];

/** Items per email that `trackingItems` writes: the record and its history entries. */
export const ITEMS_PER_EMAIL = 1 + HISTORY.length;

/**
 * The items the engine leaves for one delivered email, in the shapes `src/tracking/record.ts`
 * defines: the record (with the index attributes) and one history entry per status change.
 */
export function trackingItems(email: SeedEmail, now = new Date()): Array<Record<string, unknown>> {
  const key = { [TRACKING_TABLE.partitionKey]: emailPk(email.emailId) };
  const eventId = `bench-${email.emailId}`;
  const at = (offsetMs: number) => new Date(Date.parse(email.createdAt) + offsetMs).toISOString();
  const record: TrackingRecord = {
    emailId: email.emailId,
    recipient: email.recipient,
    templateName: 'welcome',
    status: 'delivered',
    statusRank: STATUS_RANK.delivered,
    createdAt: email.createdAt,
    updatedAt: at(800),
    dayShard: dayShardOf(email.emailId, email.createdAt),
    attempts: 1,
    sesMessageId: `msg-${email.emailId}`,
    sentAt: at(300),
    deliveredAt: at(800),
    source: 'bench.seed',
    eventId,
    subject: 'Welcome aboard',
    fromAddress: 'noreply@example.com',
    expiresAt: expiryFor(now, 90),
  };
  const history = HISTORY.map((event, i) => {
    const time = at(300 + 500 * i);
    const entry: HistoryEntry = { emailId: email.emailId, event, status: event, time, eventId: `${eventId}:${event}` };
    return { ...key, [TRACKING_TABLE.sortKey]: historySk(time, entry.eventId), ...entry, expiresAt: record.expiresAt };
  });
  return [{ ...key, [TRACKING_TABLE.sortKey]: RECORD_SORT_KEY, ...record }, ...history];
}

/**
 * Writes items with BatchWriteItem (25 a request, several requests at once), sending back what
 * DynamoDB leaves unprocessed, as any bulk loader must.
 */
export async function batchWrite(db: DynamoDBDocumentClient, table: string, items: Array<Record<string, unknown>>, concurrency = 6): Promise<void> {
  const chunks: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  await mapConcurrent(chunks, concurrency, async (chunk) => {
    let requests = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 10) throw new Error('BatchWriteItem kept leaving items unprocessed');
      if (attempt > 0) await sleep(50 * attempt);
      const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
    }
  });
}

/** Writes `emails` as the engine would have left them (record and history each). */
export async function seedEmails(db: DynamoDBDocumentClient, table: string, emails: SeedEmail[]): Promise<void> {
  const now = new Date();
  await batchWrite(db, table, emails.flatMap((e) => trackingItems(e, now)));
}
