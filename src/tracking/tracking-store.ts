import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { canonicalTime } from '../model/event-time.js';
import { isConditionFailure } from '../aws/error-names.js';
import { RECORD_SORT_KEY, TRACKING_TABLE, emailPk, historySk } from '../model/tables.js';
import { DELIVERED_STATUSES, STATUS_RANK, supersedesCondition, type EmailStatus } from '../model/statuses.js';
import { dayShardOf, expiryFor, scheduledShardOf, type HistoryEntry, type TrackingRecord } from './record.js';
import { readPage } from '../util/paging.js';
import { cancelScheduledUpdate, rescheduleUpdate, RESCHEDULE_TRIES } from '../model/schedule-writes.js';

export interface TrackingStoreOptions {
  tableName: string;
  retentionDays: number;
  now?: () => Date;
}

/**
 * What a claim found: `claimed` (this delivery may send), `busy` (another delivery of the same
 * request holds a live claim: try again later, never drop it), or `taken` (the emailId belongs to
 * an email that is done, or to another request).
 */
export type ClaimResult = { outcome: 'claimed'; record: TrackingRecord } | { outcome: 'busy'; record: TrackingRecord } | { outcome: 'taken'; record: TrackingRecord };

/** A DynamoDB key that positions a query (its LastEvaluatedKey / ExclusiveStartKey). */
export type PageKey = Record<string, unknown>;

/** Records in index order, and where the next page starts when there is one. */
export interface RecordPage {
  records: TrackingRecord[];
  next?: PageKey;
}

/** The primary key of one tracking item (an email record or a history entry). */
export interface ItemKey {
  pk: string;
  sk: string;
}

export interface NewRecord {
  emailId: string;
  eventId: string;
  recipient?: string;
  templateName?: string;
  source?: string;
  subject?: string;
  fromAddress?: string;
  tags?: Record<string, string>;
  metadata?: Record<string, unknown>;
  requestedAt?: string;
  /** Object keys of the request's attachments (for erasure). */
  attachmentKeys?: string[];
}


/**
 * Reads and writes tracking records and their history. Every write that could race (a claim, a
 * status change, a history entry) is conditional, so concurrent or repeated deliveries of the
 * same request or SES event leave exactly one result.
 */
export class TrackingStore {
  private readonly now: () => Date;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: TrackingStoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  private get table() {
    return this.options.tableName;
  }

  private key(emailId: string) {
    return { [TRACKING_TABLE.partitionKey]: emailPk(emailId), [TRACKING_TABLE.sortKey]: RECORD_SORT_KEY };
  }

  private base(input: NewRecord, status: EmailStatus, now: Date): Record<string, unknown> {
    const createdAt = input.requestedAt ?? now.toISOString();
    const record: Partial<TrackingRecord> = {
      emailId: input.emailId,
      recipient: input.recipient,
      templateName: input.templateName,
      source: input.source,
      eventId: input.eventId,
      subject: input.subject,
      fromAddress: input.fromAddress,
      tags: input.tags && Object.keys(input.tags).length ? input.tags : undefined,
      metadata: input.metadata,
      attachmentKeys: input.attachmentKeys?.length ? input.attachmentKeys : undefined,
      status,
      statusRank: STATUS_RANK[status],
      createdAt,
      updatedAt: now.toISOString(),
      dayShard: dayShardOf(input.emailId, createdAt),
      attempts: 0,
      expiresAt: expiryFor(now, this.options.retentionDays),
    };
    return { ...this.key(input.emailId), ...stripUndefined(record) };
  }

