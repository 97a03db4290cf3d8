import { RECORD_SORT_KEY, SCHEDULED_SHARDS, TRACKING_TABLE, emailPk } from '../../model/tables.js';
import type { TrackingRecord } from '../../tracking/record.js';
import type { PageKey, TrackingStore } from '../../tracking/tracking-store.js';

/** Where each shard of the by-send-at index stands: not read yet, read to the end, or after [sendAt, emailId]. */
export type ScheduledPosition = Array<'start' | 'done' | [string, string]>;

export const SCHEDULED_SHARD_KEYS = Array.from({ length: SCHEDULED_SHARDS }, (_, i) => `scheduled#${i}`);

/** Soonest first; the emailId breaks ties so the order is total. */
const bySendAt = (a: TrackingRecord, b: TrackingRecord) => (a.sendAt ?? '').localeCompare(b.sendAt ?? '') || a.emailId.localeCompare(b.emailId);

/**
 * The scheduled emails, soonest first, a page at a time: each shard of the sparse by-send-at index
 * (only a scheduled record carries its key) is queried from where it stood, the pages are merged,
 * and the first `limit` are taken. Queries only, never a scan.
 */
export async function listScheduled(
  tracking: Pick<TrackingStore, 'listScheduledShard'>,
  page: { limit: number; position?: ScheduledPosition },
): Promise<{ records: TrackingRecord[]; next?: ScheduledPosition }> {
  const position = page.position ?? SCHEDULED_SHARD_KEYS.map(() => 'start' as const);
  const reads = await Promise.all(
    SCHEDULED_SHARD_KEYS.map(async (shard, i) => {
      const at = position[i];
      if (at === 'done') return { shard: i, records: [] as TrackingRecord[], more: false };
      const startKey = at === 'start' || at === undefined ? undefined : shardKey(shard, at);
      const out = await tracking.listScheduledShard(shard, { limit: page.limit, startKey });
      return { shard: i, records: out.records, more: out.next !== undefined };
    }),
  );
  const merged = reads.flatMap((r) => r.records.map((record) => ({ record, shard: r.shard }))).sort((a, b) => bySendAt(a.record, b.record));
  const taken = merged.slice(0, page.limit);
  const next: ScheduledPosition = reads.map((r) => {
    const mine = taken.filter((t) => t.shard === r.shard);
    if (mine.length === r.records.length && !r.more) return 'done';
    const last = mine[mine.length - 1]?.record;
    return last ? [last.sendAt ?? '', last.emailId] : (position[r.shard] ?? 'start');
  });
  const records = taken.map((t) => t.record);
  return next.every((p) => p === 'done') ? { records } : { records, next };
}

function shardKey(shard: string, [sendAt, emailId]: [string, string]): PageKey {
  const index = TRACKING_TABLE.indexes.bySendAt;
  return { [TRACKING_TABLE.partitionKey]: emailPk(emailId), [TRACKING_TABLE.sortKey]: RECORD_SORT_KEY, [index.partitionKey]: shard, [index.sortKey]: sendAt };
}

export function isScheduledPosition(value: unknown): value is ScheduledPosition {
  return (
    Array.isArray(value) &&
    value.length === SCHEDULED_SHARDS &&
    value.every((p) => p === 'start' || p === 'done' || (Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'string')))
  );
}
