import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { main } from '../../../commands/main.js';
import type { Runtime } from '../../../commands/runtime.js';
import { AwsClientFactory } from '../../../src/aws/clients.js';
import { TemplateSource } from '../../../src/engine/template-source.js';
import { RecordingIoHost } from '../../helpers/recording-io-host.js';
import { preparePushSource } from '../../../src/templates/push-source.js';
import { pushTemplates, type PushReport } from '../../../src/templates/push.js';
import { contentHash, HASH_METADATA_KEY } from '../../../src/templates/remote.js';
import { renderTemplate } from '../../../src/templates/render.js';
import { DirectoryStore, listTemplateNames } from '../../../src/templates/store.js';
import { loadTemplate, standaloneFiles } from '../../../src/templates/template.js';
import { captureStreams } from '../../helpers/capture.js';
import { STACK_FRAME } from '../../helpers/cli.js';
import { useTestStack } from '../../helpers/local-stack.js';
import { runInProcess } from '../../helpers/in-process.js';

const STARTERS = fileURLToPath(new URL('../../../starter-templates', import.meta.url));
const STARTER_NAMES = listTemplateNames(STARTERS);
const STACK = 'pushtest';

const stack = useTestStack('templates-push', STACK, { emptyBucketEachTest: true });
let folders = 0;

interface S3Call {
  command: string;
  key?: string;
}

/**
 * A client factory whose S3 client records every call and can fail chosen ones before they leave.
 * `opaqueEtags` makes every listed ETag something other than the object's MD5, as S3 lists
 * objects encrypted with SSE-KMS or uploaded in parts.
 */
async function recording(fail?: (command: string, key: string | undefined) => boolean, options: { opaqueEtags?: boolean } = {}) {
  const aws = new AwsClientFactory({ region: stack.handle.region, local: stack.handle.endpoints, maxAttempts: 1 });
  const calls: S3Call[] = [];
  const s3 = await aws.s3();
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName).replace(/Command$/, '');
      const key = (args.input as { Key?: string }).Key;
      calls.push({ command, key });
      if (fail?.(command, key)) throw Object.assign(new Error('We encountered an internal error. Please try again.'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
      const result = await next(args);
      const listed = (result.output as { Contents?: Array<{ ETag?: string }> }).Contents;
      if (options.opaqueEtags && command === 'ListObjectsV2') for (const object of listed ?? []) object.ETag = `"${randomBytes(16).toString('hex')}"`;
      return result;
    },
    { step: 'initialize', name: 'recordS3Calls' },
  );
  const writes = () => calls.filter((c) => c.command === 'PutObject' || c.command === 'DeleteObject');
  return { aws, s3, calls, writes };
}

/** A copy of the starters in the stack's directory, named as the user would type it. */
function workFolder(): { path: string; name: string } {
  folders += 1;
  const name = `work-${folders}`;
  const path = join(stack.handle.dir, name);
  cpSync(STARTERS, path, { recursive: true });
  return { path, name };
}

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

/** Every object in the bucket: key → what changes when it is rewritten. */
async function objects(): Promise<Map<string, { etag?: string; lastModified?: number; size?: number }>> {
  const s3 = await stack.aws.s3();
  const out = await s3.send(new ListObjectsV2Command({ Bucket: stack.bucket }));
  return new Map((out.Contents ?? []).map((o) => [o.Key as string, { etag: o.ETag, lastModified: o.LastModified?.getTime(), size: o.Size }]));
}

async function body(key: string): Promise<string> {
  const out = await (await stack.aws.s3()).send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
  return (await out.Body?.transformToString('utf8')) ?? '';
}

/** The CLI in-process, as in CI (no TTY), against the local stack, with the given S3 client. */
const run = (argv: string[], aws: AwsClientFactory) => runInProcess([...argv, '--local', '--stack', STACK], { cwd: stack.handle.dir, awsFactory: () => aws });

async function push(argv: string[], aws: AwsClientFactory): Promise<{ code: number; report: PushReport; stderr: string }> {
  const result = await run(['templates', 'push', ...argv, '--json'], aws);
  return { code: result.code, report: JSON.parse(result.stdout) as PushReport, stderr: result.stderr };
}

