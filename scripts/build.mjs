// Builds the CLI into dist/ with esbuild, then proves the result starts by running `--version`.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { buildClient, CLIENT_ENTRY } from './build-client.mjs';
import { packageLambdas } from './package-lambdas.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

rmSync('dist', { recursive: true, force: true });

const common = {
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
};

// The CLI. Its start-up path is commands/main.ts and what that imports statically: the command
// tree, which `--help` needs and nothing more. esbuild puts code in one chunk per set of entry
// points (dynamic imports count) that reach it, and the command implementations each reach a
// different part of that path, which split it into some twenty chunks; each is a module Node
// resolves, reads and links on every start, at about half a millisecond apiece. But every module
// the CLI imports lazily is imported only once main.ts has run, so declaring that (each lazily
// imported module gets `import "commands/main.ts"`; it was loaded already, so the import costs
// nothing at run time) puts the start-up path in one chunk. The first pass only reads the graph.
const CLI_ENTRY = 'commands/cli.ts';
const START_UP = 'commands/main.ts';
const cli = { ...common, entryPoints: { cli: CLI_ENTRY } };
const graph = (await build({ ...cli, write: false, metafile: true })).metafile.inputs;
const startUp = new Set();
const visit = (file) => {
  if (startUp.has(file) || !graph[file]) return;
  startUp.add(file);
  for (const i of graph[file].imports) if (i.kind === 'import-statement') visit(i.path);
};
visit(START_UP);
// Imported lazily from anywhere but cli.ts (which imports main.ts itself, and src/version.ts for
// --version), and not on the start-up path (an import back into it would make a cycle).
const lazy = new Set();
for (const [file, input] of Object.entries(graph)) {
  if (file === CLI_ENTRY) continue;
  for (const i of input.imports) if (i.kind === 'dynamic-import' && graph[i.path] && !startUp.has(i.path)) lazy.add(i.path);
}
if (!startUp.has(START_UP) || lazy.size === 0) throw new Error(`build: found no lazily imported modules behind ${START_UP}; the start-up chunking needs a look`);
const startUpFile = resolve(START_UP);
const afterStartUp = {
  name: 'after-start-up',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
      if (!lazy.has(relative(process.cwd(), args.path).split(sep).join('/'))) return undefined;
      return { contents: `${readFileSync(args.path, 'utf8')}\nimport ${JSON.stringify(startUpFile)};\n`, loader: 'ts' };
    });
  },
};
// commander is bundled into the start-up chunk rather than loaded from node_modules: as a
// CommonJS package behind an ES module wrapper it was eight more modules for Node to find, read
// and parse on every start. Bundled CommonJS needs `require` for the Node built-ins it uses.
const bundleCommander = {
  name: 'bundle-commander',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.kind === 'entry-point' || args.path === 'commander' ? undefined : { path: args.path, external: true }));
  },
};
const { packages: _packages, ...cliCommon } = cli;
await build({
  ...cliCommon,
  plugins: [afterStartUp, bundleCommander],
  banner: { js: `${common.banner.js}\nimport { createRequire as __mailengineCreateRequire } from 'node:module';\nconst require = __mailengineCreateRequire(import.meta.url);` },
});

// The local stack's engine runner is a program of its own (a detached process `local up`
// starts), built on its own so that it loads none of the CLI's command tree.
await build({ ...common, entryPoints: { 'local-runner': 'src/local/runner/main.ts' } });

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
