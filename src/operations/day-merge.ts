import { DAY_SHARDS, RECORD_SORT_KEY, TRACKING_TABLE, emailPk } from '../model/tables.js';
import type { TrackingRecord } from '../tracking/record.js';
import type { PageKey, TrackingStore } from '../tracking/tracking-store.js';
import { daysNewestFirst } from './time-range.js';

/**
 * Per shard: the last record taken as `[createdAt, emailId]` (the rest of its index key follows
 * from those and the shard, which keeps `--next` tokens short), 'start' before the first, 'done'
 * once exhausted.
 */
export type ShardState = 'start' | 'done' | [createdAt: string, emailId: string];

/** The by-day index key of a record, rebuilt from its position. */
function dayKey(shard: string, [createdAt, emailId]: [string, string]): PageKey {
  const index = TRACKING_TABLE.indexes.byDay;
  return { [TRACKING_TABLE.partitionKey]: emailPk(emailId), [TRACKING_TABLE.sortKey]: RECORD_SORT_KEY, [index.partitionKey]: shard, [index.sortKey]: createdAt };
}

/** Where a by-day listing stopped: the day being merged and each of its shards' positions. */
export interface DayPosition {
  day: string;
  shards: ShardState[];
}

/**
 * Reads one shard page by page, newest first, one record at a time. Its state is exact (the key
 * of the last record handed out), so a later page resumes with no gap and no repeat even when
 * many records share one `createdAt`.
 */
class ShardReader {
  private buffer: TrackingRecord[] = [];
  private nextKey: PageKey | undefined;
  private exhausted: boolean;
  private last: ShardState;

  constructor(
    private readonly store: TrackingStore,
    private readonly shard: string,
    private readonly range: { from: string; to: string },
    private readonly pageSize: number,
    state: ShardState,
  ) {
    this.last = state;
    this.exhausted = state === 'done';
    this.nextKey = Array.isArray(state) ? dayKey(shard, state) : undefined;
  }

  async peek(): Promise<TrackingRecord | undefined> {
    while (this.buffer.length === 0 && !this.exhausted) {
      const page = await this.store.listByDayShard(this.shard, this.range, { limit: this.pageSize, startKey: this.nextKey });
      this.buffer = page.records;
      this.nextKey = page.next;
      if (!page.next) this.exhausted = true;
    }
    return this.buffer[0];
  }

  take(): TrackingRecord {
    const record = this.buffer.shift() as TrackingRecord;
    this.last = [record.createdAt, record.emailId];
    return record;
  }

  get state(): ShardState {
    return this.exhausted && this.buffer.length === 0 ? 'done' : this.last;
  }
}

const newer = (a: TrackingRecord, b: TrackingRecord) => a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.emailId > b.emailId);

/**
 * The emails created in `[since, until]`, newest first, from the by-day index: every shard
 * (`YYYY-MM-DD#0..7`) of every day, merged. Days are read newest first and one at a time, so a
 * page that fills up early never touches older days. `next` is set only when more exist.
 */
export async function listByDay(
  store: TrackingStore,
  query: { since: string; until: string; limit: number; position?: DayPosition },
): Promise<{ records: TrackingRecord[]; next?: DayPosition }> {
  const days = daysNewestFirst(query.since, query.until);
  let dayIndex = query.position ? days.indexOf(query.position.day) : 0;
  if (dayIndex < 0) return { records: [] };
  const pageSize = Math.min(query.limit, 100);
  const readersFor = (day: string, states?: ShardState[]) => {
    const range = { from: maxTime(query.since, `${day}T00:00:00.000Z`), to: minTime(query.until, `${day}T23:59:59.999Z`) };
    return Array.from({ length: DAY_SHARDS }, (_, shard) => new ShardReader(store, `${day}#${shard}`, range, pageSize, states?.[shard] ?? 'start'));
  };
  let readers = readersFor(days[dayIndex], query.position?.shards);
  const records: TrackingRecord[] = [];
  for (;;) {
    const heads = await Promise.all(readers.map((r) => r.peek()));
    let best = -1;
    heads.forEach((head, i) => {
      if (head && (best < 0 || newer(head, heads[best] as TrackingRecord))) best = i;
    });
    if (best < 0) {
      dayIndex += 1;
      if (dayIndex >= days.length) return { records };
      readers = readersFor(days[dayIndex]);
      continue;
    }
    // One more exists: stop here, and say where the next page begins.
    if (records.length === query.limit) return { records, next: { day: days[dayIndex], shards: readers.map((r) => r.state) } };
    records.push(readers[best].take());
  }
}

const maxTime = (a: string, b: string) => (a > b ? a : b);
const minTime = (a: string, b: string) => (a < b ? a : b);
