import { accessSync, constants, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { atMost, figure, type BenchResult, type Figure } from './lib/figures.js';
import { ROOT } from './lib/paths.js';
import type { BenchSizes } from './lib/sizes.js';
import { run } from './lib/spawn.js';
import { median, ratio, round } from './lib/stats.js';

interface Subject {
  key: string;
  label: string;
  args: string[];
}

/** The env a user's shell would give, minus anything that changes what a CLI prints or loads. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _options, ...rest } = process.env;
  return { ...rest, FORCE_COLOR: '0', NO_COLOR: '1', ...extra };
}

/** An executable on PATH, or undefined. */
function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Modules one run loads, as the end-to-end tests' tracer records them (ESM resolves and the CommonJS cache). */
async function modulesLoaded(args: string[], dir: string, key: string): Promise<number> {
  const file = join(dir, `${key}.loads`);
  const tracer = join(ROOT, 'test', 'fixtures', 'trace-loads.mjs');
  const result = await run(process.execPath, ['--import', tracer, ...args], { cwd: ROOT, env: cleanEnv({ TRACE_LOADS_FILE: file }) });
  if (result.code !== 0) throw new Error(`${args.join(' ')} exited ${result.code}: ${result.stderr.slice(0, 300)}`);
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  // node: builtins are part of the runtime, not of what the CLI ships.
  return new Set(lines.filter((l) => l && !l.startsWith('node:'))).size;
}

/**
 * CLI start-up: the median wall time of `--version`, `--help` and `status lookup --help` from
 * spawn to exit, next to bare Node (`node -e 0`, the floor any Node CLI stands on), the AWS CDK
 * CLI's `--version` and, where installed, the AWS CLI's, all measured in the same run (runs are
 * interleaved so a slow moment of the machine falls on every command alike). The headline is the
 * ratio to bare Node.
 */
export async function benchStartup(sizes: BenchSizes): Promise<BenchResult> {
  const began = performance.now();
  const cli = join(ROOT, 'dist', 'cli.js');
  if (!existsSync(cli)) {
    const build = await run(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, timeoutMs: 300_000 });
    if (build.code !== 0) throw new Error(`build failed: ${build.stderr.slice(0, 500)}`);
  }
  const cdk = realpathSync(join(ROOT, 'node_modules', '.bin', 'cdk'));
  const subjects: Subject[] = [
    { key: 'version', label: 'mailengine --version', args: [cli, '--version'] },
    { key: 'help', label: 'mailengine --help', args: [cli, '--help'] },
    { key: 'lookup_help', label: 'mailengine status lookup --help', args: [cli, 'status', 'lookup', '--help'] },
    { key: 'cdk_version', label: 'cdk --version (aws-cdk)', args: [cdk, '--version'] },
    { key: 'bare_node', label: 'node -e 0 (bare Node)', args: ['-e', '0'] },
  ];
  const awsCli = findOnPath('aws');
  const times = new Map<string, number[]>(subjects.map((s) => [s.key, []]));
  // One untimed run each first: the page cache, not the CLI, would otherwise decide the first sample.
  for (const s of subjects) await run(process.execPath, s.args, { cwd: ROOT, env: cleanEnv() });
  for (let i = 0; i < sizes.startupRuns; i++) {
    for (const s of subjects) {
      const result = await run(process.execPath, s.args, { cwd: ROOT, env: cleanEnv() });
      if (result.code !== 0) throw new Error(`${s.label} exited ${result.code}: ${result.stderr.slice(0, 300)}`);
      times.get(s.key)!.push(result.ms);
    }
  }
  const traceDir = mkdtempSync(join(tmpdir(), 'mailengine-bench-trace-'));
  const modules = new Map<string, number>();
  try {
    for (const s of subjects) modules.set(s.key, await modulesLoaded(s.args, traceDir, s.key));
  } finally {
    rmSync(traceDir, { recursive: true, force: true });
  }

  const cdkMedian = median(times.get('cdk_version')!);
  const nodeMedian = median(times.get('bare_node')!);
  const figures: Figure[] = [];
  for (const s of subjects) {
    const m = median(times.get(s.key)!);
    figures.push(figure(`startup.${s.key}.median_ms`, `${s.label}: median wall time`, round(m, 1), 'ms'));
    if (s.key !== 'bare_node') figures.push(figure(`startup.${s.key}.modules`, `${s.label}: modules loaded`, modules.get(s.key)!, 'modules'));
    if (s.key !== 'cdk_version' && s.key !== 'bare_node') {
      figures.push(figure(`startup.${s.key}.ratio_to_node`, `${s.label}: time / node -e 0 time`, round(ratio(m, nodeMedian), 3), 'ratio', atMost(1.5)));
      figures.push(figure(`startup.${s.key}.ratio_to_cdk`, `${s.label}: time / cdk --version time`, round(ratio(m, cdkMedian), 3), 'ratio'));
    }
  }
  figures.push(figure('startup.cdk_version.ratio_to_node', 'cdk --version: time / node -e 0 time', round(ratio(cdkMedian, nodeMedian), 3), 'ratio'));
  if (awsCli) {
    const awsTimes: number[] = [];
    for (let i = 0; i < sizes.startupRuns; i++) awsTimes.push((await run(awsCli, ['--version'], { cwd: ROOT, env: cleanEnv() })).ms);
    figures.push(figure('startup.aws_version.median_ms', 'aws --version (AWS CLI): median wall time', round(median(awsTimes), 1), 'ms'));
  }
  return {
    bench: 'startup',
    title: 'CLI start-up',
    figures,
    params: { runs: sizes.startupRuns, node: process.version },
    notes: [
      'Wall time from spawn to exit of `node <entry> <args>`, one warm-up run each, runs interleaved across the commands.',
      awsCli ? 'The AWS CLI (`aws` on PATH) was timed after the others, not interleaved.' : 'The AWS CLI is not installed here, so it has no figure.',
    ],
    tookMs: performance.now() - began,
  };
}
