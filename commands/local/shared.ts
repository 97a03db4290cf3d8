import { isAbsolute, relative } from 'node:path';
import type { Zod } from '../runtime.js';

/** A TCP port given on the command line. */
export const portOption = (z: Zod) =>
  z
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

