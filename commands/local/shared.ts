import { isAbsolute, relative } from 'node:path';
import { z } from 'zod';

/** A TCP port given on the command line. */
export const portOption = z
  .string()
  .regex(/^\d+$/, { message: 'is not a port number' })
  .transform(Number)
  .pipe(z.number().int().min(1, { message: 'must be 1 to 65535' }).max(65535, { message: 'must be 1 to 65535' }))
  .optional();

/** A path as the user would type it from where they stand; absolute when it lies elsewhere. */
export function shownPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** Aligned columns without borders: the parts list reads like `docker ps`. */
export function columns(head: string[], rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>): string {
  const cells = [head, ...rows.map((row) => row.map((cell) => (cell === undefined ? '-' : String(cell))))];
  const widths = head.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}
