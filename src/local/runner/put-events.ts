import { randomUUID } from 'node:crypto';
import type { BusEvent, LocalEventBus } from './event-bus.js';

/**
 * EventBridge's PutEvents, as the API reference documents it: up to 10 entries, 256 KB in all,
 * one result per entry in request order. An entry that is wrong on its own fails alone
 * (`InvalidArgument`, `MalformedDetail`, `NotAuthorizedForSourceException`); a request that is
 * wrong as a whole is a `ValidationException`.
 */
export const MAX_ENTRIES = 10;
export const MAX_REQUEST_BYTES = 256 * 1024;

export interface PutEventsEntry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Resources?: unknown;
  /** The SDK sends epoch seconds; other clients may send an ISO string. */
  Time?: unknown;
  TraceHeader?: unknown;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

/** A request-level refusal, answered as an AWS JSON error (`__type`, `message`) with HTTP 400. */
export class PutEventsRequestError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export interface PutEventsContext {
  bus: LocalEventBus;
  region: string;
  accountId: string;
  now?: () => Date;
}

/** `arn:aws:events:<region>:<account>:event-bus/<name>` or a plain name; absent means `default`. */
export function busNameOf(value: unknown): string {
  if (typeof value !== 'string' || value === '') return 'default';
  const arn = value.match(/^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/);
  return arn ? arn[1] : value;
}

/** EventBridge writes times to the second, without milliseconds. */
export function eventTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function entryTime(value: unknown, now: Date): Date {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000);
  if (typeof value === 'string' && value !== '') {
    const parsed = /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
    if (!Number.isNaN(parsed.getTime())) return parsed;
  }
  return now;
}

/** The size EventBridge counts towards its limit: the strings of the entry plus 14 bytes for Time. */
function entrySize(entry: PutEventsEntry): number {
  const text = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);
  const resources = Array.isArray(entry.Resources) ? entry.Resources.reduce((n: number, r) => n + text(r), 0) : 0;
  return 14 + text(entry.Source) + text(entry.DetailType) + text(entry.Detail) + resources;
}

const invalid = (field: string): PutEventsResultEntry => ({
  ErrorCode: 'InvalidArgument',
  ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
});

/** Checks and delivers a PutEvents request body; throws PutEventsRequestError for a bad request. */
export function putEvents(body: unknown, context: PutEventsContext): PutEventsResult {
  const entries = (body as { Entries?: unknown } | null)?.Entries;
  if (!Array.isArray(entries)) {
    throw new PutEventsRequestError('ValidationException', "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
  }
  if (entries.length < 1 || entries.length > MAX_ENTRIES) {
    const bound = entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`;
    throw new PutEventsRequestError('ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`);
  }
  if ((entries as PutEventsEntry[]).reduce((n, e) => n + entrySize(e ?? {}), 0) > MAX_REQUEST_BYTES) {
    throw new PutEventsRequestError('ValidationException', 'Total size of the entries in the request is over the limit.');
  }

  const now = context.now?.() ?? new Date();
  const results = (entries as PutEventsEntry[]).map((raw): PutEventsResultEntry => {
    const entry = raw ?? {};
    if (typeof entry.Source !== 'string' || entry.Source === '') return invalid('Source');
    if (typeof entry.DetailType !== 'string' || entry.DetailType === '') return invalid('DetailType');
    if (typeof entry.Detail !== 'string' || entry.Detail === '') return invalid('Detail');
    // Only AWS services publish as `aws.*`; an app that tries is refused per entry.
    if (entry.Source.startsWith('aws.')) return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };

    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: context.accountId,
      time: eventTime(entryTime(entry.Time, now)),
      region: context.region,
      resources: Array.isArray(entry.Resources) ? entry.Resources.filter((r): r is string => typeof r === 'string') : [],
      detail: detail as Record<string, unknown>,
    };
    // Like EventBridge, an event for a bus that does not exist is accepted and goes nowhere; the
    // runner's log and event list say so, which is more than AWS does.
    context.bus.put(busNameOf(entry.EventBusName), event);
    return { EventId: event.id };
  });
  return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
}
