import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayChart, renderStats } from '../../../commands/stats.js';
import { documentClient } from '../../../src/engine/deps.js';
import type { EmailStatus } from '../../../src/model/statuses.js';
import type { LocalStackHandle } from '../../../src/local/index.js';
import { collectStats, estimateCost, percentile, type StatsReport } from '../../../src/operations/stats.js';
import { TrackingStore } from '../../../src/tracking/tracking-store.js';
import { putStarterTemplate, startTestStack, stopTestStack, type TestStack } from '../../helpers/local-stack.js';
import { runInProcess } from '../../helpers/in-process.js';

/**
 * `stats` on DynamoDB Local: emails sent today by the real engine (through `send --test`), and
 * emails on fixed past days written with the engine's own TrackingStore at chosen times, so the
 * counts, rates and percentiles can be checked exactly.
 */
const STACK = 'statstest';
let local: TestStack | undefined;
let stack: LocalStackHandle;
let db: DynamoDBClient;
let trackingTable: string;
/** Every DynamoDB operation the stats core makes, to prove none of them is a Scan. */
const operations: string[] = [];

const at = (iso: string, plusMs = 0) => new Date(Date.parse(iso) + plusMs);

/**
 * One email as the engine would leave it: claimed at `created` (its request time), sent and
 * delivered after the given delays, then moved on to `final`.
 */
async function email(id: string, created: string, steps: { sentAfter?: number; deliveredAfter?: number; final?: EmailStatus; rejected?: 'failed' | 'suppressed' }) {
  // Dated in the past, so kept for ten years: DynamoDB Local's TTL sweeper deletes items whose
  // expiresAt has passed, and 90 days after these dates already has.
  const store = (now: Date) => new TrackingStore(documentClient(db), { tableName: trackingTable, retentionDays: 3650, now: () => now });
  const input = { emailId: id, eventId: `evt-${id}`, recipient: `${id}@customer.example`, templateName: 'welcome', requestedAt: created };
  if (steps.rejected) {
    await store(at(created, 100)).recordFinal(input, steps.rejected, steps.rejected === 'failed' ? 'template_not_found' : 'suppressed', 'seeded');
    return;
  }
  await store(at(created, 50)).claim(input, 30_000);
  if (steps.sentAfter === undefined) return;
  await store(at(created, steps.sentAfter)).markSent(id, `ses-${id}`);
  if (steps.deliveredAfter !== undefined) await store(at(created, steps.deliveredAfter)).moveStatus(id, 'delivered', at(created, steps.deliveredAfter).toISOString());
  if (steps.final) await store(at(created, 10_000)).moveStatus(id, steps.final, at(created, 10_000).toISOString());
}

beforeAll(async () => {
  local = await startTestStack('local-stats', STACK, { sesEventDelayMs: 50 });
  stack = local.handle;
  trackingTable = local.names.TrackingTable;
  db = new DynamoDBClient({ endpoint: stack.endpoints.dynamodb, region: stack.region, credentials: stack.credentials });
  db.middlewareStack.add((next, context) => async (args) => (operations.push(String(context.commandName)), next(args)), { step: 'initialize', name: 'recordOperations' });

  await putStarterTemplate(local, 'welcome');

  // Three past days.
  await email('a1', '2026-03-08T09:00:00.000Z', { sentAfter: 1000, deliveredAfter: 3000 });
  await email('a2', '2026-03-08T10:00:00.000Z', { sentAfter: 2000, deliveredAfter: 4000, final: 'opened' });
  await email('a3', '2026-03-08T11:00:00.000Z', { sentAfter: 1000, final: 'bounced' });
  await email('a4', '2026-03-08T12:00:00.000Z', { rejected: 'failed' });
  await email('b1', '2026-03-09T09:00:00.000Z', { sentAfter: 500, deliveredAfter: 1500, final: 'clicked' });
  await email('b2', '2026-03-09T10:00:00.000Z', { sentAfter: 1000, deliveredAfter: 2000, final: 'complained' });
  await email('b3', '2026-03-09T11:00:00.000Z', { rejected: 'suppressed' });
  await email('c1', '2026-03-10T09:00:00.000Z', { sentAfter: 3000 });
  await email('c2', '2026-03-10T10:00:00.000Z', {});
  // Just outside the three days asked for below.
  await email('early', '2026-03-07T23:59:59.999Z', { rejected: 'failed' });
  await email('late', '2026-03-10T12:00:00.001Z', { rejected: 'failed' });

  // A day of its own: two emails scheduled for later, then one of them cancelled.
  const scheduling = new TrackingStore(documentClient(db), { tableName: trackingTable, retentionDays: 3650, now: () => at('2026-02-01T10:00:00.000Z') });
  for (const id of ['later-1', 'later-2']) {
    await scheduling.recordScheduled({ emailId: id, eventId: `evt-${id}`, recipient: `${id}@customer.example`, templateName: 'welcome', requestedAt: '2026-02-01T10:00:00.000Z' }, '2026-02-20T09:00:00.000Z', '{}');
  }
  expect((await scheduling.cancelScheduled('later-2')).cancelled).toBe(true);

  // And today, through the real engine.
  for (const argv of [['--simulate', 'success'], ['--simulate', 'bounce'], ['--simulate', 'complaint'], ['--to', 'ann@customer.example', '--template', 'nope']]) {
    const template = argv.includes('--template') ? [] : ['--template', 'welcome'];
    const out = await runInProcess(['send', '--test', ...template, ...argv, '--local', '--stack', STACK], { cwd: stack.dir });
    expect(out.code, out.stderr).toBe(argv.includes('nope') ? 1 : 0);
  }
}, 180_000);

