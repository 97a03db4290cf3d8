import { ENGINE_DEFAULTS } from '../engine/defaults.js';
import { EMAIL_ID_PATTERN } from '../model/request.js';
import { RECORD_SORT_KEY, TRACKING_TABLE, emailPk } from '../model/tables.js';
import { ExitCode, MailengineError, usageError } from '../errors.js';
import type { TrackingRecord } from '../tracking/record.js';
import type { PageKey, TrackingStore } from '../tracking/tracking-store.js';
import { parseAddress } from './address.js';
import { listByDay, type DayPosition } from './day-merge.js';
import { emailView, type EmailView } from './email-view.js';
import { decodePageToken, encodePageToken } from './page-token.js';
import { parseTimeOption } from './time-range.js';
import { mapConcurrent } from '../util/pool.js';
import { isScheduledPosition, listScheduled, type ScheduledPosition } from './schedule/list.js';

/** What `status lookup` was asked, as typed. Exactly one way of looking is allowed. */
export interface LookupOptions {
  emailId?: string;
  messageId?: string;
  recipient?: string;
  since?: string;
  until?: string;
  /** Emails per page; without it 20, or with `next` the page size of the lookup that printed the token. */
  limit?: number;
  /** A token from the previous page; alone, it continues that query. */
  next?: string;
  /** `scheduled`: the emails waiting for their sendAt, soonest first (the only status with an index of its own). */
  status?: string;
}

export type LookupQuery =
  | { by: 'email-id'; emailId: string }
  | { by: 'message-id'; messageId: string }
  | { by: 'recipient'; recipient: string; limit: number }
  | { by: 'time'; since: string; until: string; limit: number }
  | { by: 'scheduled'; limit: number };

export interface LookupResult {
  query: LookupQuery;
  emails: EmailView[];
  /** Pass as `--next` for the following page; absent on the last page. */
  next?: string;
}

/** The longest `--since/--until` range: the engine keeps records at most this many days (a day more for the partial days at both ends). */
const MAX_RANGE_DAYS = ENGINE_DEFAULTS.maxDataRetentionDays + 1;

/** Emails per page when neither `--limit` nor a `--next` token says. */
export const DEFAULT_PAGE_SIZE = 20;

/** A checked lookup: the query, and where a `--next` token resumes it. */
export interface LookupPlan {
  query: LookupQuery;
  position?: unknown;
  paging: boolean;
  /** `--since`/`--until` as typed (`24h` stays `24h`), so a token can be matched against them on the next page. */
  asTyped?: { since: string; until?: string };
}

/**
 * Checks what was asked (one way of looking, a valid address, id, times and token) without any
 * AWS call, so bad input is exit 2 before credentials or the stack come into it.
 */
export function planLookup(options: LookupOptions, now = new Date()): LookupPlan {
  return { ...resolveQuery(options, now), paging: options.next !== undefined };
}

/**
 * Finds emails and their timelines. Every path is a GetItem or a Query on the table or one of
 * its indexes (by-recipient, by-message-id, by-day); nothing scans. Nothing found is exit 4.
 *
 * @param where how to name the engine in a not-found message, e.g. "in stack mailengine-prod"
 */
export async function lookupEmails(tracking: TrackingStore, plan: LookupPlan, where: string): Promise<LookupResult> {
  const { query, position, asTyped } = plan;
  let records: TrackingRecord[] = [];
  let next: string | undefined;

  if (query.by === 'email-id' || query.by === 'message-id') {
    const emailId = query.by === 'email-id' ? query.emailId : await tracking.findEmailIdByMessageId(query.messageId);
    const found = emailId ? await tracking.getWithHistory(emailId) : undefined;
    if (!found) throw notFound(query, where);
    return { query, emails: [emailView(found.record, found.history)] };
  }
  if (query.by === 'scheduled') {
    const page = await listScheduled(tracking, { limit: query.limit, position: position as ScheduledPosition | undefined });
    records = page.records;
    if (page.next) next = encodePageToken({ by: 'scheduled', limit: query.limit, position: page.next });
  } else if (query.by === 'recipient') {
    const page = await tracking.listByRecipient(query.recipient, { limit: query.limit, startKey: position ? recipientKey(query.recipient, position as [string, string]) : undefined });
    records = page.records;
    // The token keeps only [createdAt, emailId] of the last email; the rest of the key follows from them.
    const last = records[records.length - 1];
    if (page.next) next = encodePageToken({ by: 'recipient', recipient: query.recipient, limit: query.limit, after: [last.createdAt, last.emailId] });
  } else {
    const page = await listByDay(tracking, { since: query.since, until: query.until, limit: query.limit, position: position as DayPosition | undefined });
    records = page.records;
    // The resolved range travels with the token: `--since 1h` on the next page would mean another hour.
    if (page.next) next = encodePageToken({ by: 'time', since: query.since, until: query.until, ...(asTyped ? { asTyped } : {}), limit: query.limit, position: page.next });
  }
  if (records.length === 0) throw notFound(query, where, plan.paging);
  const emails = await withHistories(tracking, records);
  return { query, emails, ...(next ? { next } : {}) };
}

