// Packages the engine's Lambda handlers: one esbuild bundle each, zipped deterministically and
// named by the zip's SHA-256, so the deploy command uploads a new key (and CloudFormation updates
// a function) only when that function's code really changed.
//
// Format: ESM, written as index.mjs (Lambda loads .mjs as a module; handler "index.handler"),
// target node22, everything bundled including the AWS SDK, so the code does not depend on the
// SDK version the runtime happens to ship. A createRequire banner lets bundled CommonJS
// dependencies (nunjucks) require Node built-ins from inside an ES module.
//
// Cold starts: the bundle is minified, and packages are taken from their ES module builds
// (`module` before `main`), which esbuild can tree-shake (the SDK's CommonJS builds pull in whole
// packages). Code the handler imports dynamically (the Secrets Manager and SQS clients, the
// credential providers Lambda never uses) goes into chunks/ beside index.mjs and is read only when
// first needed, so it costs the cold start nothing.
//
// The SDK's generated schemas (`dist-es/schemas/schemas_0.js`, one file per client holding every
// operation's shapes) write trait objects with computed keys, `{ [_h]: [...] }`, where `_h` is a
// string constant. esbuild cannot prove a computed key free of side effects, so it kept every
// operation's schema of S3, SES and DynamoDB (about 115 KB, read and compiled at every cold start)
// though a handler calls a handful. `sdkSchemaKeys` writes those keys as the string literals they
// are, the same object, and tree shaking drops the rest (aws/aws-sdk-js-v3#7607).
//
// The bundles deliberately do not embed the package version: the engine reads ENGINE_VERSION
// from its environment, and a release that leaves a handler untouched keeps that handler's hash.
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The engine's functions, each built from `<handlersDir>/<name>.ts` exporting `handler`. */
export const HANDLER_NAMES = ['feedback', 'pause', 'sender'];
export const DEFAULT_HANDLERS_DIR = 'src/engine/handlers';
export const LAMBDA_ENTRY_FILE = 'index.mjs';
export const LAMBDA_HANDLER = 'index.handler';

// Zip stores local wall-clock fields; building the date from local fields gives the same bytes
// in every time zone. 1980-01-01 is the earliest date the format can hold.
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
// Unix "regular file, rw-r--r--" in the upper half of the external attributes (os = 3, Unix).
const FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;

const ESM_REQUIRE_BANNER = "import { createRequire as __mailengineCreateRequire } from 'node:module';\nconst require = __mailengineCreateRequire(import.meta.url);";

const SDK_SCHEMAS = /[\\/]@aws-sdk[\\/]client-[\w-]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/** Replaces `[name]:` object keys naming a top-level string constant with the constant's literal. */
export function literalSchemaKeys(source) {
  const strings = new Map();
  for (const [, name, literal] of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) strings.set(name, literal);
  return source.replace(/([{,]\s*)\[(_\w+)\]:/g, (whole, before, name) => (strings.has(name) ? `${before}${strings.get(name)}:` : whole));
}

export const sdkSchemaKeys = {
  name: 'sdk-schema-keys',
  setup(b) {
    b.onLoad({ filter: SDK_SCHEMAS }, async (args) => ({ contents: literalSchemaKeys(await readFile(args.path, 'utf8')), loader: 'js' }));
  },
};

/**
 * Bundles one handler entry into index.mjs and its chunks: file name in the zip -> bytes. `root`
 * is the working directory esbuild resolves from and names source files relative to, so the
 * output does not depend on where the checkout lives.
 */
export async function bundleHandler(entry, root) {
  const outdir = resolve(root, '.lambda-bundle');
  const result = await build({
    absWorkingDir: root,
    entryPoints: { index: relative(root, resolve(root, entry)) },
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: ['module', 'main'],
    minify: true,
    banner: { js: ESM_REQUIRE_BANNER },
    legalComments: 'none',
    plugins: [sdkSchemaKeys],
    sourcemap: false,
    logLevel: 'warning',
  });
  const files = {};
  for (const output of result.outputFiles) files[relative(outdir, output.path).split(sep).join('/')] = output.contents;
  if (!files[LAMBDA_ENTRY_FILE]) throw new Error(`bundling ${entry} produced no ${LAMBDA_ENTRY_FILE}`);
  return files;
}

/** A zip whose bytes depend only on the file names and contents. */
export function zipDeterministic(files) {
  const entries = {};
  for (const name of Object.keys(files).sort()) {
    entries[name] = [files[name], { mtime: FIXED_MTIME, os: 3, attrs: FILE_ATTRIBUTES, level: 9 }];
  }
  return zipSync(entries);
}

export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Bundles and zips one handler; returns the manifest entry and the zip bytes. */
export async function packageHandler(name, entry, root) {
  const zip = zipDeterministic(await bundleHandler(entry, root));
  const digest = sha256(zip);
  const file = `${name}-${digest.slice(0, 16)}.zip`;
  return { zip, entry: { file, key: `lambda/${file}`, sha256: digest, bytes: zip.length, handler: LAMBDA_HANDLER } };
}

/**
 * Packages every handler that exists under `handlersDir` into `outDir` and writes
 * `outDir/manifest.json` (handler name -> file, S3 key, digest). Missing handlers are skipped, so
 * the build works before all of them are written.
 */
export async function packageLambdas({ root = process.cwd(), handlersDir = DEFAULT_HANDLERS_DIR, outDir = 'dist/lambda', names = HANDLER_NAMES } = {}) {
  const manifest = {};
  const found = [...names].sort().filter((name) => existsSync(resolve(root, handlersDir, `${name}.ts`)));
  if (found.length === 0) return manifest;
  const target = resolve(root, outDir);
  mkdirSync(target, { recursive: true });
  for (const name of found) {
    const { zip, entry } = await packageHandler(name, join(handlersDir, `${name}.ts`), root);
    writeFileSync(join(target, entry.file), zip);
    manifest[name] = entry;
  }
  writeFileSync(join(target, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

// Run directly: `node scripts/package-lambdas.mjs [--handlers-dir dir] [--out dir]`.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const option = (flag) => {
    const index = process.argv.indexOf(flag);
    return index > 0 ? process.argv[index + 1] : undefined;
  };
  const manifest = await packageLambdas({ handlersDir: option('--handlers-dir'), outDir: option('--out') });
  process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
}
