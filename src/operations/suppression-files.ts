import { extname } from 'node:path';
import { usageError } from '../errors.js';
import type { SuppressionReason } from '../suppression/suppression-store.js';
import { isEmailAddress } from './address.js';

export type FileFormat = 'csv' | 'ndjson';

/** One row of an import file, read and checked; `error` says why it cannot be imported. */
export interface FileRow {
  /** 1-based line number in the file, for the per-row report. */
  line: number;
  address?: string;
  reason?: SuppressionReason;
  error?: string;
}

/** One exported suppression: an address (or an erased address's hash) and where it is listed. */
export interface ExportRow {
  address: string;
  reason: string;
  suppressedAt: string;
  /** `engine`, `ses` or `engine+ses`. */
  lists: string;
}

const HASH = /^hmac:[0-9a-f]{64}$/;

/** Reasons as files spell them: the engine's own, the SES API's, and common variants. */
const REASON_NAMES: Record<string, SuppressionReason> = {
  bounce: 'bounce',
  hardbounce: 'bounce',
  complaint: 'complaint',
  spam: 'complaint',
  manual: 'manual',
  import: 'import',
  softbounce: 'soft_bounce',
};

const key = (value: string) => value.toLowerCase().replace(/[^a-z]/g, '');
const ADDRESS_COLUMNS = new Set(['address', 'email', 'emailaddress', 'mail', 'recipient']);
const REASON_COLUMNS = new Set(['reason', 'suppressionreason']);

/** `--format`, else the file's extension, else a look at the first character. */
export function detectFormat(text: string, path?: string, given?: FileFormat): FileFormat {
  if (given) return given;
  const ext = path ? extname(path).toLowerCase() : '';
  if (ext === '.csv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  return text.trimStart().startsWith('{') || text.trimStart().startsWith('"') ? 'ndjson' : 'csv';
}

export function parseSuppressionFile(text: string, format: FileFormat, defaultReason: SuppressionReason): FileRow[] {
  const body = text.replace(/^\uFEFF/, '');
  return format === 'csv' ? parseCsvRows(body, defaultReason) : parseNdjsonRows(body, defaultReason);
}

function checkRow(line: number, rawAddress: unknown, rawReason: unknown, defaultReason: SuppressionReason): FileRow {
  if (typeof rawAddress !== 'string' || rawAddress.trim() === '') return { line, error: 'no address' };
  const address = rawAddress.trim().toLowerCase();
  if (!HASH.test(address) && !isEmailAddress(address)) return { line, address: rawAddress.trim().slice(0, 100), error: 'not an email address' };
  if (rawReason === undefined || rawReason === null || (typeof rawReason === 'string' && rawReason.trim() === '')) return { line, address, reason: defaultReason };
  const reason = typeof rawReason === 'string' ? REASON_NAMES[key(rawReason)] : undefined;
  if (!reason) return { line, address, error: `unknown reason ${JSON.stringify(rawReason)} (use bounce, complaint, manual, import or soft_bounce)` };
  return { line, address, reason };
}

function parseNdjsonRows(text: string, defaultReason: SuppressionReason): FileRow[] {
  const rows: FileRow[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      rows.push({ line: i + 1, error: 'not valid JSON' });
      return;
    }
    if (typeof value === 'string') return void rows.push(checkRow(i + 1, value, undefined, defaultReason));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return void rows.push({ line: i + 1, error: 'not a JSON object' });
    const fields = Object.entries(value as Record<string, unknown>);
    const address = fields.find(([k]) => ADDRESS_COLUMNS.has(key(k)))?.[1];
    const reason = fields.find(([k]) => REASON_COLUMNS.has(key(k)))?.[1];
    rows.push(checkRow(i + 1, address, reason, defaultReason));
  });
  return rows;
}

function parseCsvRows(text: string, defaultReason: SuppressionReason): FileRow[] {
  const records = readCsv(text).filter((r) => r.cells.some((c) => c.trim() !== ''));
  if (records.length === 0) return [];
  const head = records[0].cells.map(key);
  const hasHeader = head.some((h) => ADDRESS_COLUMNS.has(h));
  const addressAt = hasHeader ? head.findIndex((h) => ADDRESS_COLUMNS.has(h)) : 0;
  const reasonAt = hasHeader ? head.findIndex((h) => REASON_COLUMNS.has(h)) : 1;
  return records.slice(hasHeader ? 1 : 0).map((r) => checkRow(r.line, r.cells[addressAt], reasonAt >= 0 ? r.cells[reasonAt] : undefined, defaultReason));
}

/** RFC 4180: comma-separated, fields in double quotes may hold commas, quotes ("") and newlines. */
function readCsv(text: string): Array<{ line: number; cells: string[] }> {
  const records: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line += 1;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      records.push({ line: start, cells: [...cells, cell] });
      cells = [];
      cell = '';
      line += 1;
      start = line;
    } else cell += c;
  }
  if (quoted) throw usageError('CSV_UNTERMINATED', `The CSV file has a quoted field opened on line ${start} that never closes.`);
  if (cell !== '' || cells.length > 0) records.push({ line: start, cells: [...cells, cell] });
  return records;
}

const csvCell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export function toCsv(rows: ReadonlyArray<ExportRow>): string {
  const lines = ['address,reason,suppressedAt,lists', ...rows.map((r) => [r.address, r.reason, r.suppressedAt, r.lists].map(csvCell).join(','))];
  return `${lines.join('\n')}\n`;
}

export function toNdjson(rows: ReadonlyArray<ExportRow>): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}
