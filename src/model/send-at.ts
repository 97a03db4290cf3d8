import * as z from 'zod/mini';

/**
 * `sendAt`, the time a request asks to be sent at: an ISO 8601 date and time with its UTC offset
 * (`Z` or `±hh:mm`), so it never depends on the Sender's time zone, and at most
 * MAX_SEND_AT_DAYS ahead. A time in the past sends now.
 */
export const MAX_SEND_AT_DAYS = 365;

const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** The instant `value` names, or undefined when it is not an ISO 8601 time with an offset (or names no real date). */
export function parseSendAt(value: string): Date | undefined {
  const m = ISO_WITH_OFFSET.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0'] = m;
  // Date.parse rolls 2026-02-30 over to March: the fields must be a real calendar date and time.
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

export const SEND_AT_FORMAT = 'an ISO 8601 time with a UTC offset, e.g. 2026-12-24T09:00:00+01:00';

/** The request field: its syntax (how far ahead it may be depends on when it is read: sendAtProblem). */
export const sendAtSchema = z.string().check(
  z.superRefine((value, ctx) => {
    if (!parseSendAt(value)) ctx.addIssue({ code: 'custom', message: `must be ${SEND_AT_FORMAT}` });
  }),
);

/** What is wrong with `sendAt` read at `now`, or undefined. */
export function sendAtProblem(sendAt: Date, now: Date): string | undefined {
  if (sendAt.getTime() - now.getTime() > MAX_SEND_AT_DAYS * 86_400_000) return `sendAt: is more than ${MAX_SEND_AT_DAYS} days ahead`;
  return undefined;
}
