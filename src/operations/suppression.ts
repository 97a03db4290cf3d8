import { ExitCode, MailengineError, usageError } from '../errors.js';
import { SUPPRESSION_REASON_RANK, SUPPRESSION_REASONS, type SuppressionEntry, type SuppressionReason, type SuppressionStore } from '../suppression/suppression-store.js';
import { parseAddress } from './address.js';
import { accountReasonFor, engineReasonFor, type AccountEntry, type AccountListAccess } from './suppression-sync.js';

/** The engine's table and the SES account-level list, as one suppression list. */
export interface SuppressionLists {
  /** Built with the hash key, so erased addresses are found through their hash. */
  store: SuppressionStore;
  account: AccountListAccess;
}

export interface EngineSide {
  reason: SuppressionReason;
  suppressedAt?: string;
  source?: string;
  /** Blocked only through the keyed hash an erasure kept. */
  hashed: boolean;
}

export interface AccountSide {
  reason: string;
  lastUpdate: string;
}

export interface CheckResult {
  address: string;
  suppressed: boolean;
  engine: EngineSide | null;
  /** Null when not listed; absent when the account list was not consulted. */
  account?: AccountSide | null;
  accountListNote?: string;
}

/** Where an address stands on both lists. */
export async function checkSuppression(lists: SuppressionLists, rawAddress: string): Promise<CheckResult> {
  const address = parseAddress(rawAddress);
  const [engine, account] = await Promise.all([lists.store.check(address), lists.account.list?.get(address)]);
  return {
    address,
    suppressed: engine !== undefined || account !== undefined,
    engine: engineSide(engine),
    ...(lists.account.list ? { account: account ? accountSide(account) : null } : { accountListNote: lists.account.note }),
  };
}

export type ChangeOutcome = 'added' | 'already' | 'would-add' | 'removed' | 'would-remove' | 'not-listed' | 'skipped' | 'failed';

export interface AddResult {
  address: string;
  reason: SuppressionReason;
  engine: ChangeOutcome;
  /** The stronger or equal reason it already had. */
  existingReason?: SuppressionReason;
  account: ChangeOutcome;
  accountError?: string;
}

/**
 * Suppresses an address on both lists. The engine keeps the stronger reason when there already is
 * one (a complaint is never downgraded to `manual`); SES gets BOUNCE or COMPLAINT.
 */
export async function addSuppression(lists: SuppressionLists, rawAddress: string, options: { reason: SuppressionReason; dryRun: boolean; source?: string }): Promise<AddResult> {
  const address = rawAddress.startsWith('hmac:') ? rawAddress : parseAddress(rawAddress);
  const existing = await lists.store.get(address);
  const stronger = existing?.reason !== undefined && SUPPRESSION_REASON_RANK[existing.reason] >= SUPPRESSION_REASON_RANK[options.reason];
  let engine: ChangeOutcome = stronger ? 'already' : options.dryRun ? 'would-add' : 'added';
  if (engine === 'added' && !(await lists.store.suppress(address, options.reason, options.source ?? 'cli'))) engine = 'already';
  const result: AddResult = { address, reason: options.reason, engine, ...(stronger ? { existingReason: existing?.reason } : {}), account: 'skipped' };
  if (!lists.account.list || address.startsWith('hmac:')) return result;
  try {
    const listed = await lists.account.list.get(address);
    if (listed && (listed.reason === 'COMPLAINT' || accountReasonFor(options.reason) === 'BOUNCE')) result.account = 'already';
    else if (options.dryRun) result.account = 'would-add';
    else {
      await lists.account.list.put(address, accountReasonFor(options.reason));
      result.account = 'added';
    }
  } catch (err) {
    // One row failing at SES must not hide the rows that worked; the caller reports it and exits 1.
    if (!(err instanceof MailengineError)) throw err;
    result.account = 'failed';
    result.accountError = err.message;
  }
  return result;
}

/**
 * The one rule for every command that makes an address mailable again: a suppression for a
 * complaint is lifted only with `force`. The recipient marked the email as spam, and mailing them
 * again is what gets an SES account reviewed.
 */
export function assertMayLiftComplaint(address: string, entries: ReadonlyArray<{ reason?: string } | undefined>, force: boolean): void {
  const complaint = entries.some((e) => e?.reason === 'complaint' || e?.reason === 'COMPLAINT');
  if (!complaint || force) return;
  throw usageError(
    'COMPLAINT_NEEDS_FORCE',
    `${address} is suppressed because of a complaint: the recipient marked your email as spam. Mailing them again hurts your sender reputation, and a complaint rate over 0.1% puts the SES account under review.`,
    'Only if they have asked to receive your email again, re-run with --force.',
    { address },
  );
}

export interface RemoveResult {
  address: string;
  engine: ChangeOutcome;
  /** The keyed hash an erasure had kept for the address. */
  hash: ChangeOutcome;
  account: ChangeOutcome;
  reasons: string[];
}

