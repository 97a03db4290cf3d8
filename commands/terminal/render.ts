import type TableType from 'cli-table3';
import { createRequire } from 'node:module';
import { alignColumns } from '../../src/util/columns.js';

/** cli-table3, loaded on the first table drawn: command modules import these functions, and `--help` draws none. */
let tableClass: typeof TableType | undefined;
function Table(): typeof TableType {
  return (tableClass ??= createRequire(import.meta.url)('cli-table3') as typeof TableType);
}

/**
 * A borderless two-column table of labels and values, for `info`-style results. cli-table3 pads
 * every cell to its column's width; the padding after the last cell is cut, so no line ends in blanks.
 */
export function keyValueTable(rows: ReadonlyArray<readonly [string, string | undefined]>): string {
  const table = new (Table())({
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const [label, value] of rows) table.push([label, value ?? '-']);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/**
 * A table with a header row. Colours are off so the output is the same in a pipe and a test.
 * `align` sets each column's alignment (default left); right suits numbers and rates.
 */
export function dataTable(head: string[], rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>, options: { align?: Array<'left' | 'center' | 'right'> } = {}): string {
  const table = new (Table())({ head, style: { head: [], border: [] }, ...(options.align ? { colAligns: options.align } : {}) });
  for (const row of rows) table.push(row.map((cell) => (cell === undefined ? '-' : String(cell))));
  return table.toString();
}

/**
 * Aligned columns without borders, like `docker ps`: easy to read and to `grep`/`awk`. No
 * trailing blanks where the last cells are empty.
 */
export function columns(head: string[], rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>): string {
  return alignColumns([head, ...rows.map((row) => row.map((cell) => (cell === undefined ? '-' : String(cell))))]).join('\n');
}

/** Rates are shown with this many decimals everywhere, so a column of them lines up. */
export const RATE_DECIMALS = 2;

/**
 * A fraction (0-1) as a percentage with a fixed precision: `92.31%`, `7.69%`, `0.00%`. A rate
 * above zero that would round to nothing shows as `<0.01%`: a complaint rate must never read as
 * zero. Null (nothing to divide by) is `-`.
 */
export function formatRate(rate: number | null): string {
  if (rate === null) return '-';
  const smallest = 10 ** -RATE_DECIMALS;
  const percent = rate * 100;
  if (percent > 0 && percent < smallest / 2) return `<${smallest.toFixed(RATE_DECIMALS)}%`;
  return `${percent.toFixed(RATE_DECIMALS)}%`;
}
