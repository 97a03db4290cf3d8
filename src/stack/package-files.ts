import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'mailengine';

/**
 * The directory of the installed mailengine package. Found by walking up from this module rather
 * than by a fixed relative path, because the module runs from `src/stack/` in development, from
 * `dist/` or `dist/chunks/` once bundled, and from wherever `npm i -g` put the package.
 */
export function packageRoot(from: string | URL = import.meta.url): string {
  let dir = dirname(typeof from === 'string' && !from.startsWith('file:') ? from : fileURLToPath(from));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // A broken package.json on the way up is not ours; keep looking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`could not find the ${PACKAGE_NAME} package directory above ${String(from)}`);
    dir = parent;
  }
}

/** Where the package keeps what `deploy` ships: the engine template and the built Lambda zips. */
export interface PackageFiles {
  template: string;
  lambdaDir: string;
}

export function packageFiles(root = packageRoot()): PackageFiles {
  return { template: join(root, 'cfn', 'mailengine.yaml'), lambdaDir: join(root, 'dist', 'lambda') };
}