function changes(report: PushReport): Record<string, string> {
  return Object.fromEntries(report.templates.map((t) => [t.name, t.change]));
}

describe('templates push against s3rver', () => {
  it('the first push uploads every starter, flattened, with content type and content hash', async () => {
    const work = workFolder();
    const { aws, writes } = await recording();
    const { code, report } = await push([work.name], aws);
    expect(code).toBe(0);
    expect(report.counts).toEqual({ added: 12, modified: 0, unchanged: 0, deleted: 0, failed: 0 });
    expect(report.templates.map((t) => t.name)).toEqual(STARTER_NAMES);
    expect(writes()).toHaveLength(36);
    expect(report).toMatchObject({ ok: true, filesUploaded: 36, filesDeleted: 0, bucket: stack.bucket, url: `s3://${stack.bucket}/templates/` });

    const keys = [...(await objects()).keys()].sort();
    expect(keys).toEqual(STARTER_NAMES.flatMap((n) => [`templates/${n}/metadata.json`, `templates/${n}/template.html`, `templates/${n}/template.txt`]));
    const expected = standaloneFiles(loadTemplate(new DirectoryStore(STARTERS), 'order-confirmation'));
    const s3 = await stack.aws.s3();
    for (const [file, type] of [
      ['template.html', 'text/html; charset=utf-8'],
      ['template.txt', 'text/plain; charset=utf-8'],
      ['metadata.json', 'application/json; charset=utf-8'],
    ] as const) {
      const key = `templates/order-confirmation/${file}`;
      expect(await body(key)).toBe(expected[file]);
      const head = await s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }));
      expect(head.ContentType).toBe(type);
      expect(head.Metadata?.[HASH_METADATA_KEY]).toBe(contentHash(expected[file]));
    }
    // Stand-alone: no layout left, brand values in the defaults.
    expect(expected['template.html']).not.toContain('{% extends');
    expect(expected['template.html']).not.toContain('{% include');
    expect(JSON.parse(expected['metadata.json']).defaults.companyName).toBe('Acme');
  });

  it('a second push of unchanged templates uploads nothing and leaves every object as it was', async () => {
    const work = workFolder();
    expect((await push([work.name], (await recording()).aws)).code).toBe(0);
    const before = await objects();

    const { aws, writes } = await recording();
    const second = await run(['templates', 'push', work.name], aws);
    expect(second.code).toBe(0);
    expect(writes()).toEqual([]);
    expect(second.stdout).toContain(`contact-form-notification  Unchanged  1.0.0`);
    expect(second.stdout.trimEnd().split('\n').at(-1)).toBe(`All 12 templates are up to date in s3://${stack.bucket}/templates/; nothing was uploaded.`);
    expect(await objects()).toEqual(before);
  });

  it('a modified template is Modified and only its changed file is uploaded', async () => {
    const work = workFolder();
    await push([work.name], (await recording()).aws);
    const before = await objects();
    edit(join(work.path, 'welcome', 'template.txt'), 'Welcome aboard', 'Welcome on board');

    const { aws, writes } = await recording();
    const { code, report } = await push([work.name], aws);
    expect(code).toBe(0);
    expect(report.counts).toEqual({ added: 0, modified: 1, unchanged: 11, deleted: 0, failed: 0 });
    expect(report.templates.find((t) => t.name === 'welcome')).toMatchObject({ change: 'modified', ok: true, files: [{ file: 'template.txt', action: 'upload', done: true }] });
    expect(writes()).toEqual([{ command: 'PutObject', key: 'templates/welcome/template.txt' }]);
    const after = await objects();
    for (const [key, value] of before) {
      if (key === 'templates/welcome/template.txt') expect(after.get(key)?.etag).not.toBe(value.etag);
      else expect(after.get(key)).toEqual(value);
    }
    expect(await body('templates/welcome/template.txt')).toContain('Welcome on board');
  });

  it('a change to the shared brand reaches every template, through its metadata.json defaults', async () => {
    const work = workFolder();
    await push([work.name], (await recording()).aws);
    edit(join(work.path, '_layout', 'brand.json'), '"companyName": "Acme"', '"companyName": "Acme Labs"');

    const { aws, writes } = await recording();
    const { report } = await push([work.name], aws);
    expect(report.counts.modified).toBe(12);
    expect(writes().map((w) => w.key?.split('/').at(-1))).toEqual(Array(12).fill('metadata.json'));
    expect(JSON.parse(await body('templates/invoice/metadata.json')).defaults.companyName).toBe('Acme Labs');
  });

  it('a template removed from the folder is kept without --prune, and deleted with it', async () => {
    const work = workFolder();
    await push([work.name], (await recording()).aws);
    rmSync(join(work.path, 'magic-link'), { recursive: true });

    const kept = await recording();
    const without = await run(['templates', 'push', work.name], kept.aws);
    expect(without.code).toBe(0);
    expect(kept.writes()).toEqual([]);
    expect(without.stdout).toContain(`1 template in the bucket is not in ${work.name}: magic-link. --prune deletes it.`);
    expect([...(await objects()).keys()].filter((k) => k.startsWith('templates/magic-link/'))).toHaveLength(3);

    const pruning = await recording();
    const { code, report } = await push([work.name, '--prune', '--yes'], pruning.aws);
    expect(code).toBe(0);
    expect(changes(report)['magic-link']).toBe('deleted');
    expect(report.counts).toEqual({ added: 0, modified: 0, unchanged: 11, deleted: 1, failed: 0 });
    expect(pruning.writes().map((w) => `${w.command} ${w.key}`).sort()).toEqual([
      'DeleteObject templates/magic-link/metadata.json',
      'DeleteObject templates/magic-link/template.html',
      'DeleteObject templates/magic-link/template.txt',
    ]);
    expect([...(await objects()).keys()].filter((k) => k.startsWith('templates/magic-link/'))).toEqual([]);
    expect((await objects()).size).toBe(33);
  });

  it('--prune without a terminal and without --yes deletes nothing and says which flag answers', async () => {
    const work = workFolder();
    await push([work.name], (await recording()).aws);
    rmSync(join(work.path, 'invoice'), { recursive: true });
    const { aws, writes } = await recording();
    const result = await run(['templates', 'push', work.name, '--prune'], aws);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('delete invoice?');
    expect(result.stderr).toContain('--yes');
    expect(writes()).toEqual([]);
    expect((await objects()).size).toBe(36);
  });

  it('push of selected names touches only those; a named template gone from the folder is deleted only with --prune', async () => {
    const work = workFolder();
    await push([work.name], (await recording()).aws);
    for (const name of ['welcome', 'invoice', 'magic-link']) edit(join(work.path, name, 'metadata.json'), '"version": "1.0.0"', '"version": "1.1.0"');
    rmSync(join(work.path, 'sign-in-code'), { recursive: true });
    rmSync(join(work.path, 'payment-failed'), { recursive: true });

    const selected = await recording();
    const { code, report } = await push([work.name, 'welcome', 'invoice'], selected.aws);
    expect(code).toBe(0);
    expect(changes(report)).toEqual({ invoice: 'modified', welcome: 'modified' });
    expect(report.notInFolder).toEqual([]);
    expect(selected.writes().map((w) => w.key).sort()).toEqual(['templates/invoice/metadata.json', 'templates/welcome/metadata.json']);
    expect(selected.calls.filter((c) => c.command === 'HeadObject').every((c) => /^templates\/(welcome|invoice)\//.test(c.key ?? ''))).toBe(true);

    const named = await recording();
    const prune = await push([work.name, 'sign-in-code', '--prune', '--yes'], named.aws);
    expect(prune.code).toBe(0);
    expect(changes(prune.report)).toEqual({ 'sign-in-code': 'deleted' });
    expect(named.writes().every((w) => w.command === 'DeleteObject' && w.key?.startsWith('templates/sign-in-code/'))).toBe(true);
    const keys = [...(await objects()).keys()];
    expect(keys.some((k) => k.startsWith('templates/sign-in-code/'))).toBe(false);
    // Neither payment-failed (also gone from the folder) nor magic-link (also edited) was touched.
    expect(keys.filter((k) => k.startsWith('templates/payment-failed/'))).toHaveLength(3);
    expect(JSON.parse(await body('templates/magic-link/metadata.json')).version).toBe('1.0.0');

    const unknown = await run(['templates', 'push', work.name, 'sign-in-code'], (await recording()).aws);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('No template named "sign-in-code"');
  });

  it('a syntax error is reported with file and line, and blocks the whole push before any S3 call', async () => {
    const work = workFolder();
    edit(join(work.path, 'welcome', 'template.html'), '{% endblock %}', '{% endblok %}');
    const line = readFileSync(join(work.path, 'welcome', 'template.html'), 'utf8').split('\n').findIndex((l) => l.includes('{% endblok %}')) + 1;
    const { aws, calls } = await recording();
    const result = await run(['templates', 'push', work.name, '--yes'], aws);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('error: Nothing was pushed: 1 problem in 1 of 12 templates:');
    expect(result.stderr).toMatch(new RegExp(`${work.name}/welcome/template\\.html:${line}:\\d+: .*\\[TEMPLATE_SYNTAX_ERROR\\]`));
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(calls).toEqual([]);
    expect((await objects()).size).toBe(0);
  });

  it('a failed upload: the others go through, the report names it, "Failed to push 1 template", exit 1; the next push finishes it', async () => {
    const work = workFolder();
    const failing = await recording((command, key) => command === 'PutObject' && key === 'templates/invoice/template.txt');
    const result = await run(['templates', 'push', work.name], failing.aws);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/invoice\s+Added: FAILED/);
    expect(result.stdout).toContain(`Push to s3://${stack.bucket}/templates/ incomplete: 1 of 12 changed templates failed (34 files uploaded).`);
    expect(result.stderr).toContain(`error: Failed to push 1 template to s3://${stack.bucket}/templates/:\n  invoice (added): template.txt: s3 PutObject failed on the AWS side (InternalError, HTTP 500).`);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    const keys = [...(await objects()).keys()];
    expect(keys).toHaveLength(34);
    expect(keys).toContain('templates/invoice/template.html');
    expect(keys).not.toContain('templates/invoice/template.txt');

    const retry = await recording();
    const { code, report } = await push([work.name], retry.aws);
    expect(code).toBe(0);
    expect(changes(report).invoice).toBe('modified');
    expect(retry.writes().map((w) => w.key)).toEqual(['templates/invoice/template.txt', 'templates/invoice/metadata.json']);
  });

  it('--json with a failure: one JSON report on stdout, the error as JSON on stderr', async () => {
    const work = workFolder();
    const failing = await recording((command, key) => command === 'PutObject' && key?.startsWith('templates/welcome/') === true);
    const result = await run(['templates', 'push', work.name, '--json'], failing.aws);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as PushReport;
    expect(report.ok).toBe(false);
    expect(report.counts.failed).toBe(1);
    expect(report.templates.find((t) => t.name === 'welcome')).toMatchObject({ ok: false, error: { code: 'AWS_SERVICE_ERROR' } });
    expect(JSON.parse(result.stderr).error).toMatchObject({ code: 'TEMPLATES_PUSH_FAILED', exitCode: 1, details: { failed: [{ name: 'welcome', change: 'added' }] } });
  });

  it('--dry-run compares and reports, and writes nothing', async () => {
    const work = workFolder();
    const first = await recording();
    const dry = await push([work.name, '--dry-run'], first.aws);
    expect(dry.code).toBe(0);
    expect(dry.report).toMatchObject({ dryRun: true, filesUploaded: 0, counts: { added: 12 } });
    expect(first.writes()).toEqual([]);
    expect((await objects()).size).toBe(0);

    await push([work.name], (await recording()).aws);
    const before = await objects();
    edit(join(work.path, 'invoice', 'template.html'), 'Invoice', 'Tax invoice');
    rmSync(join(work.path, 'welcome'), { recursive: true });
    const second = await recording();
    const text = await run(['templates', 'push', work.name, '--dry-run', '--prune'], second.aws);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/invoice\s+Modified\s+1\.0\.0\s+template\.html/);
    expect(text.stdout).toMatch(/welcome\s+Deleted\s+3 files/);
    expect(text.stdout).toContain('Dry run: a push would add 0, update 1 and delete 1');
    expect(text.stdout).toContain('Nothing was written.');
    expect(second.writes()).toEqual([]);
    expect(await objects()).toEqual(before);
  });

  it('objects put there by another tool are compared by content: same bytes are Unchanged, others Modified', async () => {
    const s3 = await stack.aws.s3();
    const files = standaloneFiles(loadTemplate(new DirectoryStore(STARTERS), 'welcome'));
    const putByAnotherTool = async () => {
      for (const [file, text] of Object.entries(files)) {
        const altered = file === 'template.txt' ? `${text}\n` : text;
        await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: `templates/welcome/${file}`, Body: altered }));
      }
    };
    await putByAnotherTool();
    const { aws, writes, calls } = await recording();
    const { report } = await push([STARTERS, 'welcome'], aws);
    expect(report.templates).toMatchObject([{ name: 'welcome', change: 'modified', files: [{ file: 'template.txt' }] }]);
    expect(writes().map((w) => w.key)).toEqual(['templates/welcome/template.txt']);
    // Same bytes: the listing's ETag (their MD5) says so, without a request per file.
    expect(calls.filter((c) => c.command === 'GetObject' || c.command === 'HeadObject')).toEqual([]);

    // Where ETags are not MD5s (SSE-KMS, multipart), the same files are downloaded and hashed.
    await putByAnotherTool();
    const opaque = await recording(undefined, { opaqueEtags: true });
    const again = await push([STARTERS, 'welcome'], opaque.aws);
    expect(again.report.templates).toMatchObject([{ name: 'welcome', change: 'modified', files: [{ file: 'template.txt' }] }]);
    expect(opaque.calls.filter((c) => c.command === 'GetObject').map((c) => c.key).sort()).toEqual(['templates/welcome/metadata.json', 'templates/welcome/template.html']);
  });

  it('an unchanged push is decided from one listing: no request per file', async () => {
    const work = workFolder();
    await push([work.name], (await recording()).aws);
    const { aws, calls } = await recording();
    const { code, report } = await push([work.name], aws);
    expect(code).toBe(0);
    expect(report.counts).toEqual({ added: 0, modified: 0, unchanged: 12, deleted: 0, failed: 0 });
    expect(calls).toEqual([{ command: 'ListObjectsV2', key: undefined }]);
  });

  it('a change that keeps the size is uploaded, whether the ETags are MD5s or not', async () => {
    const work = workFolder();
    await push([work.name], (await recording()).aws);
    // Same length, so only content can tell.
    edit(join(work.path, 'welcome', 'template.txt'), 'Welcome aboard', 'Welcome abroad');
    const first = await recording();
    const { report } = await push([work.name], first.aws);
    expect(report.counts).toMatchObject({ modified: 1, unchanged: 11 });
    expect(first.writes()).toEqual([{ command: 'PutObject', key: 'templates/welcome/template.txt' }]);
    // The one file whose ETag did not match was checked by its SHA-256; every other file by the listing.
    expect(first.calls.filter((c) => c.command === 'HeadObject')).toEqual([{ command: 'HeadObject', key: 'templates/welcome/template.txt' }]);
    expect(await body('templates/welcome/template.txt')).toContain('Welcome abroad');

    edit(join(work.path, 'welcome', 'template.txt'), 'Welcome abroad', 'Welcome aboard');
    const opaque = await recording(undefined, { opaqueEtags: true });
    const second = await push([work.name], opaque.aws);
    expect(second.report.counts).toMatchObject({ modified: 1, unchanged: 11 });
    expect(opaque.writes()).toEqual([{ command: 'PutObject', key: 'templates/welcome/template.txt' }]);
    // No ETag matched, so every file was checked by its stored SHA-256.
    expect(opaque.calls.filter((c) => c.command === 'HeadObject')).toHaveLength(36);
    expect(await body('templates/welcome/template.txt')).toContain('Welcome aboard');
  });

  it('asks on a terminal: Yes by default for uploads, No for deletions; declining writes nothing and fails', async () => {
    const work = workFolder();
    const { s3, writes } = await recording();
    const source = preparePushSource({ dir: work.path, displayDir: work.name });
    const io = new RecordingIoHost({ 'templates.push.confirm': false }, true);
    await expect(pushTemplates({ s3, bucket: stack.bucket, source, io })).rejects.toMatchObject({ code: 'TEMPLATES_PUSH_DECLINED', exitCode: 1 });
    expect(io.requests).toMatchObject([{ kind: 'confirm', code: 'templates.push.confirm', default: true, message: `Push to s3://${stack.bucket}/templates/: add 12 templates?` }]);
    expect(io.messages.filter((m) => m.code === 'templates.push.plan').map((m) => m.message)).toContain('+ welcome: added');
    expect(writes()).toEqual([]);

    const yes = new RecordingIoHost({ 'templates.push.confirm': true }, true);
    expect((await pushTemplates({ s3, bucket: stack.bucket, source, io: yes })).filesUploaded).toBe(36);

    rmSync(join(work.path, 'welcome'), { recursive: true });
    edit(join(work.path, 'invoice', 'template.txt'), 'Invoice', 'Tax invoice');
    const asked = new RecordingIoHost({ 'templates.push.confirm': false }, true);
    const pruneSource = preparePushSource({ dir: work.path, displayDir: work.name });
    await expect(pushTemplates({ s3, bucket: stack.bucket, source: pruneSource, io: asked, prune: true })).rejects.toMatchObject({ code: 'TEMPLATES_PUSH_DECLINED' });
    expect(asked.requests).toMatchObject([{ default: false, message: `Push to s3://${stack.bucket}/templates/: update invoice, delete welcome?` }]);
    expect((await objects()).size).toBe(36);
  });

  it('pushed starters render through the engine’s own path (TemplateSource) exactly as from the folder', async () => {
    await push([STARTERS], (await recording()).aws);
    const source = new TemplateSource(await stack.aws.s3(), { bucket: stack.bucket });
    const local = new DirectoryStore(STARTERS);
    for (const name of STARTER_NAMES) {
      const fromFolder = loadTemplate(local, name);
      const sample = fromFolder.metadata.sampleData as Record<string, unknown>;
      const fromBucket = await source.get(name);
      expect(renderTemplate(fromBucket, sample), name).toEqual(renderTemplate(fromFolder, sample));
    }
    const order = renderTemplate(await source.get('order-confirmation'), loadTemplate(local, 'order-confirmation').metadata.sampleData);
    expect(order.subject).toMatch(/order/i);
    expect(order.html).toContain('<table');
    expect(order.text.length).toBeGreaterThan(100);
  });

  it('a push reaches the engine’s template cache within its bound: every use that starts maxStaleMs after the push renders it', async () => {
    const work = workFolder();
    await push([work.name, 'welcome'], (await recording()).aws);
    const { s3, calls } = await recording();
    const source = new TemplateSource(s3, { bucket: stack.bucket, freshForMs: 150, maxStaleMs: 450 });
    const data = loadTemplate(new DirectoryStore(STARTERS), 'welcome').metadata.sampleData as Record<string, unknown>;
    expect(renderTemplate(await source.get('welcome'), data).text).toContain('Welcome aboard');

    edit(join(work.path, 'welcome', 'template.txt'), 'Welcome aboard', 'Welcome on board');
    expect((await push([work.name, 'welcome'], (await recording()).aws)).report.counts.modified).toBe(1);
    const pushedAt = Date.now();
    const uses: Array<{ at: number; fresh: boolean }> = [];
    while (Date.now() - pushedAt < 1_200) {
      const at = Date.now();
      const text = renderTemplate(await source.get('welcome'), data).text;
      uses.push({ at: at - pushedAt, fresh: text.includes('Welcome on board') });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(uses.filter((u) => u.at >= source.staleBoundMs && !u.fresh)).toEqual([]);
    expect(uses.at(-1)?.fresh).toBe(true);
    // Conditional GETs only in the background: about three per freshForMs, not three per use.
    expect(calls.filter((c) => c.command === 'GetObject').length).toBeLessThan(uses.length);
  });

  it('without --local, the bucket is the one named in the stack outputs', async () => {
    const cfn = new CloudFormationClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const outputs = {
      TemplatesBucketName: stack.bucket,
      TrackingTableName: 'prod-tracking',
      SuppressionTableName: 'prod-suppression',
      ConfigurationSetName: 'prod',
      EventBusName: 'prod-bus',
      SendQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-send',
      SendDeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-send-dlq',
      FeedbackQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-feedback',
      FeedbackDeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-feedback-dlq',
    };
    const mock = mockClient(cfn);
    mock.on(DescribeStacksCommand, { StackName: 'prod' }).resolves({
      Stacks: [{ StackName: 'prod', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }],
    });
    const { aws: local, writes } = await recording();
    // A deployed engine's CloudFormation (mocked) with its bucket standing in on s3rver.
    class DeployedEngine extends AwsClientFactory {
      override cloudformation() {
        return Promise.resolve(cfn);
      }
      override s3() {
        return local.s3();
      }
    }
    const streams = captureStreams();
    const runtime: Runtime = { env: { CI: 'true', FORCE_COLOR: '0' }, cwd: stack.handle.dir, streams, stdinIsTTY: false, signal: new AbortController().signal, awsFactory: (settings) => new DeployedEngine(settings) };
    const code = await main(['templates', 'push', STARTERS, 'welcome', '--stack', 'prod', '--region', 'eu-west-1'], runtime);
    expect(streams.err()).toContain(`Comparing 1 template with s3://${stack.bucket}/templates/ of stack prod`);
    expect(code).toBe(0);
    expect(mock.commandCalls(DescribeStacksCommand)).toHaveLength(1);
    expect(writes().map((w) => w.key)).toEqual(['templates/welcome/template.html', 'templates/welcome/template.txt', 'templates/welcome/metadata.json']);
    mock.restore();
  });

  it('a missing folder, and a template name typed where the folder goes, are exit 4 with a hint', async () => {
    const result = await run(['templates', 'push', 'welcome'], (await recording()).aws);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('No templates folder at welcome.');
    expect(result.stderr).toContain('`mailengine templates push templates welcome --local --stack pushtest`');
  });
});

