import { ExitCode, isMailengineError } from '../errors.js';
import { SUPPRESSION_REASONS, type SuppressionEntry, type SuppressionReason, type SuppressionStore } from '../suppression/suppression-store.js';
import { addSuppression, type ChangeOutcome, type SuppressionLists } from './suppression.js';
import type { ExportRow, FileRow } from './suppression-files.js';
import { engineReasonFor } from './suppression-sync.js';
import { mapConcurrent } from '../util/pool.js';

export type ImportOutcome = 'added' | 'already' | 'would-add' | 'invalid' | 'duplicate' | 'failed';

/** One line of the per-row import report. */
export interface ImportRowReport {
  line: number;
  address?: string;
  reason?: SuppressionReason;
  outcome: ImportOutcome;
  /** The engine table's outcome; `outcome` sums up both lists. */
  engine?: ChangeOutcome;
  account?: ChangeOutcome;
  accountError?: string;
  message?: string;
}

export interface ImportReport {
  dryRun: boolean;
  rows: ImportRowReport[];
  counts: Record<ImportOutcome, number>;
  accountListNote?: string;
}

/** Rows imported at once: each writes the engine table and SES's account list. */
const IMPORTS_AT_ONCE = 4;

/**
 * Imports checked file rows into both lists, a few at a time. Bad rows and repeats are reported,
 * never guessed at; a row SES refuses is reported as failed while the others go on.
 */
export async function importSuppressions(lists: SuppressionLists, rows: ReadonlyArray<FileRow>, options: { dryRun: boolean }): Promise<ImportReport> {
  const seen = new Set<string>();
  const report: ImportRowReport[] = rows.map((row) => {
    if (row.error) return { line: row.line, address: row.address, outcome: 'invalid', message: row.error };
    if (seen.has(row.address as string)) return { line: row.line, address: row.address, reason: row.reason, outcome: 'duplicate', message: 'already earlier in the file' };
    seen.add(row.address as string);
    return { line: row.line, address: row.address, reason: row.reason, outcome: 'added' };
  });
  const todo = report.filter((r) => r.outcome === 'added');
  await mapConcurrent(todo, IMPORTS_AT_ONCE, async (row) => {
    try {
      const out = await addSuppression(lists, row.address as string, { reason: row.reason as SuppressionReason, dryRun: options.dryRun, source: 'import' });
      row.engine = out.engine;
      row.account = out.account;
      if (out.accountError) row.accountError = out.accountError;
      row.outcome = out.account === 'failed' ? 'failed' : changed(out.engine) || changed(out.account) ? (options.dryRun ? 'would-add' : 'added') : 'already';
    } catch (err) {
      // Credentials, permissions and an unreachable service fail every row alike: stop there.
      if (!isMailengineError(err) || err.exitCode === ExitCode.Environment) throw err;
      row.outcome = 'failed';
      row.message = err.message;
    }
  });
  const counts = { added: 0, already: 0, 'would-add': 0, invalid: 0, duplicate: 0, failed: 0 } as Record<ImportOutcome, number>;
  for (const r of report) counts[r.outcome] += 1;
  return { dryRun: options.dryRun, rows: report, counts, ...(lists.account.list ? {} : { accountListNote: lists.account.note }) };
}

const changed = (o: ChangeOutcome | undefined) => o === 'added' || o === 'would-add';

/** Every suppression on both lists, merged by address, newest first. */
export async function exportSuppressions(lists: SuppressionLists): Promise<{ rows: ExportRow[]; accountListNote?: string }> {
  const engine = await allEngineEntries(lists.store);
  const account = lists.account.list ? (await lists.account.list.list({})).entries : [];
  const rows = new Map<string, ExportRow>();
  for (const e of engine) rows.set(e.address, { address: e.address, reason: e.reason as string, suppressedAt: e.suppressedAt ?? '', lists: 'engine' });
  for (const a of account) {
    const row = rows.get(a.address);
    if (row) row.lists = 'engine+ses';
    else rows.set(a.address, { address: a.address, reason: engineReasonFor(a.reason), suppressedAt: a.lastUpdate, lists: 'ses' });
  }
  const sorted = [...rows.values()].sort((a, b) => b.suppressedAt.localeCompare(a.suppressedAt) || a.address.localeCompare(b.address));
  return { rows: sorted, ...(lists.account.list ? {} : { accountListNote: lists.account.note }) };
}

async function allEngineEntries(store: SuppressionStore): Promise<SuppressionEntry[]> {
  const entries: SuppressionEntry[] = [];
  for (const reason of SUPPRESSION_REASONS) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await store.listByReason(reason, { limit: 500, startKey });
      entries.push(...page.entries);
      startKey = page.next;
    } while (startKey);
  }
  return entries;
}
