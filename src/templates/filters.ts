import { FilterError } from './problems.js';

/**
 * The helper filters mailengine adds to Nunjucks' built-in ones. Few on purpose: formatting money
 * and dates is what every transactional email needs and Jinja2 has no built-in for.
 *
 * All three pass `undefined` and `null` through untouched, so `{% if x | date %}` works and
 * `{{ missing | date }}` still fails as an undefined variable. Strings that are not numbers or
 * ISO 8601 dates are also passed through, so data that arrives already formatted ("$49.00",
 * "29 December 2024") renders as given.
 *
 * | filter | example | output |
 * |---|---|---|
 * | `money(currency="USD", locale="en-US")` | `{{ 1234.5 \| money("EUR") }}` | €1,234.50 |
 * | `date(timeZone="UTC", locale="en-US")` | `{{ "2026-03-14T09:30:00Z" \| date }}` | March 14, 2026 |
 * | `datetime(timeZone="UTC", locale="en-US")` | `{{ "2026-03-14T09:30:00Z" \| datetime("Europe/Berlin") }}` | March 14, 2026, 10:30 AM GMT+1 |
 */

type Passthrough = undefined | null;

/**
 * Building an Intl formatter costs far more than formatting with one (a locale and time zone
 * lookup in ICU each time), and a template formats the same few currencies and zones on every
 * render. So each formatter is built once per set of arguments and kept. The keys come from
 * filter arguments, which data can supply, so the cache is bounded: when full it starts over.
 */
const FORMATTER_CACHE_LIMIT = 256;

function cached<T>(cache: Map<string, T>, parts: readonly unknown[], build: () => T): T {
  // Intl reads a list of locales as well as one; only plain strings make a key that cannot mix
  // two different arguments up (a NUL appears in no locale, currency or time zone name).
  if (!parts.every((part) => typeof part === 'string')) return build();
  const key = parts.join('\0');
  let value = cache.get(key);
  if (value === undefined) {
    value = build();
    if (cache.size >= FORMATTER_CACHE_LIMIT) cache.clear();
    cache.set(key, value);
  }
  return value;
}

const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

export function money(value: unknown, currency = 'USD', locale = 'en-US'): string | Passthrough {
  if (value === undefined || value === null) return value;
  let amount: number;
  if (typeof value === 'number') amount = value;
  else if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) amount = Number(value);
  else if (typeof value === 'string') return value;
  else throw new FilterError('money', `money expects a number, got ${describe(value)}`);
  if (!Number.isFinite(amount)) throw new FilterError('money', `money expects a finite number, got ${String(amount)}`);
  try {
    return cached(numberFormats, [locale, currency], () => new Intl.NumberFormat(locale, { style: 'currency', currency })).format(amount);
  } catch (err) {
    throw new FilterError('money', `money("${currency}", "${locale}"): ${(err as Error).message}`);
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** The instant a value names, or undefined when it is a string to show as it is. */
function toDate(filter: string, value: unknown): { date: Date; dateOnly: boolean } | undefined {
  if (value instanceof Date) return { date: value, dateOnly: false };
  if (typeof value === 'number') return { date: new Date(value), dateOnly: false };
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (!ISO_DATE.test(trimmed)) return undefined;
    const date = new Date(trimmed);
    if (Number.isNaN(date.getTime())) throw new FilterError(filter, `${filter} could not read the date ${JSON.stringify(value)}`);
    return { date, dateOnly: DATE_ONLY.test(trimmed) };
  }
  throw new FilterError(filter, `${filter} expects an ISO 8601 date string or a timestamp, got ${describe(value)}`);
}

type DateStyle = 'date' | 'time';

const DATE_OPTIONS: Record<DateStyle, Intl.DateTimeFormatOptions> = {
  date: { dateStyle: 'long' },
  time: { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
};

function format(filter: string, date: Date, style: DateStyle, timeZone: string, locale: string): string {
  try {
    const formatter = cached(dateFormats, [style, locale, timeZone], () => new Intl.DateTimeFormat(locale, { ...DATE_OPTIONS[style], timeZone }));
    // Recent ICU puts a narrow no-break space before AM/PM; a plain space reads the same everywhere.
    return formatter.format(date).replace(/\u202f/g, ' ');
  } catch (err) {
    throw new FilterError(filter, `${filter}: ${(err as Error).message}`);
  }
}

export function date(value: unknown, timeZone = 'UTC', locale = 'en-US'): string | Passthrough {
  if (value === undefined || value === null) return value;
  const parsed = toDate('date', value);
  if (!parsed) return String(value);
  // "2026-03-14" is a calendar date, not midnight UTC: never shift it into the previous day.
  const zone = parsed.dateOnly ? 'UTC' : timeZone;
  return format('date', parsed.date, 'date', zone, locale);
}

export function datetime(value: unknown, timeZone = 'UTC', locale = 'en-US'): string | Passthrough {
  if (value === undefined || value === null) return value;
  const parsed = toDate('datetime', value);
  if (!parsed) return String(value);
  const day = format('datetime', parsed.date, 'date', timeZone, locale);
  const time = format('datetime', parsed.date, 'time', timeZone, locale);
  return `${day}, ${time}`;
}

export const HELPER_FILTERS = { money, date, datetime } as const;
