import { DAY_SHARDS } from '../model/tables.js';
import type { EmailStatus } from '../model/statuses.js';
import type { TrackingRecord } from '../tracking/record.js';
import type { PageKey, TrackingStore } from '../tracking/tracking-store.js';
import { daysNewestFirst } from './time-range.js';

/**
 * Prices behind the estimate, from the README's "What it costs per 100,000 emails" (us-east-1 list
 * prices, no free tier). SES is charged per email sent; the engine's own AWS use (EventBridge, SQS,
 * Lambda, DynamoDB, CloudWatch Logs) per request, whether or not it was sent.
 */
export const PRICES = {
  sesPerThousandUsd: 0.1,
  enginePerHundredThousandUsd: 2.75,
  fixedMonthlyUsd: 15.12,
} as const;

export interface StatsCounts {
  /** Every request that has a tracking record in the window. */
  requests: number;
  /** Accepted by SES. */
  sent: number;
  delivered: number;
  bounced: number;
  complained: number;
  opened: number;
  clicked: number;
  failed: number;
  suppressed: number;
  rejected: number;
  /** Still on the way: queued, sending, sent, delayed or soft-bounced. */
  pending: number;
  /** Waiting for their sendAt. */
  scheduled: number;
  /** Scheduled, then cancelled before their time: never sent. */
  cancelled: number;
}