afterAll(async () => {
  db?.destroy();
  await stopTestStack(local);
}, 60_000);

describe('stats (core, on DynamoDB Local)', () => {
  const NOW = new Date('2026-03-10T12:00:00.000Z');
  const read = () => collectStats(new TrackingStore(documentClient(db), { tableName: trackingTable, retentionDays: 90 }), { stackName: STACK, local: true, title: `the local engine ${STACK}`, days: 3, now: NOW });

  it('counts each email by where it got, within the days asked for only', async () => {
    const r = await read();
    expect(r).toMatchObject({ days: 3, since: '2026-03-08T00:00:00.000Z', until: '2026-03-10T12:00:00.000Z' });
    expect(r.counts).toEqual({ requests: 9, sent: 6, delivered: 4, bounced: 1, complained: 1, opened: 2, clicked: 1, failed: 1, suppressed: 1, rejected: 0, pending: 2, scheduled: 0, cancelled: 0 });
    expect(r.rates).toEqual({ delivered: 4 / 6, bounced: 1 / 6, complained: 1 / 6, opened: 2 / 4, clicked: 1 / 4, failed: 1 / 9, suppressed: 1 / 9 });
    expect(r.perDay.map((d) => [d.day, d.requests, d.sent, d.delivered, d.bounced, d.complained, d.failed, d.suppressed])).toEqual([
      ['2026-03-08', 4, 3, 2, 1, 0, 1, 0],
      ['2026-03-09', 3, 2, 2, 0, 1, 0, 1],
      ['2026-03-10', 2, 1, 0, 0, 0, 0, 0],
    ]);
  });

  it('latency p50/p95 from createdAt, sentAt and deliveredAt (nearest rank)', async () => {
    const { latency } = await read();
    // request → sent: 500, 1000, 1000, 1000, 2000, 3000
    expect(latency.requestToSent).toEqual({ count: 6, p50Ms: 1000, p95Ms: 3000 });
    // sent → delivered: 1000, 1000, 2000, 2000
    expect(latency.sentToDelivered).toEqual({ count: 4, p50Ms: 1000, p95Ms: 2000 });
    // request → delivered: 1500, 2000, 3000, 4000
    expect(latency.requestToDelivered).toEqual({ count: 4, p50Ms: 2000, p95Ms: 4000 });
  });

  it('the cost estimate shows its arithmetic at the README prices', async () => {
    const { cost } = await read();
    expect(cost.lines.map((l) => l.arithmetic)).toEqual(['6 sent × $0.10 / 1,000 = $0.0006', '9 requests × $2.75 / 100,000 = $0.0002']);
    expect(cost.totalUsd).toBeCloseTo(0.0006 + 0.0002475, 10);
    expect(estimateCost({ sent: 100_000, requests: 100_000 }).totalUsd).toBeCloseTo(12.75, 10);
  });

  it('reads the by-day index only: one Query per shard and day, never a Scan', async () => {
    operations.length = 0;
    await read();
    expect(new Set(operations)).toEqual(new Set(['QueryCommand']));
    expect(operations).toHaveLength(3 * 8);
  });

  it('the chart: one bar per day, scaled to the busiest, with the day\'s trouble', async () => {
    expect(dayChart((await read()).perDay)).toBe(
      [
        `2026-03-08  ${'█'.repeat(40)}  4  (1 bounced, 1 failed)`,
        `2026-03-09  ${'█'.repeat(30)}${' '.repeat(10)}  3  (1 complained)`,
        `2026-03-10  ${'█'.repeat(20)}${' '.repeat(20)}  2`,
      ].join('\n'),
    );
  });

  it('counts emails waiting for their sendAt, and those cancelled before it, apart from the rest', async () => {
    const r = await collectStats(new TrackingStore(documentClient(db), { tableName: trackingTable, retentionDays: 90 }), { stackName: STACK, local: true, title: `the local engine ${STACK}`, days: 1, now: new Date('2026-02-01T23:00:00.000Z') });
    expect(r.counts).toEqual({ requests: 2, sent: 0, delivered: 0, bounced: 0, complained: 0, opened: 0, clicked: 0, failed: 0, suppressed: 0, rejected: 0, pending: 0, scheduled: 1, cancelled: 1 });
    const table = renderStats(r);
    expect(table).toMatch(/│ scheduled for later +│ +1 │/);
    expect(table).toMatch(/│ cancelled before sending +│ +1 │/);
    expect(table).not.toContain('still on the way');
  });

  it('percentile: nearest rank; none of nothing', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });
});

