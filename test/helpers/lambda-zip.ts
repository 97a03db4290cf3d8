import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { LAMBDA_ENTRY_FILE } from '../../scripts/package-lambdas.mjs';

/** Writes every file of a packaged handler's zip under `dir`, as Lambda unpacks it; returns the path of index.mjs. */
export function unzipHandler(zip: Uint8Array, dir: string): string {
  for (const [name, bytes] of Object.entries(unzipSync(zip))) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  return join(dir, LAMBDA_ENTRY_FILE);
}
