import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'mailengine';

/**
 * The directory of the installed mailengine package: the nearest folder upwards holding
 * mailengine's package.json. Found by walking up rather than by a fixed relative path, because
 * the code runs from `src/…` in development, from `dist/` or `dist/chunks/` once bundled, and
 * from wherever `npm i -g` put the package. Undefined when there is none (a broken install).
 */
export function findPackageRoot(from: string | URL = import.meta.url): string | undefined {
  const start = typeof from === 'string' && !from.startsWith('file:') ? from : fileURLToPath(from);
  for (let dir = dirname(start); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // A package.json we cannot read is not ours; keep looking upwards.
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Like findPackageRoot, for callers that cannot go on without it. */
export function packageRoot(from: string | URL = import.meta.url): string {
  const root = findPackageRoot(from);
  if (!root) throw new Error(`could not find the ${PACKAGE_NAME} package directory above ${String(from)}`);
  return root;
}

/** A file shipped in the package, e.g. `packagePath('cfn', 'mailengine.yaml')`. */
export function packagePath(...segments: string[]): string {
  return join(packageRoot(), ...segments);
}
