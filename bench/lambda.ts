import { unzipSync } from 'fflate';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { atMost, figure, type BenchResult, type Figure } from './lib/figures.js';
import { ROOT } from './lib/paths.js';
import type { BenchSizes } from './lib/sizes.js';
import { run } from './lib/spawn.js';
import { median, round } from './lib/stats.js';

interface ManifestEntry {
  file: string;
  bytes: number;
  handler: string;
}

/** Sender init must fit in a Lambda cold start that an email's latency can afford. */
const SENDER_INIT_TARGET_MS = 100;

/**
 * What the template sets on the functions, with every AWS endpoint on loopback. The SDK builds
 * clients at init but calls nothing then, so nothing listens there. SUPPRESSION_HASH_SECRET_ARN
 * stays unset: with it, init would call Secrets Manager, and this measures code, not a network.
 */
const LAMBDA_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_LAMBDA_FUNCTION_NAME: 'mailbench',
  TRACKING_TABLE: 'mailbench-tracking',
  SUPPRESSION_TABLE: 'mailbench-suppression',
  TEMPLATES_BUCKET: 'mailbench-templates',
  CONFIGURATION_SET: 'mailbench',
  EVENT_BUS_NAME: 'mailbench-bus',
  DEFAULT_FROM_EMAIL: 'noreply@example.com',
  SENDER_EVENT_SOURCE_MAPPING_UUID: '00000000-0000-0000-0000-000000000000',
};

/** Imports the bundle in a fresh process and prints how long `import()` took (module init, as a cold start runs it). */
const IMPORT_TIMER = `
const began = performance.now();
const mod = await import(process.argv[2]);
const ms = performance.now() - began;
if (typeof mod.handler !== 'function') throw new Error('no handler export');
process.stdout.write(JSON.stringify({ ms }));
`;

/**
 * Lambda artifacts: each handler's zip from `dist/lambda/manifest.json`, its size, and the time
 * a cold process takes to import its bundle (Lambda's init phase, minus the runtime's own start).
 */
export async function benchLambda(sizes: BenchSizes): Promise<BenchResult> {
  const began = performance.now();
  const dir = join(ROOT, 'dist', 'lambda');
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new Error('dist/lambda/manifest.json is missing: run `npm run build` first');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, ManifestEntry>;
  const work = mkdtempSync(join(tmpdir(), 'mailengine-bench-lambda-'));
  const figures: Figure[] = [];
  try {
    const timer = join(work, 'time-import.mjs');
    writeFileSync(timer, IMPORT_TIMER);
    const env = { PATH: process.env.PATH ?? '', ...LAMBDA_ENV };
    const handlers = Object.entries(manifest).map(([name, entry]) => {
      const zip = readFileSync(join(dir, entry.file));
      const files = unzipSync(zip);
      const handlerFile = Object.keys(files).find((f) => /^index\.(m?js|cjs)$/.test(f));
      if (!handlerFile) throw new Error(`${entry.file} holds no index.{mjs,js}`);
      const fnDir = join(work, name);
      for (const [file, bytes] of Object.entries(files)) {
        const target = join(fnDir, file);
        rmSync(target, { force: true });
        mkdirParents(target);
        writeFileSync(target, bytes);
      }
      return { name, zip, files, handlerFile, fnDir, url: pathToFileURL(join(fnDir, handlerFile)).href, times: [] as number[] };
    });
    // Round robin: each round imports every handler once, so a busy moment of a shared machine
    // falls on all of them alike rather than on whichever was being measured.
    for (let i = 0; i < sizes.lambdaRuns + 1; i++) {
      for (const h of handlers) {
        const result = await run(process.execPath, [timer, h.url], { cwd: h.fnDir, env });
        if (result.code !== 0) throw new Error(`${h.name} init failed: ${result.stderr.slice(0, 500)}`);
        // The first import reads the bundle from disk cold; Lambda reads it from its own cache.
        if (i > 0) h.times.push((JSON.parse(result.stdout) as { ms: number }).ms);
      }
    }
    for (const { name, zip, files, handlerFile, times } of handlers) {
      figures.push(figure(`lambda.${name}.zip_bytes`, `${name}: zip size`, zip.length, 'bytes'));
      const unzipped = Object.values(files).reduce((sum, bytes) => sum + bytes.length, 0);
      figures.push(figure(`lambda.${name}.unzipped_bytes`, `${name}: bundle size unzipped (${Object.keys(files).length} files)`, unzipped, 'bytes'));
      figures.push(figure(`lambda.${name}.entry_bytes`, `${name}: ${handlerFile}, read at init (chunks are read on first use)`, files[handlerFile].length, 'bytes'));
      figures.push(
        figure(`lambda.${name}.init_ms`, `${name}: module init (median import time)`, round(median(times), 1), 'ms', name === 'sender' ? atMost(SENDER_INIT_TARGET_MS) : undefined),
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return {
    bench: 'lambda',
    title: 'Lambda artifacts',
    figures,
    params: { runs: sizes.lambdaRuns, node: process.version },
    notes: ['Init = `import()` of the unzipped bundle in a fresh node process, AWS endpoints on loopback, SUPPRESSION_HASH_SECRET_ARN unset; median after one untimed run; the handlers are imported in turn, one of each per round.'],
    tookMs: performance.now() - began,
  };
}

function mkdirParents(file: string): void {
  const parent = join(file, '..');
  if (!existsSync(parent)) mkdirSync(parent, { recursive: true });
}
