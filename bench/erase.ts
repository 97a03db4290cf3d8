import { eraseAddress, type EraseDeps } from '../src/operations/erase.js';
import { TrackingStore } from '../src/tracking/tracking-store.js';
import { atMost, figure, type BenchResult, type Figure } from './lib/figures.js';
import { ITEMS_PER_EMAIL, seedEmails } from './lib/seed.js';
import type { BenchSizes } from './lib/sizes.js';
import { BENCH_STACK, silentIo, type BenchStack } from './lib/stack.js';
import { median, ratio, round } from './lib/stats.js';

/**
 * Erase scaling: `erase <address>` (the erase core) on an address with the smaller and the larger
 * number of emails, each with its history. Requests are counted on the DynamoDB client; the cost
 * per email should stay flat as the count grows.
 */
export async function benchErase(sizes: BenchSizes, bench: BenchStack): Promise<BenchResult> {
  const began = performance.now();
  const table = bench.names.trackingTable;
  const tracking = new TrackingStore(bench.db, { tableName: table, retentionDays: 90 });
  const deps: EraseDeps = {
    tracking,
    db: bench.db,
    trackingTable: table,
    suppressionTable: bench.names.suppressionTable,
    // As on a stack: erasing a mailed address leaves a keyed-hash mark for late feedback.
    hashKey: async () => Buffer.from('bench-suppression-hash-key'),
    account: { skipped: 'local', note: 'The local stack has no SES account-level suppression list.' },
    io: silentIo,
    engine: { stackName: BENCH_STACK, facts: () => ({ target: 'local', backups: { pointInTimeRecovery: false, windowDays: 0, note: 'The local stack keeps no backups.' }, notes: [] }) },
  };
  const figures: Figure[] = [];
  const perEmailMs: number[] = [];
  const perEmailRequests: number[] = [];
  const base = Date.parse('2026-02-01T00:00:00Z');
  for (const [size, count] of sizes.eraseSizes.entries()) {
    const times: number[] = [];
    const requests: number[] = [];
    let deletedItems = 0;
    for (let r = 0; r < sizes.eraseRuns[size]; r++) {
      const address = `erase-${count}-${r}@bench.example`;
      await seedEmails(bench.db, table, Array.from({ length: count }, (_, i) => ({ emailId: `er-${count}-${r}-${i}`, recipient: address, createdAt: new Date(base + i * 1000).toISOString() })));
      bench.counter.reset();
      const t = performance.now();
      const receipt = await eraseAddress(deps, { address, dryRun: false, forgetSuppression: false });
      times.push(performance.now() - t);
      requests.push(bench.counter.requests);
      deletedItems = receipt.deleted.trackingRecords + receipt.deleted.historyEntries;
      if (receipt.deleted.emails !== count) throw new Error(`erase of ${address} deleted ${receipt.deleted.emails} of ${count} emails`);
    }
    const ms = median(times);
    const req = median(requests);
    perEmailMs.push(ms / count);
    perEmailRequests.push(req / count);
    const label = `${count.toLocaleString('en-US')} emails`;
    figures.push(
      figure(`erase.${count}.median_ms`, `${label}: median erase time`, round(ms, 0), 'ms'),
      figure(`erase.${count}.requests`, `${label}: DynamoDB requests (median)`, req, 'requests'),
      figure(`erase.${count}.items_deleted`, `${label}: items deleted`, deletedItems, 'items'),
      figure(`erase.${count}.ms_per_email`, `${label}: time per email`, round(ms / count, 3), 'ms'),
      figure(`erase.${count}.requests_per_email`, `${label}: requests per email`, round(req / count, 3), 'requests'),
    );
  }
  const [small, large] = sizes.eraseSizes;
  const names = `${large.toLocaleString('en-US')} / ${small.toLocaleString('en-US')}`;
  figures.push(
    figure('erase.time_per_email_ratio', `time per email, ${names} emails`, round(ratio(perEmailMs[1], perEmailMs[0]), 3), 'ratio', atMost(1.5)),
    figure('erase.requests_per_email_ratio', `requests per email, ${names} emails`, round(ratio(perEmailRequests[1], perEmailRequests[0]), 3), 'ratio', atMost(1.5)),
  );
  return {
    bench: 'erase',
    title: 'Erase scaling',
    figures,
    params: { emails: sizes.eraseSizes, itemsPerEmail: ITEMS_PER_EMAIL, runs: sizes.eraseRuns },
    notes: [`Each email is a record and ${ITEMS_PER_EMAIL - 1} history items; each run erases a fresh address (seeded with BatchWriteItem first, not timed).`],
    tookMs: performance.now() - began,
  };
}