/** Records and histories read at once for a listed page. */
const HISTORY_READS_AT_ONCE = 8;

/** Reads each listed email's record and history (by its key) a few at a time. */
async function withHistories(tracking: TrackingStore, records: TrackingRecord[]): Promise<EmailView[]> {
  const views = await mapConcurrent(records, HISTORY_READS_AT_ONCE, async (record) => {
    const found = await tracking.getWithHistory(record.emailId);
    // The index lags the table a little: an email erased a moment ago is simply left out.
    return found ? emailView(found.record, found.history) : undefined;
  });
  return views.filter((v): v is EmailView => v !== undefined);
}

function resolveQuery(options: LookupOptions, now: Date): Omit<LookupPlan, 'paging'> {
  const given = [options.emailId !== undefined, options.messageId !== undefined, options.recipient !== undefined, options.since !== undefined || options.until !== undefined, options.status !== undefined].filter(Boolean).length;
  const token = options.next !== undefined ? decodePageToken(options.next) : undefined;
  if (given > 1) {
    throw usageError('LOOKUP_AMBIGUOUS', 'Look up by one of --email-id, --message-id, --recipient, --since/--until or --status, not several.', 'Run one lookup per question.');
  }
  if (given === 0 && !token) {
    throw usageError('LOOKUP_MISSING', 'Say what to look up: --email-id, --message-id, --recipient, --since/--until or --status scheduled.', 'e.g. `mailengine status lookup --recipient ann@example.com`.');
  }
  if (options.status !== undefined && options.status !== 'scheduled') {
    throw usageError('LOOKUP_STATUS_UNSUPPORTED', `--status ${options.status.slice(0, 40)}: only \`--status scheduled\` has an index to list by.`, 'For other statuses, look up a time range (--since) and read each email\'s status.');
  }
  if (token && (options.emailId !== undefined || options.messageId !== undefined)) {
    throw usageError('PAGE_TOKEN_UNEXPECTED', '--next continues a --recipient or --since/--until lookup; an email id or message id has one result.');
  }
  const limit = options.limit ?? tokenLimit(token) ?? DEFAULT_PAGE_SIZE;
  if (limit < 1 || limit > 200 || !Number.isInteger(limit)) {
    throw usageError('INVALID_LIMIT', `--limit must be a whole number from 1 to 200 (got ${limit}).`);
  }

  if (options.emailId !== undefined) {
    if (!EMAIL_ID_PATTERN.test(options.emailId)) {
      throw usageError('INVALID_EMAIL_ID', `"${options.emailId.slice(0, 100)}" is not an emailId.`, 'An emailId is 1-200 letters, digits or ._:@+=- starting with a letter or digit.');
    }
    return { query: { by: 'email-id', emailId: options.emailId } };
  }
  if (options.messageId !== undefined) {
    if (!/^[\x21-\x7e]{1,256}$/.test(options.messageId)) throw usageError('INVALID_MESSAGE_ID', `"${options.messageId.slice(0, 100)}" is not an SES message id.`);
    return { query: { by: 'message-id', messageId: options.messageId } };
  }

  let query: LookupQuery;
  let asTyped: LookupPlan['asTyped'];
  if (options.status !== undefined) {
    query = { by: 'scheduled', limit };
  } else if (options.recipient !== undefined) {
    query = { by: 'recipient', recipient: parseAddress(options.recipient, 'recipient'), limit };
  } else if (token && sameTypedRange(token, options)) {
    // The flags of the lookup that printed the token: continue its range as it was resolved then.
    query = queryFromToken(token, limit);
    asTyped = { since: options.since!, ...(options.until !== undefined ? { until: options.until } : {}) };
  } else if (options.since !== undefined || options.until !== undefined) {
    if (options.since === undefined) throw usageError('SINCE_MISSING', '--until needs --since: the by-day index is read day by day from a start.', 'e.g. --since 7d, or --since 2026-11-01 --until 2026-11-30.');
    const since = parseTimeOption(options.since, '--since', now);
    const until = options.until === undefined ? now.toISOString() : parseTimeOption(options.until, '--until', now, true);
    if (since > until) throw usageError('RANGE_EMPTY', `--since (${since}) is after --until (${until}).`);
    if (Date.parse(until) - Date.parse(since) > MAX_RANGE_DAYS * 86_400_000) {
      throw usageError('RANGE_TOO_LONG', `--since/--until span more than ${MAX_RANGE_DAYS} days.`, `Records are kept at most ${ENGINE_DEFAULTS.maxDataRetentionDays} days (DataRetentionDays); narrow the range.`);
    }
    query = { by: 'time', since, until, limit };
    asTyped = { since: options.since, ...(options.until !== undefined ? { until: options.until } : {}) };
  } else {
    query = queryFromToken(token as Record<string, unknown>, limit);
    if (query.by === 'time' && isTypedRange(token?.asTyped)) asTyped = token.asTyped;
  }
  const typed = asTyped ? { asTyped } : {};
  if (!token) return { query, ...typed };
  return { query, position: positionFromToken(token, query), ...typed };
}

