import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RECORD_SORT_KEY } from '../model/tables.js';
import { ExitCode, MailengineError } from '../errors.js';
import { say, type IoHost } from '../io/io-host.js';
import { LATE_FEEDBACK_DAYS, SuppressionStore, type SuppressionEntry, type SuppressionReason } from '../suppression/suppression-store.js';
import type { ItemKey, PageKey, TrackingStore } from '../tracking/tracking-store.js';
import { parseAddress } from './address.js';
import { assertMayLiftComplaint } from './suppression.js';
import { batchDelete, type BatchDeleteOptions } from './batch-delete.js';
import { describeCounts, type ErasureCounts } from './erase-counts.js';
import type { AccountEntry, AccountListAccess } from './suppression-sync.js';
import { ATTACHMENT_VERSIONS_NOTE, deleteAttachments, remainingAttachments, type AttachmentBucket } from './erase-attachments.js';

/**
 * DynamoDB point-in-time recovery keeps every table's history for its recovery period; the
 * template leaves that at the 35-day default. A restore to a time inside it brings erased items back.
 */
export const PITR_WINDOW_DAYS = 35;

export interface EraseOptions {
  address: string;
  dryRun: boolean;
  /** Also drop the suppression itself, keeping no hash: the address becomes mailable again. */
  forgetSuppression: boolean;
  /** Needed with `forgetSuppression` when the address was suppressed for a complaint. */
  force?: boolean;
  /** Query page size; small values prove paging in tests. */
  pageSize?: number;
}

export interface EraseDeps {
  tracking: TrackingStore;
  db: DynamoDBDocumentClient;
  trackingTable: string;
  suppressionTable: string;
  /** The suppression hash key; `create` is true only when a hash is about to be written. */
  hashKey(create: boolean): Promise<Buffer | undefined>;
  account: AccountListAccess;
  /** The engine's attachments: any still there for the address's emails are deleted too. */
  attachments?: AttachmentBucket;
  io: IoHost;
  engine: { stackName: string; facts(finishedAt: string): ErasureFacts };
  batch?: BatchDeleteOptions;
  now?: () => Date;
}

/** What a receipt says of where the erasure ran: which engine, its backups, what erase cannot reach. */
export interface ErasureFacts {
  target: ErasureReceipt['target'];
  region?: string;
  backups: ErasureReceipt['backups'];
  notes: string[];
}

/** The request still waiting in a queue is a copy every target has. */
export const QUEUED_COPIES_NOTE = 'Requests still waiting in the send queue or its dead-letter queue (kept up to 14 days) carry the address; `mailengine dlq list` shows them.';

/** What `erase` reports and `--receipt` writes. */
export interface ErasureReceipt {
  receipt: 'mailengine-erasure';
  version: 1;
  address: string;
  stack: string;
  target: 'aws' | 'local';
  region?: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  /** True when nothing about the address was left to erase (for example on a second run). */
  nothingFound: boolean;
  found: ErasureCounts;
  deleted: ErasureCounts;
  suppression: { suppressed: boolean; reason?: SuppressionReason; kept: 'keyed-hash' | 'none' };
  accountList: { status: 'removed' | 'would-remove' | 'not-listed' | 'skipped'; reason?: string; note?: string };
  backups: { pointInTimeRecovery: boolean; windowDays: number; deletedDataRecoverableUntil?: string; note: string };
  notes: string[];
}

interface ErasurePlan {
  emails: Array<{ emailId: string; keys: ItemKey[] }>;
  plain?: SuppressionEntry;
  hash?: SuppressionEntry;
  accountEntry?: AccountEntry;
  /** Attachment objects still in the bucket for the address's emails. */
  attachments?: string[];
}

/**
 * GDPR erasure of one address: every tracking record sent to it and each record's history, its
 * suppression entries, and its entry on the SES account-level list. When the address was
 * suppressed, a keyed hash (HMAC) of it stays so the engine can never mail it by accident; the
 * address itself is gone. Reading comes first, so a second run finds nothing and changes nothing.
 */
