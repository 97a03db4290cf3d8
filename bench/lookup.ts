import { lookupEmails, planLookup } from '../src/operations/lookup.js';
import { TrackingStore } from '../src/tracking/tracking-store.js';
import { atMost, figure, type BenchResult, type Figure } from './lib/figures.js';
import { ITEMS_PER_EMAIL, seedEmails, type SeedEmail } from './lib/seed.js';
import type { BenchSizes } from './lib/sizes.js';
import type { BenchStack } from './lib/stack.js';
import { median, percentile, ratio, round } from './lib/stats.js';

const TARGET = 'lookup-target@bench.example';
const WARM_UP = 5;

/** Emails for the table's other recipients, each of whom has about `perRecipient` emails. */
function fillerEmails(from: number, to: number, perRecipient: number, base: number): SeedEmail[] {
  const emails: SeedEmail[] = [];
  for (let i = from; i < to; i++) {
    emails.push({ emailId: `lk-${i}`, recipient: `user-${Math.floor(i / perRecipient)}@bench.example`, createdAt: new Date(base + i * 1000).toISOString() });
  }
  return emails;
}

/**
 * Lookup scaling: `status lookup --recipient` (the lookup core, one page of 20 with each email's
 * history) on a tracking table of the smaller and then the larger size. A lookup queries the
 * by-recipient index and reads each listed email by key, so its cost should follow what it
 * returns, not how big the table is.
 */
export async function benchLookup(sizes: BenchSizes, bench: BenchStack): Promise<BenchResult> {
  const began = performance.now();
  const table = bench.names.trackingTable;
  const tracking = new TrackingStore(bench.db, { tableName: table, retentionDays: 90 });
  const perRecipient = sizes.lookupRecipientEmails;
  const base = Date.parse('2026-01-01T00:00:00Z');
  const targetEmails: SeedEmail[] = Array.from({ length: perRecipient }, (_, i) => ({ emailId: `lk-target-${i}`, recipient: TARGET, createdAt: new Date(base + i * 3_600_000).toISOString() }));
  await seedEmails(bench.db, table, targetEmails);
  let emailsWritten = perRecipient;
  const figures: Figure[] = [];
  const medians: number[] = [];
  const seedMs: number[] = [];
  for (const items of sizes.lookupSizes) {
    const wantEmails = Math.ceil(items / ITEMS_PER_EMAIL);
    const t = performance.now();
    await seedEmails(bench.db, table, fillerEmails(emailsWritten - perRecipient, wantEmails - perRecipient, perRecipient, base));
    seedMs.push(performance.now() - t);
    emailsWritten = wantEmails;
    const plan = planLookup({ recipient: TARGET, limit: perRecipient });
    // Warm-up: the first queries after a bulk load pay for DynamoDB Local's JIT and caches,
    // which would make the smaller table look slower than the larger one.
    for (let i = 0; i < WARM_UP; i++) await lookupEmails(tracking, plan, 'in the bench stack');
    const times: number[] = [];
    let found = 0;
    bench.counter.reset();
    for (let i = 0; i < sizes.lookupRuns; i++) {
      const t0 = performance.now();
      const result = await lookupEmails(tracking, plan, 'in the bench stack');
      times.push(performance.now() - t0);
      found = result.emails.length;
    }
    const perLookup = (n: number) => round(n / sizes.lookupRuns, 1);
    const m = median(times);
    medians.push(m);
    const label = `${items.toLocaleString('en-US')} items`;
    figures.push(
      figure(`lookup.${items}.median_ms`, `table of ${label}: median lookup time`, round(m, 1), 'ms'),
      figure(`lookup.${items}.p90_ms`, `table of ${label}: p90 lookup time`, round(percentile(times, 90), 1), 'ms'),
      figure(`lookup.${items}.emails_returned`, `table of ${label}: emails returned`, found, 'emails'),
      figure(`lookup.${items}.items_read`, `table of ${label}: items read per lookup`, perLookup(bench.counter.itemsScanned), 'items'),
      figure(`lookup.${items}.read_capacity`, `table of ${label}: read capacity per lookup`, perLookup(bench.counter.readCapacity), 'RCU'),
      figure(`lookup.${items}.requests`, `table of ${label}: DynamoDB requests per lookup`, perLookup(bench.counter.requests), 'requests'),
    );
  }
  const [small, large] = sizes.lookupSizes;
  figures.push(figure('lookup.latency_ratio', `median latency ${large.toLocaleString('en-US')} / ${small.toLocaleString('en-US')} items`, round(ratio(medians[1], medians[0]), 3), 'ratio', atMost(1.5)));
  return {
    bench: 'lookup',
    title: 'Lookup scaling',
    figures,
    params: { tableItems: sizes.lookupSizes, itemsPerEmail: ITEMS_PER_EMAIL, recipientEmails: perRecipient, runs: sizes.lookupRuns, seedMs: seedMs.map((s) => round(s, 0)) },
    notes: [`Every recipient has about ${perRecipient} emails; each email is a record and ${ITEMS_PER_EMAIL - 1} history items. Lookups are \`lookupEmails\` with --recipient and --limit ${perRecipient}.`],
    tookMs: performance.now() - began,
  };
}
