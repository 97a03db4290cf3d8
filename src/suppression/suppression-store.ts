import { BatchGetCommand, DeleteCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { canonicalTime } from '../model/event-time.js';
import { isConditionFailure } from '../aws/error-names.js';
import { createHmac } from 'node:crypto';
import { SUPPRESSION_TABLE } from '../model/tables.js';
import { normaliseAddress } from '../model/address.js';
import { backoffCeiling } from '../util/backoff.js';
import { readPage } from '../util/paging.js';
import { sleep } from '../util/sleep.js';

/** Why an address is suppressed. Stronger reasons are never replaced by weaker ones. */
export const SUPPRESSION_REASON_RANK = { soft_bounce: 1, manual: 2, import: 2, bounce: 3, complaint: 4 } as const;
export type SuppressionReason = keyof typeof SUPPRESSION_REASON_RANK;

export interface SuppressionEntry {
  address: string;
  reason?: SuppressionReason;
  reasonRank?: number;
  suppressedAt?: string;
  source?: string;
  details?: Record<string, unknown>;
  /** Soft bounces seen, as `<time>|<eventId>` (read with {@link softBounceRun}). */
  softBounceEvents?: Set<string>;
  /** Time of the newest delivery that ended a run of soft bounces. */
  softBouncesResetAt?: string;
  /** The counter's former shape, removed at the next reset. */
  softBounces?: number;
  /** True when this is the keyed hash an erasure left behind. */
  hashed?: boolean;
  /** When an erasure wrote this keyed hash. */
  erasedAt?: string;
  /** DynamoDB TTL (epoch seconds): set only on the erasure mark, which blocks nothing and expires. */
  expiresAt?: number;
}

/**
 * How long after an erasure a bounce or complaint for the address is still expected: SES reports
 * most within minutes, but complaints through mailbox providers' feedback loops can take weeks.
 */
export const LATE_FEEDBACK_DAYS = 90;

/** Suppressions in index order, and the key to resume after the last one when more exist. */
export interface SuppressionPage {
  entries: SuppressionEntry[];
  next?: Record<string, unknown>;
}

export const SUPPRESSION_REASONS = Object.keys(SUPPRESSION_REASON_RANK) as SuppressionReason[];

export function isSuppressionReason(value: unknown): value is SuppressionReason {
  return typeof value === 'string' && value in SUPPRESSION_REASON_RANK;
}

export interface SuppressionStoreOptions {
  tableName: string;
  /** Key for the hashes kept after an erasure; without it hashes are neither written nor checked. */
  hashKey?: Buffer;
  now?: () => Date;
}


/** BatchGetItem takes at most 100 keys a call. */
const BATCH_GET_LIMIT = 100;
const MAX_UNPROCESSED_ROUNDS = 6;

/** The item key that stands in for an erased address: HMAC-SHA256 under the stack's own key. */
export function hashedAddress(address: string, key: Buffer): string {
  return `hmac:${createHmac('sha256', key).update(normaliseAddress(address)).digest('hex')}`;
}

function softBounceEvent(time: string, eventId: string): string {
  return `${canonicalTime(time)}|${eventId}`;
}

function parseSoftBounceEvent(value: string): { time: string; eventId: string } {
  const bar = value.indexOf('|');
  return { time: value.slice(0, bar), eventId: value.slice(bar + 1) };
}

/** An address's soft bounces as stored: every one kept, and the time of the delivery that last ended a run. */
export interface SoftBounceRun {
  bounces: Array<{ time: string; eventId: string }>;
  resetAt?: string;
}

/** The soft bounces an item holds, read from their stored form. */
export function softBounceRun(entry: Pick<SuppressionEntry, 'softBounceEvents' | 'softBouncesResetAt'>): SoftBounceRun {
  return { bounces: [...(entry.softBounceEvents ?? [])].map(parseSoftBounceEvent), ...(entry.softBouncesResetAt !== undefined ? { resetAt: entry.softBouncesResetAt } : {}) };
}

/**
 * The engine's suppression list. One item per address; the same item keeps the soft bounces since
 * the last delivery, and becomes a suppression when it gains a `reason`.
 */
export class SuppressionStore {
  private readonly now: () => Date;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly options: SuppressionStoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** The suppression that blocks `address`, by its own entry or by the hash an erasure kept. */
  async check(address: string): Promise<SuppressionEntry | undefined> {
    return (await this.checkAll([address])).get(normaliseAddress(address));
  }

  /**
   * The suppression that blocks each of `addresses` (normalised), by its own entry or by the hash
   * an erasure kept; addresses that are free are absent from the map. Reads in BatchGetItem
   * chunks of 100 keys and reads again whatever DynamoDB left unprocessed: an address it did not
   * answer for is never taken as free.
   */
  async checkAll(addresses: string[]): Promise<Map<string, SuppressionEntry>> {
    const plain = [...new Set(addresses.map(normaliseAddress))];
    const keyOf = new Map<string, string>();
    for (const address of plain) {
      keyOf.set(address, address);
      if (this.options.hashKey) keyOf.set(hashedAddress(address, this.options.hashKey), address);
    }
    const items: SuppressionEntry[] = [];
    const pending = [...keyOf.keys()];
    for (let start = 0; start < pending.length; start += BATCH_GET_LIMIT) {
      let keys = pending.slice(start, start + BATCH_GET_LIMIT).map((address) => ({ [SUPPRESSION_TABLE.partitionKey]: address }));
      for (let round = 0; keys.length > 0; round++) {
        if (round >= MAX_UNPROCESSED_ROUNDS) throw new Error(`DynamoDB left ${keys.length} suppression keys unprocessed after ${round} reads`);
        if (round > 0) await sleep(backoffCeiling(round, { baseMs: 50, maxMs: 50 * 2 ** MAX_UNPROCESSED_ROUNDS }));
        const out = await this.db.send(new BatchGetCommand({ RequestItems: { [this.options.tableName]: { Keys: keys, ConsistentRead: true } } }));
        items.push(...((out.Responses?.[this.options.tableName] ?? []) as SuppressionEntry[]));
        keys = (out.UnprocessedKeys?.[this.options.tableName]?.Keys ?? []) as typeof keys;
      }
    }
    const blocking = new Map<string, SuppressionEntry>();
    for (const item of items) {
      if (!item.reason) continue;
      const address = keyOf.get(item.address);
      if (!address) continue;
      const entry = { ...item, hashed: item.address.startsWith('hmac:') };
      const current = blocking.get(address);
      if (!current || (entry.reasonRank ?? 0) > (current.reasonRank ?? 0)) blocking.set(address, entry);
    }
    return blocking;
  }

  /** Suppresses `address` unless it already is, for an equal or stronger reason. Returns whether it changed. */
  async suppress(address: string, reason: SuppressionReason, source: string, details: Record<string, unknown> = {}): Promise<boolean> {
    const rank = SUPPRESSION_REASON_RANK[reason];
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [SUPPRESSION_TABLE.partitionKey]: normaliseAddress(address) },
          UpdateExpression: 'SET reason = :reason, reasonRank = :rank, suppressedAt = :now, #src = :source, details = :details',
          ConditionExpression: 'attribute_not_exists(reasonRank) OR reasonRank < :rank',
          ExpressionAttributeNames: { '#src': 'source' },
          ExpressionAttributeValues: { ':reason': reason, ':rank': rank, ':now': this.now().toISOString(), ':source': source, ':details': details },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * Stores one soft bounce on `address`, once per SES event however often and in whatever order
   * events are delivered, and returns every soft bounce the address now holds with the time of the
   * last delivery. Which of them count, and what the count means, is Feedback's to decide.
   */
  async recordSoftBounce(address: string, eventId: string, time: string): Promise<SoftBounceRun> {
    const out = await this.db.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { [SUPPRESSION_TABLE.partitionKey]: normaliseAddress(address) },
        // A set: adding the same event twice leaves one element.
        UpdateExpression: 'ADD softBounceEvents :event SET lastSoftBounceAt = :now',
        ExpressionAttributeValues: { ':event': new Set([softBounceEvent(time, eventId)]), ':now': this.now().toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return softBounceRun((out.Attributes ?? {}) as SuppressionEntry);
  }

  /**
   * A delivery at `time` ends the run of soft bounces before it; bounces after it still count.
   * Addresses with no soft bounce are left alone (no item is created for every delivery).
   */
  async resetSoftBounces(address: string, time: string): Promise<void> {
    const at = canonicalTime(time);
    const entry = await this.get(address);
    if (!entry || (!entry.softBounceEvents?.size && !entry.softBounces)) return;
    if (entry.softBouncesResetAt !== undefined && entry.softBouncesResetAt >= at) return;
    // Bounces at or before the delivery no longer count; drop them so the set stays small.
    const ended = [...(entry.softBounceEvents ?? [])].filter((e) => parseSoftBounceEvent(e).time <= at);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [SUPPRESSION_TABLE.partitionKey]: normaliseAddress(address) },
          // softBounces and lastSoftBounceEventId are the counter's former shape.
          UpdateExpression: `SET softBouncesResetAt = :at REMOVE softBounces, lastSoftBounceEventId${ended.length ? ' DELETE softBounceEvents :ended' : ''}`,
          ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(softBouncesResetAt) OR softBouncesResetAt < :at)',
          ExpressionAttributeNames: { '#pk': SUPPRESSION_TABLE.partitionKey },
          ExpressionAttributeValues: { ':at': at, ...(ended.length ? { ':ended': new Set(ended) } : {}) },
        }),
      );
    } catch (err) {
      // A newer delivery reset it first, or the item was erased meanwhile: nothing left to do.
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** The address's own item (a suppression, or only a soft-bounce counter), without the hash. */
  async get(address: string): Promise<SuppressionEntry | undefined> {
    return this.getItem(normaliseAddress(address));
  }

  /** The keyed hash an erasure left for `address`, if any. Without a hash key there can be none to find. */
  async getHash(address: string): Promise<SuppressionEntry | undefined> {
    if (!this.options.hashKey) return undefined;
    const entry = await this.getItem(hashedAddress(address, this.options.hashKey));
    return entry ? { ...entry, hashed: true } : undefined;
  }

  /** Deletes the address's own item; returns what was there. */
  async remove(address: string): Promise<SuppressionEntry | undefined> {
    return this.deleteItem(normaliseAddress(address));
  }

  /** Deletes the keyed hash of `address`; returns what was there. */
  async removeHash(address: string): Promise<SuppressionEntry | undefined> {
    if (!this.options.hashKey) return undefined;
    return this.deleteItem(hashedAddress(address, this.options.hashKey));
  }

  /**
   * Keeps `address` suppressed without keeping the address: writes its keyed hash with the
   * reason and date only (no details, which could hold the address or a diagnostic). A hash that
   * already carries an equal or stronger reason is left as it is. Returns whether it changed.
   */
  async suppressHashed(address: string, reason: SuppressionReason, suppressedAt: string): Promise<boolean> {
    const rank = SUPPRESSION_REASON_RANK[reason];
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [SUPPRESSION_TABLE.partitionKey]: hashedAddress(address, this.requireHashKey()) },
          // A suppression kept as a hash is kept for good: the erasure mark's expiry goes.
          UpdateExpression: 'SET reason = :reason, reasonRank = :rank, suppressedAt = :at, #src = :source, erasedAt = :now REMOVE expiresAt',
          ConditionExpression: 'attribute_not_exists(reasonRank) OR reasonRank < :rank',
          ExpressionAttributeNames: { '#src': 'source' },
          ExpressionAttributeValues: { ':reason': reason, ':rank': rank, ':at': suppressedAt, ':source': 'erasure', ':now': this.now().toISOString() },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * Marks `address` as erased until `until`: its keyed hash with no reason (it blocks nothing, and
   * no list shows it) and a TTL. Feedback for the address that arrives meanwhile (a late bounce or
   * complaint of an erased email) then finds the mark and is kept as the hash, never as the
   * address. A hash that already holds a suppression is left as it is: it is kept for good.
   */
  async markErased(address: string, until: Date): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [SUPPRESSION_TABLE.partitionKey]: hashedAddress(address, this.requireHashKey()) },
          UpdateExpression: 'SET erasedAt = :now, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(reasonRank)',
          ExpressionAttributeNames: { '#ttl': SUPPRESSION_TABLE.ttlAttribute },
          ExpressionAttributeValues: { ':now': this.now().toISOString(), ':ttl': Math.floor(until.getTime() / 1000) },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /**
   * Whether `address` was erased: a keyed hash of it that holds a suppression, or an erasure mark
   * not yet expired (DynamoDB deletes expired items only eventually). Always false without a hash key.
   */
  async isErased(address: string): Promise<boolean> {
    const hash = await this.getHash(address);
    if (!hash) return false;
    return hash.reason !== undefined || (hash.expiresAt !== undefined && hash.expiresAt * 1000 > this.now().getTime());
  }

  /**
   * Suppressions for one reason, newest first, from the by-reason index, optionally within
   * `[since, until]` (ISO times). `next` is set only when at least one more exists.
   */
  async listByReason(reason: SuppressionReason, page: { limit: number; since?: string; until?: string; startKey?: Record<string, unknown> }): Promise<SuppressionPage> {
    const index = SUPPRESSION_TABLE.indexes.byReason;
    const ranged = page.since !== undefined || page.until !== undefined;
    const { items, more } = await readPage(page.limit, page.startKey, async (limit, startKey) => {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: index.name,
          KeyConditionExpression: ranged ? '#r = :r AND #t BETWEEN :since AND :until' : '#r = :r',
          ExpressionAttributeNames: { '#r': index.partitionKey, ...(ranged ? { '#t': index.sortKey } : {}) },
          ExpressionAttributeValues: { ':r': reason, ...(ranged ? { ':since': page.since ?? '0000', ':until': page.until ?? '9999' } : {}) },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      return { items: (out.Items ?? []) as SuppressionEntry[], lastKey: out.LastEvaluatedKey };
    });
    const entries = items.map((e) => ({ ...e, hashed: e.address.startsWith('hmac:') }));
    if (!more) return { entries };
    const last = entries[entries.length - 1];
    return { entries, next: { [SUPPRESSION_TABLE.partitionKey]: last.address, [index.partitionKey]: last.reason, [index.sortKey]: last.suppressedAt } };
  }

  private requireHashKey(): Buffer {
    if (!this.options.hashKey) throw new Error('SuppressionStore: this operation needs the suppression hash key');
    return this.options.hashKey;
  }

  private async getItem(key: string): Promise<SuppressionEntry | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.options.tableName, Key: { [SUPPRESSION_TABLE.partitionKey]: key }, ConsistentRead: true }));
    return out.Item as SuppressionEntry | undefined;
  }

  private async deleteItem(key: string): Promise<SuppressionEntry | undefined> {
    const out = await this.db.send(new DeleteCommand({ TableName: this.options.tableName, Key: { [SUPPRESSION_TABLE.partitionKey]: key }, ReturnValues: 'ALL_OLD' }));
    return out.Attributes as SuppressionEntry | undefined;
  }
}