export async function eraseAddress(deps: EraseDeps, options: EraseOptions): Promise<ErasureReceipt> {
  const address = parseAddress(options.address);
  const now = deps.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const plan = await planErasure(deps, address, options);
  if (options.forgetSuppression) assertMayLiftComplaint(address, [plan.plain, plan.hash, plan.accountEntry], options.force ?? false);
  const found = countPlan(plan);
  const keepHash = plan.plain?.reason !== undefined && !options.forgetSuppression;
  const dropHash = options.forgetSuppression && plan.hash?.reason !== undefined;
  const nothingFound = found.emails === 0 && !plan.plain && !dropHash && !plan.accountEntry && !found.attachments;
  // SES may still report a bounce or complaint for an erased email; without a hash to find, Feedback
  // would store the address again. A suppression kept as a hash already covers it; --forget-suppression keeps no hash.
  const markErased = found.emails > 0 && !keepHash && plan.hash?.reason === undefined && !options.forgetSuppression;
  const markUntil = new Date(now().getTime() + LATE_FEEDBACK_DAYS * 86_400_000);
  const deleted: ErasureCounts = { emails: 0, trackingRecords: 0, historyEntries: 0, suppressionEntries: 0 };

  if (!nothingFound && !options.dryRun) {
    const confirmed = await deps.io.requestResponse({
      kind: 'confirm',
      code: 'erase.confirm',
      message: `Erase ${describeCounts(found)} for ${address}${keepHash ? ', keeping only a keyed hash of it on the suppression list' : ''}? This cannot be undone`,
      default: false,
    });
    if (!confirmed) throw new MailengineError('ERASE_DECLINED', `Nothing was erased for ${address}.`, { exitCode: ExitCode.Failed, suggestion: 'Run it again and confirm, or pass --yes.' });
    await execute(deps, address, plan, { keepHash, dropHash, markUntil: markErased ? markUntil : undefined, deleted, now });
  }

  const finishedAt = now().toISOString();
  const facts = deps.engine.facts(finishedAt);
  const suppressedReason = plan.plain?.reason ?? plan.hash?.reason;
  return {
    receipt: 'mailengine-erasure',
    version: 1,
    address,
    stack: deps.engine.stackName,
    target: facts.target,
    ...(facts.region ? { region: facts.region } : {}),
    dryRun: options.dryRun,
    startedAt,
    finishedAt,
    nothingFound,
    found,
    deleted,
    suppression: {
      suppressed: suppressedReason !== undefined,
      ...(suppressedReason ? { reason: suppressedReason } : {}),
      kept: (keepHash || (plan.hash?.reason !== undefined && !options.forgetSuppression)) ? 'keyed-hash' : 'none',
    },
    accountList: accountListOutcome(deps.account, plan.accountEntry, options.dryRun),
    backups: facts.backups,
    notes: [
      ...facts.notes,
      ...(markErased ? [lateFeedbackNote(options.dryRun ? undefined : markUntil)] : []),
      ...(found.attachments ? [ATTACHMENT_VERSIONS_NOTE] : []),
    ],
  };
}

function lateFeedbackNote(until: Date | undefined): string {
  const how = until ? `stays until ${until.toISOString().slice(0, 10)}` : `would stay for ${LATE_FEEDBACK_DAYS} days`;
  return `A keyed hash of the address, which blocks nothing, ${how}, so that a bounce or complaint SES reports after the erasure is kept as the hash, not as the address.`;
}

async function planErasure(deps: EraseDeps, address: string, options: EraseOptions): Promise<ErasurePlan> {
  const progress = deps.io.progress('erase.find', `Finding everything stored about ${address}`);
  try {
    const emails: ErasurePlan['emails'] = [];
    const attachmentKeys: string[] = [];
    let start: PageKey | undefined;
    do {
      const page = await deps.tracking.listByRecipient(address, { limit: options.pageSize ?? 100, startKey: start });
      for (const record of page.records) {
        emails.push({ emailId: record.emailId, keys: await deps.tracking.listItemKeys(record.emailId, options.pageSize) });
        attachmentKeys.push(...(record.attachmentKeys ?? []));
      }
      start = page.next;
    } while (start);
    const plain = await new SuppressionStore(deps.db, { tableName: deps.suppressionTable }).get(address);
    const key = await deps.hashKey(false);
    const hash = key ? await new SuppressionStore(deps.db, { tableName: deps.suppressionTable, hashKey: key }).getHash(address) : undefined;
    const accountEntry = deps.account.list ? await deps.account.list.get(address) : undefined;
    const attachments = deps.attachments && attachmentKeys.length ? await remainingAttachments(deps.attachments, attachmentKeys) : [];
    // An email whose items were all gone by the time they were read (a concurrent erase) is not counted.
    const plan = { emails: emails.filter((e) => e.keys.length > 0), plain, hash, accountEntry, attachments };
    progress.succeed(`Found ${describeCounts(countPlan(plan))} for ${address}`);
    return plan;
  } catch (err) {
    progress.fail();
    throw err;
  }
}