/**
 * Takes an address off both lists, including the hash an erasure kept. An address suppressed
 * for a complaint stays unless `force` (assertMayLiftComplaint).
 */
export async function removeSuppression(lists: SuppressionLists, rawAddress: string, options: { force: boolean; dryRun: boolean }): Promise<RemoveResult> {
  const address = parseAddress(rawAddress);
  const [plain, hash, listed] = await Promise.all([lists.store.get(address), lists.store.getHash(address), lists.account.list?.get(address)]);
  assertMayLiftComplaint(address, [plain, hash, listed], options.force);
  const reasons = [plain?.reason, hash?.reason, listed ? engineReasonFor(listed.reason) : undefined].filter((r): r is SuppressionReason => r !== undefined);
  const outcome = (present: boolean): ChangeOutcome => (!present ? 'not-listed' : options.dryRun ? 'would-remove' : 'removed');
  const result: RemoveResult = {
    address,
    // A bare soft-bounce counter is not a suppression, but removing the address clears it too.
    engine: outcome(plain?.reason !== undefined),
    // An erasure mark (a hash without a reason) blocks nothing: not a suppression to remove.
    hash: outcome(hash?.reason !== undefined),
    account: lists.account.list ? outcome(listed !== undefined) : 'skipped',
    reasons: [...new Set(reasons)],
  };
  if (!options.dryRun) {
    if (plain) await lists.store.remove(address);
    if (hash?.reason !== undefined) await lists.store.removeHash(address);
    if (listed) await lists.account.list?.remove(address);
  }
  return result;
}

export interface ListedSuppression {
  address: string;
  /** True for the keyed hash an erasure kept: the address itself is no longer known. */
  hashed: boolean;
  engine: EngineSide | null;
  account: AccountSide | null;
}

export interface ListResult {
  entries: ListedSuppression[];
  /** More exist than `limit`. */
  truncated: boolean;
  accountListNote?: string;
}

/**
 * Both lists merged by address, newest first. The engine side reads the by-reason index (one
 * Query per reason, merged); the SES side pages ListSuppressedDestinations.
 */
export async function listSuppressions(lists: SuppressionLists, filter: { reason?: SuppressionReason; since?: string; until?: string; limit: number }): Promise<ListResult> {
  const reasons = filter.reason ? [filter.reason] : SUPPRESSION_REASONS;
  const pages = await Promise.all(reasons.map((reason) => lists.store.listByReason(reason, { limit: filter.limit, since: filter.since, until: filter.until })));
  let truncated = pages.some((p) => p.next !== undefined);
  const engineEntries = pages.flatMap((p) => p.entries);
  let accountEntries: AccountEntry[] = [];
  if (lists.account.list) {
    const sesReasons = filter.reason ? [accountReasonFor(filter.reason)] : undefined;
    const out = await lists.account.list.list({ reasons: sesReasons, since: filter.since, until: filter.until, limit: filter.limit });
    accountEntries = out.entries;
    truncated ||= out.truncated;
  }
  const merged = new Map<string, ListedSuppression>();
  for (const e of engineEntries) merged.set(e.address, { address: e.address, hashed: e.hashed === true, engine: engineSide(e), account: null });
  for (const a of accountEntries) {
    const row = merged.get(a.address) ?? { address: a.address, hashed: false, engine: null, account: null };
    row.account = accountSide(a);
    merged.set(a.address, row);
  }
  const when = (r: ListedSuppression) => r.engine?.suppressedAt ?? r.account?.lastUpdate ?? '';
  const entries = [...merged.values()].sort((a, b) => when(b).localeCompare(when(a)));
  if (entries.length > filter.limit) truncated = true;
  return { entries: entries.slice(0, filter.limit), truncated, ...(lists.account.list ? {} : { accountListNote: lists.account.note }) };
}

function engineSide(entry: SuppressionEntry | undefined): EngineSide | null {
  if (!entry?.reason) return null;
  return { reason: entry.reason, suppressedAt: entry.suppressedAt, source: entry.source, hashed: entry.hashed === true || entry.address.startsWith('hmac:') };
}

function accountSide(entry: AccountEntry): AccountSide {
  return { reason: entry.reason, lastUpdate: entry.lastUpdate };
}

/** For commands that change SES per address: any row SES refused makes the run a failure (exit 1). */
export function accountFailures(rows: ReadonlyArray<{ account: ChangeOutcome; address: string; accountError?: string }>): MailengineError | undefined {
  const failed = rows.filter((r) => r.account === 'failed');
  if (failed.length === 0) return undefined;
  return new MailengineError('ACCOUNT_LIST_FAILED', `SES refused ${failed.length} of ${rows.length} changes to the account-level list (first: ${failed[0].address}: ${failed[0].accountError ?? 'unknown error'}).`, {
    exitCode: ExitCode.Failed,
    suggestion: "The engine's table was updated; run the same command again to retry SES (it is safe to repeat).",
  });
}