describe('mailengine stats --local (records made by the real engine today)', () => {
  const run = (...argv: string[]) => runInProcess(['stats', '--local', '--stack', STACK, ...argv], { cwd: stack.dir });

  it('--days 1 --json: the day\'s outcomes, latency from the engine\'s own times', async () => {
    const out = await run('--days', '1', '--json');
    expect(out.code).toBe(0);
    const r = out.json<StatsReport>();
    expect(r.counts).toMatchObject({ requests: 4, sent: 3, delivered: 2, bounced: 1, complained: 1, failed: 1, pending: 0 });
    expect(r.perDay).toHaveLength(1);
    expect(r.latency.requestToSent.count).toBe(3);
    expect(r.latency.requestToDelivered.p95Ms).toBeGreaterThan(0);
    expect(r.latency.requestToDelivered.p95Ms).toBeLessThan(30_000);
  });

  it('the human form: counts with rates, latency, cost with arithmetic, and the chart', async () => {
    const out = await run();
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^Last 7 days for the local engine statstest: \d{4}-\d{2}-\d{2} – \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/m);
    // One precision for every rate, right-aligned, so the column lines up on the decimal point.
    const rates = Object.fromEntries([...out.stdout.matchAll(/^│ (\w[\w ]*?) +│ +[\d,]+ │ ( *[\d.]+%) │ \w+ +│$/gm)].map((m) => [m[1], m[2]]));
    expect(rates).toEqual({ delivered: '66.67%', bounced: '33.33%', complained: '33.33%', opened: ' 0.00%', clicked: ' 0.00%', failed: '25.00%', suppressed: ' 0.00%' });
    expect(out.stdout).toMatch(/│ request → delivered +│ +[\d.]+ m?s │ +[\d.]+ m?s │ +2 │/);
    expect(out.stdout).toContain('SES sending: 3 sent × $0.10 / 1,000 = $0.0003');
    expect(out.stdout).toMatch(new RegExp(`^${new Date().toISOString().slice(0, 10)}  █{40}  4  \\(1 bounced, 1 complained, 1 failed\\)$`, 'm'));
    expect(out.stdout.split('\n').filter((l) => /^\d{4}-\d{2}-\d{2} {2}/.test(l))).toHaveLength(7);
    expect(out.stderr).toContain('Read 4 tracking records.');
  });

  it('a period with no emails: says so, exit 0', () => {
    const empty = renderStats({ ...({} as StatsReport), stackName: STACK, local: true, title: `the local engine ${STACK}`, days: 2, since: '2025-01-01T00:00:00.000Z', until: '2025-01-02T10:00:00.000Z', counts: { requests: 0 } as StatsReport['counts'] });
    expect(empty).toBe('Last 2 days for the local engine statstest: 2025-01-01 – 2025-01-02 10:00 UTC\nNo emails in this period.');
  });

  it('bad --days: exit 2 naming the flag', async () => {
    for (const days of ['0', '366', 'week']) {
      const out = await run('--days', days);
      expect(out.code).toBe(2);
      expect(out.stderr).toContain('--days');
    }
  });
});