  /**
   * Takes the right to send `input.emailId`. The first request creates the record in `sending`
   * with a lease. A later delivery of the *same* event (an SQS retry) may take it over once the
   * previous holder released it or its lease ran out, and only while SES has not accepted the
   * email (no `sesMessageId`); while the lease is live it is `busy`. Any other request for the
   * same emailId finds it `taken`.
   */
  async claim(input: NewRecord, leaseMs: number): Promise<ClaimResult> {
    const now = this.now();
    const leaseUntil = now.getTime() + leaseMs;
    const item = { ...this.base(input, 'sending', now), attempts: 1, leaseUntil };
    if (await this.putIfAbsent(item)) return { outcome: 'claimed', record: item as unknown as TrackingRecord };
    const existing = await this.get(input.emailId);
    if (!existing) return this.claim(input, leaseMs);
    if (existing.eventId !== input.eventId || existing.sesMessageId || (existing.status !== 'queued' && existing.status !== 'sending')) return { outcome: 'taken', record: existing };
    if (existing.status === 'sending' && (existing.leaseUntil ?? 0) >= now.getTime()) return { outcome: 'busy', record: existing };
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(input.emailId),
          UpdateExpression: 'SET #s = :sending, statusRank = :rank, leaseUntil = :lease, attempts = attempts + :one, updatedAt = :now',
          ConditionExpression: 'eventId = :eventId AND #s = :seen AND attempts = :attempts AND attribute_not_exists(sesMessageId)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':sending': 'sending',
            ':rank': STATUS_RANK.sending,
            ':lease': leaseUntil,
            ':one': 1,
            ':now': now.toISOString(),
            ':eventId': input.eventId,
            ':seen': existing.status,
            ':attempts': existing.attempts,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { outcome: 'claimed', record: out.Attributes as TrackingRecord };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      // Someone else moved it in between: look again (a concurrent delivery now holds it, or it is done).
      const now2 = await this.get(input.emailId);
      const record = now2 ?? existing;
      const live = record.status === 'sending' && record.eventId === input.eventId && !record.sesMessageId;
      return { outcome: live ? 'busy' : 'taken', record };
    }
  }

  /** Records a request that can never be sent. Idempotent: a second call changes nothing. */
  async recordFinal(input: NewRecord, status: 'failed' | 'suppressed', errorType: string, errorMessage: string): Promise<boolean> {
    const now = this.now();
    return this.putIfAbsent({ ...this.base(input, status, now), errorType, errorMessage: errorMessage.slice(0, 2000) });
  }

  /** Writes `item` unless an item with its key exists; returns whether it wrote. */
  private async putIfAbsent(item: Record<string, unknown>): Promise<boolean> {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * After a successful SendEmail: one write that stores SES's message id and moves the status to
   * `sent`. When a fast SES event already moved it further, only the message id and time are
   * added. Returns whether this moved the status.
   */
  async markSent(emailId: string, sesMessageId: string): Promise<boolean> {
    const now = this.now().toISOString();
    const precedence = supersedesCondition('sent', { ifUnranked: false });
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(emailId),
          UpdateExpression: 'SET sesMessageId = :mid, sentAt = :now, updatedAt = :now, #s = :sent, statusRank = :rank REMOVE leaseUntil, lastError, pendingRequest',
          ConditionExpression: `attribute_exists(pk) AND ${precedence.condition}`,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':mid': sesMessageId, ':now': now, ':sent': 'sent', ...precedence.values },
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(emailId),
        UpdateExpression: 'SET sesMessageId = if_not_exists(sesMessageId, :mid), sentAt = if_not_exists(sentAt, :now), updatedAt = :now REMOVE leaseUntil, lastError, pendingRequest',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':mid': sesMessageId, ':now': now },
      }),
    );
    return false;
  }

  /** A claimed email that ended in a permanent failure after it was claimed. */
  async markFinal(emailId: string, status: 'failed' | 'suppressed', errorType: string, errorMessage: string): Promise<void> {
    const now = this.now().toISOString();
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(emailId),
        UpdateExpression: 'SET #s = :status, statusRank = :rank, errorType = :type, errorMessage = :message, updatedAt = :now REMOVE leaseUntil, pendingRequest, scheduledShard',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':status': status, ':rank': STATUS_RANK[status], ':type': errorType, ':message': errorMessage.slice(0, 2000), ':now': now },
      }),
    );
  }

  /**
   * Gives the claim back so a later delivery of the message can try again. `countAttempt: false`
   * (sending is paused) also takes back the attempt, so a pause leaves no trace on the record.
   */
  async release(emailId: string, options: { lastError?: string; countAttempt: boolean }): Promise<void> {
    const sets = ['#s = :queued', 'statusRank = :rank', 'updatedAt = :now'];
    const values: Record<string, unknown> = { ':queued': 'queued', ':rank': STATUS_RANK.queued, ':now': this.now().toISOString(), ':sending': 'sending' };
    if (options.lastError) {
      sets.push('lastError = :err');
      values[':err'] = options.lastError.slice(0, 1000);
    }
    if (!options.countAttempt) {
      sets.push('attempts = attempts - :one');
      values[':one'] = 1;
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(emailId),
          UpdateExpression: `SET ${sets.join(', ')} REMOVE leaseUntil`,
          ConditionExpression: '#s = :sending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** One more SendEmail call is about to be made within the same invocation. */
  async noteAttempt(emailId: string, lastError: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(emailId),
        UpdateExpression: 'SET attempts = attempts + :one, lastError = :err, updatedAt = :now',
        ExpressionAttributeValues: { ':one': 1, ':err': lastError.slice(0, 1000), ':now': this.now().toISOString() },
      }),
    );
  }

  /**
   * Moves the status forward if `status` outranks the current one (the precedence rule in
   * src/model/statuses.ts). Returns whether it changed. A status that proves delivery sets
   * `deliveredAt` to the earliest such event's time, whether or not the status moved (an Open
   * may arrive before its Delivery).
   */
  async moveStatus(emailId: string, status: EmailStatus, isoTime: string, extra: Record<string, unknown> = {}): Promise<boolean> {
    const precedence = supersedesCondition(status, { ifUnranked: true });
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, unknown> = { ':status': status, ...precedence.values, ':now': this.now().toISOString() };
    const sets = ['#s = :status', 'statusRank = :rank', 'updatedAt = :now'];
    Object.entries(extra).forEach(([name, value], i) => {
      if (value === undefined) return;
      names[`#x${i}`] = name;
      values[`:x${i}`] = value;
      sets.push(`#x${i} = :x${i}`);
    });
    const deliveredAt = DELIVERED_STATUSES.has(status) ? canonicalTime(isoTime) : undefined;
    if (deliveredAt) {
      sets.push('deliveredAt = if_not_exists(deliveredAt, :time)');
      values[':time'] = deliveredAt;
    }
    let moved = false;
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(emailId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(pk) AND ${precedence.condition}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ...(deliveredAt ? { ReturnValues: 'ALL_OLD' as const } : {}),
        }),
      );
      moved = true;
      // Usually the earlier event set it; an Open processed before an earlier Click is the exception.
      const before = out.Attributes?.deliveredAt as string | undefined;
      if (deliveredAt && (before === undefined || canonicalTime(before) <= deliveredAt)) return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    if (deliveredAt) await this.noteDelivered(emailId, deliveredAt);
    return moved;
  }

  /** Sets `deliveredAt` unless it already holds an earlier time. */
  private async noteDelivered(emailId: string, time: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(emailId),
          UpdateExpression: 'SET deliveredAt = :time',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(deliveredAt) OR deliveredAt > :time)',
          ExpressionAttributeValues: { ':time': time },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  // ------------------------------------------------------------ scheduled sends
  // The record is the schedule: `scheduled` with its `sendAt`, and the request it will send. The
  // wake-ups (SQS delays, EventBridge Scheduler) only prompt the Sender to look; every move out of
  // `scheduled` is one conditional write, so a cancel and a firing wake-up cannot both win.

  /**
   * Records a request that waits for `sendAt`, with the request message itself. Its retention
   * counts from `sendAt`, so it cannot expire before it is sent. False when the emailId exists.
   */
  async recordScheduled(input: NewRecord, sendAt: string, pendingRequest: string): Promise<boolean> {
    const now = this.now();
    return this.putIfAbsent({
      ...this.base(input, 'scheduled', now),
      sendAt,
      scheduledShard: scheduledShardOf(input.emailId),
      pendingRequest,
      expiresAt: expiryFor(new Date(Math.max(now.getTime(), Date.parse(sendAt))), this.options.retentionDays),
    });
  }

  /**
   * A wake-up's claim on a scheduled email: `scheduled` → `queued`, only while it is still
   * scheduled and its `sendAt` has come. Returns the record as it now is, or undefined when the
   * condition failed (cancelled, moved later, or already taken by another wake-up).
   */
  async takeDue(emailId: string): Promise<TrackingRecord | undefined> {
    const now = this.now().toISOString();
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(emailId),
          UpdateExpression: 'SET #s = :queued, statusRank = :rank, updatedAt = :now REMOVE scheduledShard',
          ConditionExpression: '#s = :scheduled AND sendAt <= :now',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':queued': 'queued', ':rank': STATUS_RANK.queued, ':now': now, ':scheduled': 'scheduled' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as TrackingRecord;
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  /**
   * `scheduled` → `cancelled` in one conditional write; the request it held is dropped. Returns
   * the record after the write, or, when the email was not scheduled (any more), as it is.
   */
  async cancelScheduled(emailId: string): Promise<{ cancelled: boolean; record?: TrackingRecord }> {
    try {
      const out = await this.db.send(new UpdateCommand(cancelScheduledUpdate(this.table, emailId, this.now().toISOString())));
      return { cancelled: true, record: out.Attributes as TrackingRecord };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return { cancelled: false, record: await this.get(emailId) };
    }
  }

  /**
   * Moves a scheduled email's `sendAt`, only while it is scheduled. Its expiry moves by as much,
   * so it keeps the retention the Sender gave it after sendAt (whoever reschedules need not know it).
   */
  async reschedule(emailId: string, sendAt: string): Promise<{ moved: boolean; record?: TrackingRecord; previousSendAt?: string }> {
    for (let tries = 1; ; tries++) {
      const record = await this.get(emailId);
      if (!record || record.status !== 'scheduled' || !record.sendAt) return { moved: false, record };
      try {
        const out = await this.db.send(new UpdateCommand(rescheduleUpdate(this.table, emailId, { sendAt, was: record.sendAt, now: this.now().toISOString() })));
        return { moved: true, record: out.Attributes as TrackingRecord, previousSendAt: record.sendAt };
      } catch (err) {
        // Fired, cancelled or moved by someone else in between: read it again.
        if (!isConditionFailure(err) || tries >= RESCHEDULE_TRIES) throw err;
      }
    }
  }

  /** One shard of the by-send-at index, soonest first: the scheduled emails waiting in it. */
  async listScheduledShard(shard: string, page: { limit: number; startKey?: PageKey }): Promise<RecordPage> {
    return this.queryIndex(TRACKING_TABLE.indexes.bySendAt, { keyCondition: '#k = :k', values: { ':k': shard } }, page, 'ascending');
  }

  /** Adds one history entry; false when that event was already recorded (a repeat). */
  async addHistory(entry: HistoryEntry): Promise<boolean> {
    const item = stripUndefined({
      [TRACKING_TABLE.partitionKey]: emailPk(entry.emailId),
      [TRACKING_TABLE.sortKey]: historySk(entry.keyTime ?? entry.time, entry.eventId),
      emailId: entry.emailId,
      event: entry.event,
      status: entry.status,
      time: entry.time,
      eventId: entry.eventId,
      details: entry.details && Object.keys(stripUndefined(entry.details)).length ? stripUndefined(entry.details) : undefined,
      expiresAt: expiryFor(new Date(Math.max(this.now().getTime(), entry.keepFrom ? Date.parse(entry.keepFrom) || 0 : 0)), this.options.retentionDays),
    });
    return this.putIfAbsent(item);
  }

  async get(emailId: string): Promise<TrackingRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: this.key(emailId), ConsistentRead: true }));
    return out.Item as TrackingRecord | undefined;
  }

  /** The record and its history, oldest entry first. */
  async getWithHistory(emailId: string): Promise<{ record: TrackingRecord; history: HistoryEntry[] } | undefined> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': emailPk(emailId) },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      items.push(...((out.Items ?? []) as Record<string, unknown>[]));
      start = out.LastEvaluatedKey;
    } while (start);
    const record = items.find((i) => i.sk === RECORD_SORT_KEY) as TrackingRecord | undefined;
    if (!record) return undefined;
    const history = (items.filter((i) => i.sk !== RECORD_SORT_KEY) as unknown as HistoryEntry[]).sort((a, b) => a.time.localeCompare(b.time));
    return { record, history };
  }

  /** The emailId SES's message id belongs to (the by-message-id index is eventually consistent). */
  async findEmailIdByMessageId(messageId: string): Promise<string | undefined> {
    const index = TRACKING_TABLE.indexes.byMessageId;
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: index.name,
        KeyConditionExpression: '#k = :id',
        ExpressionAttributeNames: { '#k': index.partitionKey },
        ExpressionAttributeValues: { ':id': messageId },
        Limit: 1,
      }),
    );
    return (out.Items?.[0] as TrackingRecord | undefined)?.emailId;
  }

  /**
   * The emails sent to `recipient`, newest first, from the by-recipient index. At most `limit`
   * records; `next` is set only when at least one more exists, so a cursor never leads to an
   * empty page.
   */
  async listByRecipient(recipient: string, page: { limit: number; startKey?: PageKey }): Promise<RecordPage> {
    const index = TRACKING_TABLE.indexes.byRecipient;
    return this.queryIndex(index, { keyCondition: '#k = :k', values: { ':k': recipient } }, page);
  }

  /**
   * One shard of one day from the by-day index, newest first, limited to `createdAt` within
   * `[from, to]` (ISO times). Callers merge the DAY_SHARDS shards of a day themselves.
   */
  async listByDayShard(dayShard: string, range: { from: string; to: string }, page: { limit: number; startKey?: PageKey }): Promise<RecordPage> {
    const index = TRACKING_TABLE.indexes.byDay;
    return this.queryIndex(
      index,
      { keyCondition: '#k = :k AND #s BETWEEN :from AND :to', values: { ':k': dayShard, ':from': range.from, ':to': range.to } },
      page,
    );
  }

  /** Every item key of one email (its record and each history entry), read page by page. */
  async listItemKeys(emailId: string, pageSize?: number): Promise<ItemKey[]> {
    const keys: ItemKey[] = [];
    let start: PageKey | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': emailPk(emailId) },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: start,
          ConsistentRead: true,
          Limit: pageSize,
        }),
      );
      keys.push(...((out.Items ?? []) as ItemKey[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return keys;
  }

  /**
   * A query on a sparse index, newest first unless `order` says otherwise. Reads one record past
   * `limit` so `next` is only returned when there is more; `next` is the index key of the last
   * record returned, which DynamoDB accepts as ExclusiveStartKey.
   */
  private async queryIndex(
    index: { name: string; partitionKey: string; sortKey: string },
    condition: { keyCondition: string; values: Record<string, unknown> },
    page: { limit: number; startKey?: PageKey },
    order: 'descending' | 'ascending' = 'descending',
  ): Promise<RecordPage> {
    const { items: records, more } = await readPage(page.limit, page.startKey, async (limit, startKey) => {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: index.name,
          KeyConditionExpression: condition.keyCondition,
          ExpressionAttributeNames: { '#k': index.partitionKey, ...(condition.keyCondition.includes('#s') ? { '#s': index.sortKey } : {}) },
          ExpressionAttributeValues: condition.values,
          ScanIndexForward: order === 'ascending',
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      return { items: (out.Items ?? []) as TrackingRecord[], lastKey: out.LastEvaluatedKey };
    });
    if (!more) return { records };
    return { records, next: indexKey(records[records.length - 1], index) };
  }
}

/** The key DynamoDB expects to resume a query on `index` after `record`. */
export function indexKey(record: TrackingRecord, index: { partitionKey: string; sortKey: string }): PageKey {
  const item = record as unknown as Record<string, unknown>;
  return {
    [TRACKING_TABLE.partitionKey]: item[TRACKING_TABLE.partitionKey],
    [TRACKING_TABLE.sortKey]: item[TRACKING_TABLE.sortKey],
    [index.partitionKey]: item[index.partitionKey],
    [index.sortKey]: item[index.sortKey],
  };
}

export function stripUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