describe('templates push, pull, list: argv → options', () => {
  const defaults = { json: false, yes: false, color: true, debug: false, local: false };
  it.each([
    [['templates', 'push'], 'templates push', { ...defaults, dir: 'templates', names: [], prune: false, dryRun: false, cache: true }],
    [['templates', 'push', 'emails', 'welcome', 'invoice', '--prune', '--dry-run', '--yes'], 'templates push', { ...defaults, yes: true, dir: 'emails', names: ['welcome', 'invoice'], prune: true, dryRun: true, cache: true }],
    [['templates', 'push', '--local', 'emails'], 'templates push', { ...defaults, local: true, dir: 'emails', names: [], prune: false, dryRun: false, cache: true }],
    [['templates', 'push', '--no-cache'], 'templates push', { ...defaults, dir: 'templates', names: [], prune: false, dryRun: false, cache: false }],
    [['templates', 'pull'], 'templates pull', { ...defaults, dir: 'templates', names: [], force: false }],
    [['templates', 'pull', 'pulled', 'welcome', '--force'], 'templates pull', { ...defaults, dir: 'pulled', names: ['welcome'], force: true }],
    [['templates', 'list', '--json'], 'templates list', { ...defaults, json: true }],
  ])('%j', async (argv, command, options) => {
    const seen: unknown[] = [];
    const streams = captureStreams();
    const code = await main(argv, { env: { CI: 'true' }, cwd: tmpdir(), streams, stdinIsTTY: false, signal: new AbortController().signal, intercept: (c, o) => seen.push({ c, o }) });
    expect(code).toBe(0);
    expect(seen).toEqual([{ c: command, o: options }]);
  });
});
