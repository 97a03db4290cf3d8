// Builds `mailengine/client` (src/client/index.ts): dist/client.js, a module of its own that shares
// no chunk with the CLI, so an app importing it loads none of the CLI's code; and its type
// declarations under dist/types/, kept to the files the client's public types reach.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLIENT_ENTRY = 'dist/client.js';
export const CLIENT_TYPES = 'dist/types/client/index.d.ts';

export async function buildClient() {
  await build({
    entryPoints: { client: 'src/client/index.ts' },
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });

  const typesDir = join(ROOT, 'dist/types');
  rmSync(typesDir, { recursive: true, force: true });
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.client.json')], { cwd: ROOT, stdio: 'inherit' });
  pruneDeclarations(typesDir, join(ROOT, CLIENT_TYPES));
}

/**
 * tsc declares every file the entry imports; keep only those the entry's declarations reach
 * (following their relative imports), so the package ships no stray declarations of the engine.
 */
function pruneDeclarations(dir, entry) {
  const reached = new Set();
  const visit = (file) => {
    if (reached.has(file)) return;
    if (!existsSync(file)) throw new Error(`client types: ${relative(ROOT, file)} is imported but was not emitted`);
    reached.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      visit(resolve(dirname(file), specifier.replace(/\.js$/, '.d.ts')));
    }
  };
  visit(entry);
  const walk = (folder) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      } else if (!reached.has(path)) {
        rmSync(path);
      }
    }
  };
  walk(dir);
  return [...reached].map((file) => relative(ROOT, file));
}