async function execute(deps: EraseDeps, address: string, plan: ErasurePlan, run: { keepHash: boolean; dropHash: boolean; markUntil?: Date; deleted: ErasureCounts; now: () => Date }): Promise<void> {
  const plainStore = new SuppressionStore(deps.db, { tableName: deps.suppressionTable });
  // The hash goes in before anything is deleted, so at no moment is the address mailable, and no
  // late bounce finds its record gone but no mark.
  if (run.keepHash && plan.plain?.reason) {
    const key = await deps.hashKey(true);
    await new SuppressionStore(deps.db, { tableName: deps.suppressionTable, hashKey: key }).suppressHashed(address, plan.plain.reason, plan.plain.suppressedAt ?? run.now().toISOString());
  }
  if (run.markUntil) {
    const key = await deps.hashKey(true);
    await new SuppressionStore(deps.db, { tableName: deps.suppressionTable, hashKey: key, now: run.now }).markErased(address, run.markUntil);
  }

  // Attachments before the records that name them: an interrupted run finds them again next time.
  if (plan.attachments?.length && deps.attachments) run.deleted.attachments = await deleteAttachments(deps.attachments, plan.attachments);
  const keys = plan.emails.flatMap((e) => e.keys);
  if (keys.length > 0) {
    const progress = deps.io.progress('erase.delete', `Deleting ${keys.length} tracking items`);
    try {
      await batchDelete(deps.db, deps.trackingTable, keys as unknown as Array<Record<string, unknown>>, {
        ...deps.batch,
        onRetry: (unprocessed, attempt) => progress.update(`DynamoDB left ${unprocessed} deletes unprocessed; retrying (try ${attempt + 1})`),
      });
      progress.succeed(`Deleted ${keys.length} tracking items`);
    } catch (err) {
      progress.fail();
      throw err;
    }
    const counted = countPlan({ emails: plan.emails });
    run.deleted.emails = counted.emails;
    run.deleted.trackingRecords = counted.trackingRecords;
    run.deleted.historyEntries = counted.historyEntries;
  }

  if (plan.plain && (await plainStore.remove(address))) run.deleted.suppressionEntries += 1;
  if (run.dropHash) {
    const key = await deps.hashKey(false);
    const removed = key ? await new SuppressionStore(deps.db, { tableName: deps.suppressionTable, hashKey: key }).removeHash(address) : undefined;
    if (removed?.reason !== undefined) run.deleted.suppressionEntries += 1;
  }
  const forgotten = run.dropHash || (!run.keepHash && plan.plain?.reason !== undefined);
  if (forgotten) {
    say.warn(deps.io, 'erase.suppression-forgotten', `${address} is no longer on the engine's suppression list (it was: ${plan.plain?.reason ?? plan.hash?.reason}); a new request to it will be sent.`);
  }
  if (plan.accountEntry && deps.account.list) await deps.account.list.remove(address);
}

function countPlan(plan: Pick<ErasurePlan, 'emails'> & Partial<ErasurePlan>): ErasureCounts {
  const keys = plan.emails.flatMap((e) => e.keys);
  const records = keys.filter((k) => k.sk === RECORD_SORT_KEY).length;
  return {
    emails: plan.emails.length,
    trackingRecords: records,
    historyEntries: keys.length - records,
    // An erasure mark (a hash without a reason) is not a suppression entry.
    suppressionEntries: (plan.plain ? 1 : 0) + (plan.hash?.reason !== undefined ? 1 : 0),
    ...(plan.attachments?.length ? { attachments: plan.attachments.length } : {}),
  };
}

function accountListOutcome(access: AccountListAccess, entry: AccountEntry | undefined, dryRun: boolean): ErasureReceipt['accountList'] {
  if (!access.list) return { status: 'skipped', note: access.note };
  if (!entry) return { status: 'not-listed' };
  return { status: dryRun ? 'would-remove' : 'removed', reason: entry.reason };
}
