import { usageError } from '../errors.js';

const RELATIVE = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A point in time from `--since` / `--until`: an ISO date (`2026-11-22`, the start of that UTC
 * day), an ISO date-time, or an age such as `30m`, `24h` or `7d` (that long before `now`).
 * Returned as an ISO string with milliseconds, the form the engine stores times in.
 */
export function parseTimeOption(value: string, flag: string, now: Date, endOfDay = false): string {
  const relative = RELATIVE.exec(value.trim());
  if (relative) {
    const [, amount, unit] = relative;
    return new Date(now.getTime() - Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = new Date(`${value}T00:00:00.000Z`);
    if (!Number.isNaN(day.getTime()) && day.toISOString().startsWith(value)) {
      // `--until 2026-11-22` means "up to and including that day".
      return endOfDay ? new Date(day.getTime() + UNIT_MS.d - 1).toISOString() : day.toISOString();
    }
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const time = new Date(value);
    if (!Number.isNaN(time.getTime())) return time.toISOString();
  }
  throw usageError('INVALID_TIME', `${flag} "${value}" is not a date, a date-time or an age.`, `Use e.g. ${flag} 2026-11-22, ${flag} 2026-11-22T09:30:00Z or ${flag} 24h (also 30m, 7d).`, { flag, value });
}

/** The UTC days from `until` back to `since`, newest first (`YYYY-MM-DD`). */
export function daysNewestFirst(since: string, until: string): string[] {
  const days: string[] = [];
  const first = Date.parse(`${since.slice(0, 10)}T00:00:00.000Z`);
  for (let t = Date.parse(`${until.slice(0, 10)}T00:00:00.000Z`); t >= first; t -= UNIT_MS.d) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}
