import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchErase } from './erase.js';
import { benchFaults } from './faults.js';
import { benchLambda } from './lambda.js';
import { benchLatency } from './latency.js';
import { atMost, figure, type BenchResult } from './lib/figures.js';
import { ROOT } from './lib/paths.js';

/** `npm run bench` finishes within 15 minutes on a 2-core machine. */
const FULL_RUN_TARGET_S = 15 * 60;
import { renderMarkdown, type BenchReport } from './lib/report.js';
import { FULL, QUICK, type BenchSizes } from './lib/sizes.js';
import { startBenchStack, type BenchStack } from './lib/stack.js';
import { benchLookup } from './lookup.js';
import { benchPush } from './push.js';
import { benchRender } from './render.js';
import { benchStartup } from './startup.js';
import { benchThroughput } from './throughput.js';

/** Benchmarks that run on their own, and those that need the local stack. */
const STANDALONE = {
  startup: benchStartup,
  render: benchRender,
  lambda: benchLambda,
} satisfies Record<string, (sizes: BenchSizes) => Promise<BenchResult>>;

// Order matters: lookup needs a table that holds only its own items when it measures the
// smaller size, latency needs empty queues, and throughput and the run with faults come last so
// their records do not sit in the other tables' way.
const ON_STACK = {
  push: benchPush,
  lookup: benchLookup,
  erase: benchErase,
  latency: benchLatency,
  throughput: benchThroughput,
  faults: benchFaults,
} satisfies Record<string, (sizes: BenchSizes, stack: BenchStack) => Promise<BenchResult>>;

export type BenchName = keyof typeof STANDALONE | keyof typeof ON_STACK;
export const BENCH_NAMES = [...Object.keys(STANDALONE), ...Object.keys(ON_STACK)] as BenchName[];

export interface RunBenchOptions {
  quick?: boolean;
  /** Only these benchmarks (default: all). */
  only?: BenchName[];
  /** Where to write latest.json and latest.md; nothing is written without it. */
  outDir?: string;
  /** Size overrides on top of the mode's sizes. */
  sizes?: Partial<BenchSizes>;
  log?: (line: string) => void;
}

/**
 * Runs the benchmarks one after another (never in parallel: they would time each other) and
 * collects their figures. A benchmark that throws is reported as an error, and the rest still run.
 */
export async function runBench(options: RunBenchOptions = {}): Promise<BenchReport> {
  const began = performance.now();
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0];
  const sizes: BenchSizes = { ...(options.quick ? QUICK : FULL), ...options.sizes };
  const wanted = new Set<BenchName>(options.only ?? BENCH_NAMES);
  const log = options.log ?? (() => {});
  const results: BenchResult[] = [];
  const errors: BenchReport['errors'] = [];
  const attempt = async (name: string, fn: () => Promise<BenchResult>) => {
    log(`bench ${name}: running`);
    try {
      const result = await fn();
      results.push(result);
      log(`bench ${name}: done in ${Math.round(result.tookMs / 1000)} s`);
    } catch (err) {
      errors.push({ bench: name, message: (err as Error).message });
      log(`bench ${name}: FAILED: ${(err as Error).stack ?? String(err)}`);
    }
  };

  for (const [name, fn] of Object.entries(STANDALONE)) {
    if (wanted.has(name as BenchName)) await attempt(name, () => fn(sizes));
  }
  const onStack = Object.entries(ON_STACK).filter(([name]) => wanted.has(name as BenchName));
  if (onStack.length > 0) {
    log(`starting the local stack (SES max send rate ${sizes.sendRate}/s)`);
    let stack: BenchStack | undefined;
    try {
      stack = await startBenchStack({ sendRate: sizes.sendRate });
    } catch (err) {
      for (const [name] of onStack) errors.push({ bench: name, message: `the local stack did not start: ${(err as Error).message}` });
    }
    if (stack) {
      try {
        for (const [name, fn] of onStack) await attempt(name, () => fn(sizes, stack));
      } finally {
        await stack.stop();
      }
    }
  }

  const tookMs = Math.round(performance.now() - began);
  // The whole full run is itself held to a target: it must fit a coffee break on 2 cores.
  if (!options.quick && !options.only) {
    results.push({
      bench: 'run',
      title: 'The whole run',
      figures: [figure('run.total_s', '`npm run bench`, start to end', Math.round(tookMs / 1000), 's', atMost(FULL_RUN_TARGET_S))],
      params: { benchmarks: results.length },
      notes: ['Every benchmark above, their local stack included, one after another.'],
      tookMs,
    });
  }

  const cpu = cpus();
  const report: BenchReport = {
    version: 1,
    mode: options.quick ? 'quick' : 'full',
    startedAt,
    tookMs,
    machine: { cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', node: process.version, platform: platform(), loadAverage: { atStart: Math.round(loadAtStart * 100) / 100, atEnd: Math.round(loadavg()[0] * 100) / 100 } },
    ...(options.only ? { only: options.only } : {}),
    results: results.map((r) => ({ ...r, tookMs: Math.round(r.tookMs) })),
    errors,
    misses: results.flatMap((r) => r.figures.filter((f) => f.pass === false).map((f) => f.id)),
  };
  if (options.outDir) {
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(options.outDir, 'latest.md'), renderMarkdown(report));
  }
  return report;
}

function parseArgs(argv: string[]): RunBenchOptions {
  const options: RunBenchOptions = { outDir: join(ROOT, 'bench', 'results') };
  for (const arg of argv) {
    if (arg === '--quick') options.quick = true;
    else if (arg.startsWith('--only=')) {
      const names = arg.slice('--only='.length).split(',').filter(Boolean);
      const unknown = names.filter((n) => !BENCH_NAMES.includes(n as BenchName));
      if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${BENCH_NAMES.join(', ')}`);
      options.only = names as BenchName[];
    } else if (arg.startsWith('--out=')) options.outDir = arg.slice('--out='.length);
    else if (arg.startsWith('--requests=')) options.sizes = { ...options.sizes, throughputRequests: Number(arg.slice('--requests='.length)) };
    else if (arg.startsWith('--send-rate=')) options.sizes = { ...options.sizes, sendRate: Number(arg.slice('--send-rate='.length)) };
    else throw new Error(`unknown option ${arg}; use --quick, --only=<names>, --out=<dir>, --requests=<n>, --send-rate=<per second>`);
  }
  return options;
}

async function main(): Promise<void> {
  // The SDK's Node-version notice would interleave with the progress lines; it says nothing about the figures.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const options = parseArgs(process.argv.slice(2));
  // Progress goes to stderr; the summary path is the one line on stdout.
  const report = await runBench({ ...options, log: (line) => process.stderr.write(`${line}\n`) });
  const out = options.outDir ?? '';
  process.stderr.write(`\n${renderMarkdown(report)}\n`);
  process.stdout.write(`${join(out, 'latest.md')}\n`);
  // A run that could not measure everything is a failure; a missed target is a finding, not one.
  process.exitCode = report.errors.length > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