export interface LatencyStats {
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface DayStats {
  day: string;
  requests: number;
  sent: number;
  delivered: number;
  bounced: number;
  complained: number;
  failed: number;
  suppressed: number;
}

export interface CostLine {
  item: string;
  arithmetic: string;
  usd: number;
}

export interface StatsReport {
  stackName: string;
  local: boolean;
  /** "stack prod" or "the local engine mailengine". */
  title: string;
  days: number;
  since: string;
  until: string;
  counts: StatsCounts;
  /** Fractions (0-1); null when the denominator is 0. */
  rates: {
    delivered: number | null;
    bounced: number | null;
    complained: number | null;
    opened: number | null;
    clicked: number | null;
    failed: number | null;
    suppressed: number | null;
  };
  latency: { requestToSent: LatencyStats; sentToDelivered: LatencyStats; requestToDelivered: LatencyStats };
  cost: { lines: CostLine[]; totalUsd: number; note: string };
  perDay: DayStats[];
}

/**
 * How each record counts. An email is counted once by where it ended, and also in every earlier
 * step it is known to have passed: a complained email was sent and delivered; a clicked one was
 * opened. `delivered` counts every record with a delivery time, whatever came after.
 */
function tally(counts: StatsCounts, day: DayStats, r: TrackingRecord): void {
  const s: EmailStatus = r.status;
  const wasSent = Boolean(r.sentAt || r.sesMessageId);
  const wasDelivered = Boolean(r.deliveredAt) || s === 'delivered' || s === 'opened' || s === 'clicked';
  counts.requests++;
  day.requests++;
  if (wasSent) {
    counts.sent++;
    day.sent++;
  }
  if (wasDelivered) {
    counts.delivered++;
    day.delivered++;
  }
  if (s === 'bounced') {
    counts.bounced++;
    day.bounced++;
  }
  if (s === 'complained') {
    counts.complained++;
    day.complained++;
  }
  if (s === 'opened' || s === 'clicked') counts.opened++;
  if (s === 'clicked') counts.clicked++;
  if (s === 'failed') {
    counts.failed++;
    day.failed++;
  }
  if (s === 'suppressed') {
    counts.suppressed++;
    day.suppressed++;
  }
  if (s === 'rejected') counts.rejected++;
  if (s === 'queued' || s === 'sending' || s === 'sent' || s === 'delivery_delayed' || s === 'soft_bounced') counts.pending++;
  if (s === 'scheduled') counts.scheduled++;
  if (s === 'cancelled') counts.cancelled++;
}

/** Nearest-rank percentile of sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function latency(values: number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95) };
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);
const usd = (n: number) => `$${n.toFixed(n !== 0 && n < 0.01 ? 4 : 2)}`;
const grouped = (n: number) => n.toLocaleString('en-US');

/** The estimate with its arithmetic, at the README's prices. */
export function estimateCost(counts: Pick<StatsCounts, 'sent' | 'requests'>): StatsReport['cost'] {
  const ses = (counts.sent / 1000) * PRICES.sesPerThousandUsd;
  const engine = (counts.requests / 100_000) * PRICES.enginePerHundredThousandUsd;
  const lines: CostLine[] = [
    { item: 'SES sending', arithmetic: `${grouped(counts.sent)} sent × $${PRICES.sesPerThousandUsd.toFixed(2)} / 1,000 = ${usd(ses)}`, usd: ses },
    {
      item: 'engine (EventBridge, SQS, Lambda, DynamoDB, logs)',
      arithmetic: `${grouped(counts.requests)} requests × $${PRICES.enginePerHundredThousandUsd.toFixed(2)} / 100,000 = ${usd(engine)}`,
      usd: engine,
    },
  ];
  return {
    lines,
    totalUsd: ses + engine,
    note: `us-east-1 list prices, no free tier, as in the cost section of docs/reference.md; plus about $${PRICES.fixedMonthlyUsd.toFixed(2)} a month in fixed costs (alarms, metrics, dashboard, secret). Prices differ by region and SES pricing plan.`,
  };
}

/** Every record of one shard of one day, page by page, handed to `each` as it arrives. */
async function readShard(store: Pick<TrackingStore, 'listByDayShard'>, dayShard: string, range: { from: string; to: string }, each: (r: TrackingRecord) => void): Promise<void> {
  let startKey: PageKey | undefined;
  do {
    const page = await store.listByDayShard(dayShard, range, { limit: 500, startKey });
    page.records.forEach(each);
    startKey = page.next;
  } while (startKey);
}

/**
 * `stats`: the emails created in the last `days` UTC days (today included), from the by-day index
 * only: each day's DAY_SHARDS shards are queried (Query, never Scan) and counted as the pages
 * arrive. Counting needs no order, so the shards are read side by side rather than merged
 * newest-first as `status lookup --since` does, and memory stays flat whatever the volume.
 */
export async function collectStats(
  store: Pick<TrackingStore, 'listByDayShard'>,
  options: { stackName: string; local: boolean; title: string; days: number; now?: Date },
): Promise<StatsReport> {
  const now = options.now ?? new Date();
  const until = now.toISOString();
  const since = new Date(Date.parse(`${until.slice(0, 10)}T00:00:00.000Z`) - (options.days - 1) * 86_400_000).toISOString();
  const counts: StatsCounts = { requests: 0, sent: 0, delivered: 0, bounced: 0, complained: 0, opened: 0, clicked: 0, failed: 0, suppressed: 0, rejected: 0, pending: 0, scheduled: 0, cancelled: 0 };
  const toSent: number[] = [];
  const sentToDelivered: number[] = [];
  const toDelivered: number[] = [];
  const perDay: DayStats[] = [];

  for (const day of daysNewestFirst(since, until).reverse()) {
    const stats: DayStats = { day, requests: 0, sent: 0, delivered: 0, bounced: 0, complained: 0, failed: 0, suppressed: 0 };
    const range = { from: `${day}T00:00:00.000Z`, to: day === until.slice(0, 10) ? until : `${day}T23:59:59.999Z` };
    const count = (r: TrackingRecord) => {
      tally(counts, stats, r);
      const created = Date.parse(r.createdAt);
      const sent = r.sentAt ? Date.parse(r.sentAt) : NaN;
      const delivered = r.deliveredAt ? Date.parse(r.deliveredAt) : NaN;
      // A negative span would be clock skew between the request's time and the Sender's; leave it out.
      if (sent >= created) toSent.push(sent - created);
      if (delivered >= sent) sentToDelivered.push(delivered - sent);
      if (delivered >= created) toDelivered.push(delivered - created);
    };
    await Promise.all(Array.from({ length: DAY_SHARDS }, (_, shard) => readShard(store, `${day}#${shard}`, range, count)));
    perDay.push(stats);
  }

  return {
    stackName: options.stackName,
    local: options.local,
    title: options.title,
    days: options.days,
    since,
    until,
    counts,
    rates: {
      delivered: ratio(counts.delivered, counts.sent),
      bounced: ratio(counts.bounced, counts.sent),
      complained: ratio(counts.complained, counts.sent),
      opened: ratio(counts.opened, counts.delivered),
      clicked: ratio(counts.clicked, counts.delivered),
      failed: ratio(counts.failed, counts.requests),
      suppressed: ratio(counts.suppressed, counts.requests),
    },
    latency: { requestToSent: latency(toSent), sentToDelivered: latency(sentToDelivered), requestToDelivered: latency(toDelivered) },
    cost: estimateCost(counts),
    perDay,
  };
}
