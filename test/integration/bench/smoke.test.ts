import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_NAMES, runBench } from '../../../bench/run.js';
import type { BenchReport } from '../../../bench/lib/report.js';
import { median, percentile, ratio } from '../../../bench/lib/stats.js';
import { atLeast, atMost, figure } from '../../../bench/lib/figures.js';

/**
 * The benchmark harness at tiny sizes, so it cannot rot between full runs. It checks that every
 * benchmark runs and reports well-formed figures, never how fast anything is: timings in a test
 * run on a shared machine would only flake.
 */
describe('bench harness (smoke, --quick sizes)', () => {
  let out: string;
  let report: BenchReport;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'mailengine-bench-smoke-'));
    report = await runBench({ quick: true, outDir: out });
  }, 240_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('runs every benchmark without an error', () => {
    expect(report.errors).toEqual([]);
    expect(report.results.map((r) => r.bench).sort()).toEqual([...BENCH_NAMES].sort());
  });

  it('reports finite figures with units, and a verdict exactly where there is a target', () => {
    for (const result of report.results) {
      expect(result.figures.length, result.bench).toBeGreaterThan(0);
      for (const f of result.figures) {
        expect(f.id.startsWith(`${result.bench}.`), f.id).toBe(true);
        expect(Number.isFinite(f.value), `${f.id} = ${f.value}`).toBe(true);
        expect(f.unit, f.id).not.toBe('');
        expect(f.pass === undefined, f.id).toBe(f.target === undefined);
      }
    }
    const ids = report.results.flatMap((r) => r.figures.map((f) => f.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(report.misses).toEqual(report.results.flatMap((r) => r.figures.filter((f) => f.pass === false).map((f) => f.id)));
  });

  it('measures what the issue asks for', () => {
    const ids = new Set(report.results.flatMap((r) => r.figures.map((f) => f.id)));
    for (const id of [
      'startup.version.ratio_to_node',
      'startup.help.ratio_to_node',
      'startup.lookup_help.ratio_to_node',
      'startup.bare_node.median_ms',
      'startup.version.ratio_to_cdk',
      'startup.help.ratio_to_cdk',
      'startup.lookup_help.ratio_to_cdk',
      'startup.cdk_version.median_ms',
      'startup.version.modules',
      'throughput.send_rate_fraction',
      'throughput.latency_p50_s',
      'throughput.latency_p99_s',
      'throughput.duplicates',
      'throughput.lost',
      'throughput.ses_refused_share',
      'faults.lost',
      'faults.duplicates',
      'faults.duplicates_outside_window',
      'faults.dead_lettered',
      'render.slowest.per_second',
      'lookup.latency_ratio',
      'erase.time_per_email_ratio',
      'erase.requests_per_email_ratio',
      'push.unchanged.ratio',
      'push.unchanged.files_uploaded',
      'lambda.sender.init_ms',
      'lambda.sender.zip_bytes',
      'latency.to_ses_p50_ms',
      'latency.to_ses_p99_ms',
      'latency.to_delivered_p99_ms',
      'latency.direct_p50_ms',
      'latency.overhead_p50_ms',
    ]) {
      expect(ids.has(id), id).toBe(true);
    }
  });

  it('gets the engine figures right even at this size: nothing lost or dead-lettered, nothing re-uploaded', () => {
    const value = (id: string) => report.results.flatMap((r) => r.figures).find((f) => f.id === id)?.value;
    expect(value('throughput.lost')).toBe(0);
    expect(value('throughput.duplicates')).toBe(0);
    // Duplicates outside the crash window are the full run's target: at quick sizes on a starved
    // CPU a Sender can outlive its lease (the local runner does not stop a handler at its timeout).
    expect(value('faults.lost')).toBe(0);
    expect(value('faults.dead_lettered')).toBe(0);
    expect(value('push.unchanged.files_uploaded')).toBe(0);
    expect(value('latency.lost')).toBe(0);
  });

  it('writes latest.json and a markdown summary that names each miss', () => {
    expect(existsSync(join(out, 'latest.json'))).toBe(true);
    const written = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchReport;
    expect(written.mode).toBe('quick');
    expect(written.results).toHaveLength(report.results.length);
    const md = readFileSync(join(out, 'latest.md'), 'utf8');
    for (const result of report.results) expect(md).toContain(`## ${result.title}`);
    for (const id of report.misses) expect(md).toContain(`\`${id}\``);
  });
});

describe('bench statistics', () => {
  it('takes medians and percentiles by interpolation', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5], 99)).toBeCloseTo(4.96);
    expect(median([])).toBeNaN();
  });

  it('never lets a ratio of nothing pass a target', () => {
    expect(ratio(1, 0)).toBeNaN();
    expect(figure('x.y', 'x', ratio(1, 0), 'ratio', atMost(1.5)).pass).toBe(false);
    expect(figure('x.z', 'x', 0.95, 'ratio', atLeast(0.9)).pass).toBe(true);
    expect(figure('x.w', 'x', 3, 'ms').pass).toBeUndefined();
  });
});
