import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../../src/aws/clients.js';
import { pushCacheFile } from '../../../src/templates/push-cache.js';
import type { PushReport } from '../../../src/templates/push.js';
import { listTemplateNames } from '../../../src/templates/store.js';
import { runInProcess } from '../../helpers/in-process.js';
import { useTestStack } from '../../helpers/local-stack.js';

/**
 * The record of the last push: templates whose files did not change are not read, validated or
 * flattened again, but the bucket is still compared with what they flatten to, so a change on
 * either side is pushed.
 */
const STARTERS = fileURLToPath(new URL('../../../starter-templates', import.meta.url));
const COUNT = listTemplateNames(STARTERS).length;
const STACK = 'pushcache';

const stack = useTestStack('templates-push-cache', STACK, { emptyBucketEachTest: true });
let folders = 0;

function workFolder(): { path: string; name: string } {
  folders += 1;
  const name = `cache-work-${folders}`;
  const path = join(stack.handle.dir, name);
  cpSync(STARTERS, path, { recursive: true });
  return { path, name };
}

async function recording() {
  const aws = new AwsClientFactory({ region: stack.handle.region, local: stack.handle.endpoints, maxAttempts: 1 });
  const calls: Array<{ command: string; key?: string }> = [];
  (await aws.s3()).middlewareStack.add(
    (next, context) => async (args) => {
      calls.push({ command: String(context.commandName).replace(/Command$/, ''), key: (args.input as { Key?: string }).Key });
      return next(args);
    },
    { step: 'initialize', name: 'recordS3Calls' },
  );
  const writes = () => calls.filter((c) => c.command === 'PutObject' || c.command === 'DeleteObject').map((c) => c.key);
  return { aws, calls, writes };
}

async function push(argv: string[]): Promise<{ code: number; report: PushReport; stderr: string; calls: Array<{ command: string; key?: string }>; writes: Array<string | undefined> }> {
  const { aws, calls, writes } = await recording();
  const result = await runInProcess(['templates', 'push', ...argv, '--json', '--local', '--stack', STACK], { cwd: stack.handle.dir, awsFactory: () => aws });
  return { code: result.code, report: (result.stdout ? JSON.parse(result.stdout) : undefined) as PushReport, stderr: result.stderr, calls, writes: writes() };
}

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

const cacheFile = (work: { path: string }) => pushCacheFile(stack.handle.dir, work.path);

