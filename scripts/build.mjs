// Builds the CLI into dist/ with esbuild, then proves the result starts by running `--version`.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { buildClient, CLIENT_ENTRY } from './build-client.mjs';
import { packageLambdas } from './package-lambdas.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

rmSync('dist', { recursive: true, force: true });

await build({
  // The local stack's engine runner is a program of its own (a detached process `local up`
  // starts), built alongside so it shares the CLI's chunks.
  entryPoints: { cli: 'commands/cli.ts', 'local-runner': 'src/local/runner/main.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dependencies stay in node_modules; our own modules are bundled and split so that commands
  // load their core code (and the AWS SDK) only when they run.
  packages: 'external',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  banner: { js: '#!/usr/bin/env node' },
  define: { __MAILENGINE_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});

// The bin must be executable for `npm link`, `npx` in a checkout, and a direct ./dist/cli.js.
chmodSync('dist/cli.js', 0o755);
const printed = execFileSync('./dist/cli.js', ['--version'], { encoding: 'utf8' }).trim();
if (printed !== pkg.version) {
  console.error(`smoke test failed: dist/cli.js --version printed "${printed}", expected "${pkg.version}"`);
  process.exit(1);
}
console.error(`built dist/cli.js (mailengine ${printed})`);

// The app-side client, `mailengine/client`: its own module and its declarations.
await buildClient();
console.error(`built ${CLIENT_ENTRY} (mailengine/client) and its type declarations`);

// The engine's functions: dist/lambda/<name>-<hash>.zip plus manifest.json for the deploy command.
const lambdas = await packageLambdas({ outDir: 'dist/lambda' });
const packaged = Object.entries(lambdas).map(([name, entry]) => `${name} (${entry.file}, ${Math.ceil(entry.bytes / 1024)} KiB)`);
console.error(packaged.length > 0 ? `packaged Lambda handlers: ${packaged.join(', ')}` : 'no Lambda handlers under src/engine/handlers yet; nothing packaged');
