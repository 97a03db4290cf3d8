import { PutObjectCommand } from '@aws-sdk/client-s3';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../../commands/main.js';
import type { ListReport } from '../../../src/templates/list.js';
import { DirectoryStore, listTemplateNames } from '../../../src/templates/store.js';
import { loadTemplate, standaloneFiles } from '../../../src/templates/template.js';
import { captureStreams } from '../../helpers/capture.js';
import { useTestStack } from '../../helpers/local-stack.js';
import { runInProcess } from '../../helpers/in-process.js';

const STARTERS = fileURLToPath(new URL('../../../starter-templates', import.meta.url));
const STARTER_NAMES = listTemplateNames(STARTERS);
const STACK = 'listtest';

const stack = useTestStack('templates-list', STACK, { emptyBucketEachTest: true });

const run = (argv: string[]) => runInProcess([...argv, '--local', '--stack', STACK], { cwd: stack.handle.dir, awsFactory: () => stack.aws });

function standaloneSize(name: string): number {
  return Object.values(standaloneFiles(loadTemplate(new DirectoryStore(STARTERS), name))).reduce((n, text) => n + Buffer.byteLength(text, 'utf8'), 0);
}

describe('templates list against s3rver', () => {
  it('an empty bucket is one clear line and exit 0; as JSON, an empty list', async () => {
    const text = await run(['templates', 'list']);
    expect(text).toMatchObject({ code: 0, stdout: `No templates in s3://${stack.bucket}/templates/ yet. Upload yours with \`mailengine templates push --local --stack listtest\`.\n` });
    const json = await run(['templates', 'list', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ bucket: stack.bucket, url: `s3://${stack.bucket}/templates/`, templates: [] });
  });

  it('shows name, version, last updated and size of every pushed template', async () => {
    const startedAt = Date.now() - 2_000;
    expect((await run(['templates', 'push', STARTERS])).code).toBe(0);

    const json = await run(['templates', 'list', '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as ListReport;
    expect(report.templates.map((t) => t.name)).toEqual(STARTER_NAMES);
    for (const t of report.templates) {
      expect(t, t.name).toMatchObject({ version: '1.0.0', size: standaloneSize(t.name), missing: [] });
      expect(Date.parse(t.lastModified as string)).toBeGreaterThanOrEqual(startedAt);
    }

    const text = await run(['templates', 'list']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TEMPLATE\s+VERSION\s+LAST UPDATED\s+SIZE$/);
    expect(lines.find((l) => l.startsWith('order-confirmation '))).toMatch(/^order-confirmation\s+1\.0\.0\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\s+\d+\.\d KB$/);
    expect(lines.at(-1)).toMatch(new RegExp(`^12 templates in s3://${stack.bucket}/templates/, \\d+\\.\\d KB in all\\.$`));
  });

  it('a new version shows after the push that brings it', async () => {
    const work = join(stack.handle.dir, 'versioned');
    cpSync(STARTERS, work, { recursive: true });
    await run(['templates', 'push', 'versioned']);
    const metadata = join(work, 'invoice', 'metadata.json');
    writeFileSync(metadata, readFileSync(metadata, 'utf8').replace('"version": "1.0.0"', '"version": "2.0.0"'));
    await run(['templates', 'push', 'versioned', 'invoice']);
    const report = JSON.parse((await run(['templates', 'list', '--json'])).stdout) as ListReport;
    expect(report.templates.find((t) => t.name === 'invoice')?.version).toBe('2.0.0');
    expect(report.templates.find((t) => t.name === 'welcome')?.version).toBe('1.0.0');
  });

  it('an incomplete template is marked and warned about; folders that are not templates are left out', async () => {
    const s3 = await stack.aws.s3();
    const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body }));
    await put('templates/half/template.html', '<p>Hi</p>');
    await put('templates/half/metadata.json', '{"subject": "Hi", "version": "0.1.0"}');
    await put('templates/_layout/base.html', '<html></html>');
    await put('templates/assets/logo.png', 'not a template');
    await put('elsewhere/welcome/template.html', '<p>outside the prefix</p>');

    const text = await run(['templates', 'list']);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain('half has no template.txt; the Sender cannot use it until it is pushed again.');
    expect(text.stdout).toMatch(/^half \(incomplete\)\s+0\.1\.0\s+/m);
    const report = JSON.parse((await run(['templates', 'list', '--json'])).stdout) as ListReport;
    expect(report.templates).toMatchObject([{ name: 'half', version: '0.1.0', missing: ['template.txt'], size: 9 + 37 }]);
  });

  it('--local before `local up` (no engine provisioned here) is exit 4 with the next step', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'mailengine-list-none-'));
    const streams = captureStreams();
    const code = await main(['templates', 'list', '--local'], { env: { CI: 'true' }, cwd: elsewhere, streams, stdinIsTTY: false, signal: new AbortController().signal });
    expect(code).toBe(4);
    expect(streams.err()).toContain('mailengine local up');
  });
});