describe('templates push: the record of the last push', () => {
  it('an unchanged folder is taken from the record: no template read again, one listing, no upload', async () => {
    const work = workFolder();
    const first = await push([work.name]);
    expect(first.code).toBe(0);
    expect(first.report.fromCache).toBe(0);
    expect(first.writes).toHaveLength(COUNT * 3);
    expect(JSON.parse(readFileSync(cacheFile(work), 'utf8'))).toMatchObject({ format: 1, displayDir: work.name });

    const again = await push([work.name]);
    expect(again.code).toBe(0);
    expect(again.report.fromCache).toBe(COUNT);
    expect(again.report.counts).toEqual({ added: 0, modified: 0, unchanged: COUNT, deleted: 0, failed: 0 });
    expect(again.calls).toEqual([{ command: 'ListObjectsV2', key: undefined }]);
  });

  it('a changed file is read, validated and uploaded; a changed layout file re-reads every template that uses it', async () => {
    const work = workFolder();
    await push([work.name]);
    edit(join(work.path, 'welcome', 'template.txt'), 'Welcome aboard', 'Welcome on board');
    const one = await push([work.name]);
    expect(one.report.fromCache).toBe(COUNT - 1);
    expect(one.report.templates.filter((t) => t.change !== 'unchanged')).toMatchObject([{ name: 'welcome', change: 'modified', files: [{ file: 'template.txt' }] }]);
    expect(one.writes).toEqual(['templates/welcome/template.txt']);

    // The layout is flattened into every HTML part: none of them may come from the record.
    const layout = readdirSync(join(work.path, '_layout')).find((f) => f.endsWith('.html')) as string;
    writeFileSync(join(work.path, '_layout', layout), `${readFileSync(join(work.path, '_layout', layout), 'utf8')}\n<!-- edited -->\n`);
    const all = await push([work.name]);
    expect(all.code).toBe(0);
    expect(all.report.fromCache).toBe(0);
    expect(all.report.counts.modified).toBeGreaterThan(0);
    expect(all.writes.every((k) => k?.endsWith('/template.html'))).toBe(true);
  });

  it('validation still runs for a changed template: a broken one stops the push and nothing is uploaded', async () => {
    const work = workFolder();
    await push([work.name]);
    edit(join(work.path, 'welcome', 'template.html'), '{{', '{% if %}{{');
    const broken = await push([work.name]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('Nothing was pushed');
    expect(broken.stderr).toContain('welcome');
    expect(broken.writes).toEqual([]);
  });

  it('a change in the bucket is pushed over: an object rewritten by someone else, and one deleted', async () => {
    const work = workFolder();
    await push([work.name]);
    const s3 = await stack.aws.s3();
    await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: 'templates/welcome/template.txt', Body: 'someone else pushed this' }));
    await s3.send(new DeleteObjectCommand({ Bucket: stack.bucket, Key: 'templates/invoice/metadata.json' }));
    const result = await push([work.name]);
    expect(result.code).toBe(0);
    expect(result.report.templates.filter((t) => t.change !== 'unchanged')).toMatchObject([
      { name: 'invoice', change: 'modified', files: [{ file: 'metadata.json' }] },
      { name: 'welcome', change: 'modified', files: [{ file: 'template.txt' }] },
    ]);
    expect(result.writes.sort()).toEqual(['templates/invoice/metadata.json', 'templates/welcome/template.txt']);
    // What was uploaded is the flattened template, read again from the folder, not the record.
    const again = await push([work.name]);
    expect(again.report.counts.unchanged).toBe(COUNT);
    expect(again.writes).toEqual([]);
  });

  it('a push to an empty bucket uploads everything even when the record says the folder is unchanged', async () => {
    const work = workFolder();
    await push([work.name]);
    const s3 = await stack.aws.s3();
    for (const name of listTemplateNames(work.path)) for (const file of ['template.html', 'template.txt', 'metadata.json']) await s3.send(new DeleteObjectCommand({ Bucket: stack.bucket, Key: `templates/${name}/${file}` }));
    const result = await push([work.name]);
    expect(result.report.counts.added).toBe(COUNT);
    expect(result.writes).toHaveLength(COUNT * 3);
  });

  it('a corrupt or foreign record is ignored: the full push runs, and a sound record is written for the next', async () => {
    const work = workFolder();
    await push([work.name]);
    for (const corrupt of ['{ not json', JSON.stringify({ format: 1, mailengine: '0.0.0-other', displayDir: work.name, templates: {} }), JSON.stringify({ format: 1, templates: { welcome: { inputs: 'x' } } })]) {
      writeFileSync(cacheFile(work), corrupt);
      const result = await push([work.name]);
      expect(result.code).toBe(0);
      expect(result.report.fromCache).toBe(0);
      expect(result.writes).toEqual([]);
    }
    expect((await push([work.name])).report.fromCache).toBe(COUNT);
  });

  it('an entry whose recorded digests do not match the folder is not trusted', async () => {
    const work = workFolder();
    await push([work.name]);
    const record = JSON.parse(readFileSync(cacheFile(work), 'utf8')) as { templates: Record<string, { inputs: Record<string, string | null> }> };
    // A record that claims the template read different bytes than the folder holds.
    record.templates.welcome.inputs['welcome/template.txt'] = '0'.repeat(64);
    writeFileSync(cacheFile(work), JSON.stringify(record));
    const result = await push([work.name]);
    expect(result.report.fromCache).toBe(COUNT - 1);
    expect(result.writes).toEqual([]);
  });

  it('--no-cache reads and validates every template', async () => {
    const work = workFolder();
    await push([work.name]);
    const result = await push([work.name, '--no-cache']);
    expect(result.report.fromCache).toBe(0);
    expect(result.report.counts.unchanged).toBe(COUNT);
    expect(result.writes).toEqual([]);
  });

  it('warnings found when a template was read are shown again when it comes from the record', async () => {
    const work = workFolder();
    const meta = join(work.path, 'welcome', 'metadata.json');
    writeFileSync(meta, JSON.stringify({ ...JSON.parse(readFileSync(meta, 'utf8')), subjcet: 'typo' }, null, 2));
    const first = await push([work.name]);
    expect(first.code).toBe(0);
    const warning = first.stderr.split('\n').find((l) => l.includes('subjcet'));
    expect(warning).toBeDefined();
    const again = await push([work.name]);
    expect(again.report.fromCache).toBe(COUNT);
    expect(again.stderr).toContain(warning);
  });
});
