import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RecordingIoHost } from '../../helpers/recording-io-host.js';
import type { PullReport } from '../../../src/templates/pull.js';
import { pullTemplates } from '../../../src/templates/pull.js';
import type { PushReport } from '../../../src/templates/push.js';
import { DirectoryStore, listTemplateNames } from '../../../src/templates/store.js';
import { loadTemplate, standaloneFiles } from '../../../src/templates/template.js';
import { useTestStack } from '../../helpers/local-stack.js';
import { runInProcess } from '../../helpers/in-process.js';

const STARTERS = fileURLToPath(new URL('../../../starter-templates', import.meta.url));
const STARTER_NAMES = listTemplateNames(STARTERS);
const STACK = 'pulltest';

const stack = useTestStack('templates-pull', STACK, { emptyBucketEachTest: true });
let folders = 0;

const run = (argv: string[]) => runInProcess([...argv, '--local', '--stack', STACK], { cwd: stack.handle.dir, awsFactory: () => stack.aws });

async function pushStarters(): Promise<void> {
  const pushed = await run(['templates', 'push', STARTERS, '--json']);
  expect(pushed.code).toBe(0);
  expect((JSON.parse(pushed.stdout) as PushReport).filesUploaded).toBe(36);
}

function folder(): string {
  folders += 1;
  return `pulled-${folders}`;
}

/** Every file under a folder, relative path → content. */
function tree(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[path.slice(root.length + 1)] = readFileSync(path, 'utf8');
  }
  return files;
}

describe('templates pull against s3rver', () => {
  it('round trip: pulls exactly what push uploaded, and the pulled folder pushes as all Unchanged', async () => {
    await pushStarters();
    const dir = folder();
    const pulled = await run(['templates', 'pull', dir]);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout.split('\n')[0]).toBe(`Pulled 12 templates from s3://${stack.bucket}/templates/ into ${dir} (36 files written):`);
    expect(pulled.stdout).toContain('  order-confirmation 1.0.0 (written)');

    const store = new DirectoryStore(STARTERS);
    const expected: Record<string, string> = {};
    for (const name of STARTER_NAMES) {
      for (const [file, text] of Object.entries(standaloneFiles(loadTemplate(store, name)))) expected[join(name, file)] = text;
    }
    expect(tree(join(stack.handle.dir, dir))).toEqual(expected);

    const again = await run(['templates', 'push', dir, '--json']);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as PushReport).counts).toEqual({ added: 0, modified: 0, unchanged: 12, deleted: 0, failed: 0 });
  });

  it('never overwrites a changed local file without --force: lists it, exit 2, writes nothing at all', async () => {
    await pushStarters();
    const dir = folder();
    expect((await run(['templates', 'pull', dir])).code).toBe(0);
    const root = join(stack.handle.dir, dir);
    writeFileSync(join(root, 'welcome', 'template.txt'), 'my local edit\n');
    rmSync(join(root, 'invoice'), { recursive: true });

    const refused = await run(['templates', 'pull', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`error: Nothing was written: 1 local file would be overwritten:\n  ${dir}/welcome/template.txt`);
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(join(root, 'welcome', 'template.txt'), 'utf8')).toBe('my local edit\n');
    // Not even the files that would have been new.
    expect(existsSync(join(root, 'invoice'))).toBe(false);

    const forced = await run(['templates', 'pull', dir, '--force', '--json']);
    expect(forced.code).toBe(0);
    const report = JSON.parse(forced.stdout) as PullReport;
    expect(report).toMatchObject({ written: 3, replaced: 1, unchanged: 32 });
    expect(report.templates.find((t) => t.name === 'welcome')?.files.find((f) => f.file === 'template.txt')).toMatchObject({ action: 'replaced', path: `${dir}/welcome/template.txt` });
    expect(readFileSync(join(root, 'welcome', 'template.txt'), 'utf8')).not.toBe('my local edit\n');
    expect(existsSync(join(root, 'invoice', 'metadata.json'))).toBe(true);
  });

  it('pulls only the named templates; an unknown name is exit 4 and names what the bucket has', async () => {
    await pushStarters();
    const dir = folder();
    const some = await run(['templates', 'pull', dir, 'welcome', 'invoice']);
    expect(some.code).toBe(0);
    expect(readdirSync(join(stack.handle.dir, dir)).sort()).toEqual(['invoice', 'welcome']);

    const unknown = await run(['templates', 'pull', folder(), 'welcome', 'nope']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('No template named "nope"');
    expect(unknown.stderr).toContain('The bucket has: contact-form-notification,');
  });

  it('an empty bucket pulls nothing and says so (exit 0)', async () => {
    const dir = folder();
    const empty = await run(['templates', 'pull', dir]);
    expect(empty).toMatchObject({ code: 0, stdout: `No templates in s3://${stack.bucket}/templates/; nothing was pulled.\n` });
    expect(existsSync(join(stack.handle.dir, dir))).toBe(false);
  });

  it('a template missing a file in the bucket is pulled with a warning naming what is missing', async () => {
    await pushStarters();
    await (await stack.aws.s3()).send(new DeleteObjectCommand({ Bucket: stack.bucket, Key: 'templates/magic-link/template.txt' }));
    const dir = folder();
    const result = await run(['templates', 'pull', dir, 'magic-link']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('magic-link in the bucket has no template.txt');
    expect(readdirSync(join(stack.handle.dir, dir, 'magic-link')).sort()).toEqual(['metadata.json', 'template.html']);
  });

  it('the core reports a folder standing where a file goes as a conflict, not a crash', async () => {
    await pushStarters();
    const root = mkdtempSync(join(tmpdir(), 'mailengine-pull-core-'));
    mkdirSync(join(root, 'welcome', 'template.html'), { recursive: true });
    const io = new RecordingIoHost();
    await expect(pullTemplates({ s3: await stack.aws.s3(), bucket: stack.bucket, dir: root, displayDir: 'here', names: ['welcome'], io })).rejects.toMatchObject({
      code: 'TEMPLATES_PULL_WOULD_OVERWRITE',
      exitCode: 2,
      details: { files: ['here/welcome/template.html'] },
    });
  });
});