/** The page size a token was printed with (tokens before it carried one have none). */
function tokenLimit(token: Record<string, unknown> | undefined): number | undefined {
  return typeof token?.limit === 'number' ? token.limit : undefined;
}

const isTypedRange = (value: unknown): value is { since: string; until?: string } => {
  const v = value as { since?: unknown; until?: unknown } | undefined;
  return typeof v?.since === 'string' && (v.until === undefined || typeof v.until === 'string');
};

/** `--since`/`--until` given with `--next` exactly as the lookup that printed the token had them. */
function sameTypedRange(token: Record<string, unknown>, options: LookupOptions): boolean {
  if (token.by !== 'time' || options.since === undefined || !isTypedRange(token.asTyped)) return false;
  return token.asTyped.since === options.since && token.asTyped.until === options.until;
}

function queryFromToken(token: Record<string, unknown>, limit: number): LookupQuery {
  if (token.by === 'recipient' && typeof token.recipient === 'string') return { by: 'recipient', recipient: token.recipient, limit };
  if (token.by === 'time' && typeof token.since === 'string' && typeof token.until === 'string') return { by: 'time', since: token.since, until: token.until, limit };
  if (token.by === 'scheduled') return { by: 'scheduled', limit };
  throw usageError('PAGE_TOKEN_INVALID', 'The --next token is not one mailengine printed.', 'Copy the token from the "More:" line (or the "next" field with --json) of the previous page.');
}

function positionFromToken(token: Record<string, unknown>, query: LookupQuery): unknown {
  const same =
    (query.by === 'recipient' && token.by === 'recipient' && token.recipient === query.recipient) ||
    (query.by === 'time' && token.by === 'time' && token.since === query.since && token.until === query.until) ||
    (query.by === 'scheduled' && token.by === 'scheduled');
  if (!same) {
    throw usageError('PAGE_TOKEN_MISMATCH', 'The --next token belongs to a different lookup.', 'Pass --next alone, or with exactly the flags of the lookup that printed it.');
  }
  const position = query.by === 'recipient' ? token.after : token.position;
  const valid = query.by === 'recipient' ? isPair(position) : query.by === 'scheduled' ? isScheduledPosition(position) : isDayPosition(position);
  if (!valid) throw usageError('PAGE_TOKEN_INVALID', 'The --next token is not one mailengine printed.', 'Copy the token from the "More:" line (or the "next" field with --json) of the previous page.');
  return position;
}

const isPair = (value: unknown): value is [string, string] => Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string');

function isDayPosition(value: unknown): value is DayPosition {
  const p = value as DayPosition | undefined;
  return typeof p?.day === 'string' && Array.isArray(p.shards) && p.shards.every((s) => s === 'start' || s === 'done' || isPair(s));
}

/** The by-recipient index key of the email at `[createdAt, emailId]`. */
function recipientKey(recipient: string, [createdAt, emailId]: [string, string]): PageKey {
  const index = TRACKING_TABLE.indexes.byRecipient;
  return { [TRACKING_TABLE.partitionKey]: emailPk(emailId), [TRACKING_TABLE.sortKey]: RECORD_SORT_KEY, [index.partitionKey]: recipient, [index.sortKey]: createdAt };
}

function notFound(query: LookupQuery, where: string, paging = false): MailengineError {
  const retention = `Records are kept for the stack's DataRetentionDays (${ENGINE_DEFAULTS.dataRetentionDays} by default), and \`mailengine erase\` removes them.`;
  const [code, message, suggestion] = ((): [string, string, string] => {
    switch (query.by) {
      case 'email-id':
        return ['EMAIL_NOT_FOUND', `No email with emailId "${query.emailId}" ${where}.`, `Check the id and the stack (--stack, --env, --region). ${retention}`];
      case 'message-id':
        return ['EMAIL_NOT_FOUND', `No email with SES message id "${query.messageId}" ${where}.`, `The message-id index trails a new send by about a second; otherwise check the id and the stack. ${retention}`];
      case 'recipient':
        return ['NO_EMAILS_FOUND', paging ? `No more emails to ${query.recipient} ${where}.` : `No emails to ${query.recipient} ${where}.`, `Addresses are matched in lower case, exactly. ${retention}`];
      case 'time':
        return ['NO_EMAILS_FOUND', `No emails created between ${query.since} and ${query.until} ${where}.`, 'Times are UTC; widen the range with --since/--until.'];
      case 'scheduled':
        return ['NO_EMAILS_FOUND', paging ? `No more scheduled emails ${where}.` : `No scheduled emails ${where}.`, 'An email is scheduled while its request\'s sendAt is ahead; sent and cancelled ones are no longer listed (look them up by --email-id).'];
    }
  })();
  return new MailengineError(code, message, { exitCode: ExitCode.NotFound, suggestion, details: { query } });
}
