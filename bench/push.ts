import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STARTER_DIR_NAME } from '../src/templates/init.js';
import { pushCacheFile } from '../src/templates/push-cache.js';
import { preparePushSource } from '../src/templates/push-source.js';
import { pushTemplates, type PushReport } from '../src/templates/push.js';
import { LAYOUT_DIR, listTemplateNames } from '../src/templates/store.js';
import { atMost, figure, type BenchResult } from './lib/figures.js';
import { ROOT } from './lib/paths.js';
import type { BenchSizes } from './lib/sizes.js';
import { silentIo, type BenchStack } from './lib/stack.js';
import { median, ratio, round } from './lib/stats.js';

/** Rounds of (first push, unchanged pushes): each round uses new names, so its first push uploads everything. */
const ROUNDS = 3;
const UNCHANGED_PER_ROUND = 3;

/** A folder of `count` templates: copies of the starters (and their layout) under new names. */
function templateFolder(count: number, round: number): { dir: string; names: string[] } {
  const starters = join(ROOT, STARTER_DIR_NAME);
  const sources = listTemplateNames(starters);
  const dir = mkdtempSync(join(tmpdir(), 'mailengine-bench-push-'));
  cpSync(join(starters, LAYOUT_DIR), join(dir, LAYOUT_DIR), { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const source = sources[i % sources.length];
    const name = `bench-r${round}-${String(i).padStart(3, '0')}-${source}`;
    cpSync(join(starters, source), join(dir, name), { recursive: true });
    names.push(name);
  }
  return { dir, names };
}

/**
 * Deletes what a round pushed (untimed), so every round's pushes compare a bucket of `count`
 * templates, as the figures say, not one that grows by `count` templates a round.
 */
async function emptyRound(bench: BenchStack, round: number): Promise<void> {
  const bucket = bench.names.templatesBucket;
  for (;;) {
    const page = await bench.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `templates/bench-r${round}-` }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (keys.length === 0) return;
    await bench.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
}

/**
 * Template push: `count` templates pushed to the local bucket with the push core (read, validate,
 * flatten, compare, upload), then pushed again unchanged, which must upload nothing.
 */
export async function benchPush(sizes: BenchSizes, bench: BenchStack): Promise<BenchResult> {
  const began = performance.now();
  const first: number[] = [];
  const again: number[] = [];
  const againPrepare: number[] = [];
  const againRequests: number[] = [];
  const againFromCache: number[] = [];
  let uploadedFirst = 0;
  let uploadedAgain = 0;
  // Every S3 request the push makes, counted where the client sends it.
  let requests = 0;
  const counter = 'benchPushCountRequests';
  bench.s3.middlewareStack.add(
    (next) => (args) => {
      requests += 1;
      return next(args);
    },
    { step: 'initialize', name: counter },
  );
  const push = async (dir: string, names: string[]): Promise<{ ms: number; prepareMs: number; requests: number; report: PushReport }> => {
    const t = performance.now();
    // The record of the last push lives beside the folder, as the CLI keeps it in the project's .mailengine/.
    const source = preparePushSource({ dir, displayDir: 'bench-templates', names, cacheFile: pushCacheFile(dir, dir) });
    const prepareMs = performance.now() - t;
    const before = requests;
    const report = await pushTemplates({ s3: bench.s3, bucket: bench.names.templatesBucket, source, io: silentIo, where: 'on the local stack' });
    if (!report.ok) throw new Error(`push failed: ${JSON.stringify(report.counts)}`);
    return { ms: performance.now() - t, prepareMs, requests: requests - before, report };
  };
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const { dir, names } = templateFolder(sizes.pushTemplates, r);
      try {
        const one = await push(dir, names);
        first.push(one.ms);
        uploadedFirst = Math.max(uploadedFirst, one.report.filesUploaded);
        for (let i = 0; i < UNCHANGED_PER_ROUND; i++) {
          const two = await push(dir, names);
          again.push(two.ms);
          againPrepare.push(two.prepareMs);
          againRequests.push(two.requests);
          againFromCache.push(two.report.fromCache);
          uploadedAgain = Math.max(uploadedAgain, two.report.filesUploaded);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await emptyRound(bench, r);
      }
    }
  } finally {
    bench.s3.middlewareStack.remove(counter);
  }
  const firstMs = median(first);
  const againMs = median(again);
  const againPrepareMs = median(againPrepare);
  return {
    bench: 'push',
    title: 'Template push',
    figures: [
      figure('push.first.median_ms', `first push of ${sizes.pushTemplates} templates: median time`, round(firstMs, 1), 'ms'),
      figure('push.first.files_uploaded', 'first push: files uploaded', uploadedFirst, 'files'),
      figure('push.unchanged.median_ms', 'unchanged push: median time', round(againMs, 1), 'ms'),
      figure('push.unchanged.files_uploaded', 'unchanged push: files uploaded (most in any run)', uploadedAgain, 'files', atMost(0)),
      figure('push.unchanged.s3_requests', 'unchanged push: S3 requests (most in any run)', Math.max(...againRequests), 'requests'),
      figure('push.unchanged.from_cache', 'unchanged push: templates taken from the record of the last push (fewest in any run)', Math.min(...againFromCache), 'templates'),
      figure('push.unchanged.prepare_ms', 'unchanged push: preparing the folder: hashing the files each template read, validating and flattening none (median)', round(againPrepareMs, 1), 'ms'),
      figure('push.unchanged.compare_ms', 'unchanged push: deciding what changed against the bucket (median)', round(againMs - againPrepareMs, 1), 'ms'),
      figure('push.unchanged.ratio', 'unchanged push time / first push time', round(ratio(againMs, firstMs), 3), 'ratio', atMost(0.1)),
    ],
    params: { templates: sizes.pushTemplates, rounds: ROUNDS, unchangedPerRound: UNCHANGED_PER_ROUND },
    notes: [
      'Timed from reading the folder to the last upload (preparePushSource + pushTemplates), against s3rver on loopback; each round starts from a bucket without the previous round\'s templates.',
      'What changed is decided from one ListObjectsV2 (a page per 1,000 objects): an ETag equal to the MD5 of the flattened file settles it; only other files cost a HEAD.',
      'A template whose files (its own, the layout, anything it includes) hash as the record of the last push says is not read, validated or flattened again: the record gives its flattened files\' hashes, compared with the listing as above.',
    ],
    tookMs: performance.now() - began,
  };
}
