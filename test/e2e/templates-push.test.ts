import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListReport } from '../../src/templates/list.js';
import type { PushReport } from '../../src/templates/push.js';
import { STACK_FRAME, runCli } from '../helpers/cli.js';
import { cliLocalDown, cliLocalUp } from '../helpers/local-stack.js';

const STARTERS = fileURLToPath(new URL('../../starter-templates', import.meta.url));
const tracer = fileURLToPath(new URL('../fixtures/trace-loads.mjs', import.meta.url));
const isAwsSdk = (path: string) => /[/\\]node_modules[/\\]@(aws-sdk|smithy)[/\\]/.test(path);

// dist/cli.js is built by test/global-setup.ts before any test file runs.
describe('templates push, list and pull with the built CLI on the local stack', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'mailengine-e2e-templates-'));
  const run = (...args: string[]) => runCli(args, { cwd });
  let stateDir = '';

  beforeAll(async () => {
    cpSync(STARTERS, join(cwd, 'starter-templates'), { recursive: true });
    stateDir = await cliLocalUp(run);
  }, 120_000);

  afterAll(() => cliLocalDown(run, stateDir), 60_000);

  it('push --local --yes uploads every starter, and a second push uploads nothing (all Unchanged)', async () => {
    const first = await run('templates', 'push', '--local', '--yes', 'starter-templates');
    expect(first.stderr).not.toMatch(STACK_FRAME);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^TEMPLATE\s+CHANGE\s+VERSION\s+FILES$/m);
    expect(first.stdout).toMatch(/^welcome\s+Added\s+1\.0\.0\s+3 files, \d+\.\d KB$/m);
    expect(first.stdout).toMatch(/: 12 added, 0 modified, 0 unchanged \(36 files uploaded\)\.$/m);
    expect(first.stderr).toContain('Comparing 12 templates with s3://');

    const second = await run('templates', 'push', '--local', '--yes', 'starter-templates', '--json');
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as PushReport;
    expect(report.counts).toEqual({ added: 0, modified: 0, unchanged: 12, deleted: 0, failed: 0 });
    expect(report.filesUploaded).toBe(0);
    expect(report.templates.every((t) => t.change === 'unchanged' && t.files.length === 0)).toBe(true);
  }, 60_000);

  it('list --local --json shows the twelve starters with version and size', async () => {
    const list = await run('templates', 'list', '--local', '--json');
    expect(list.code).toBe(0);
    const report = JSON.parse(list.stdout) as ListReport;
    expect(report.templates).toHaveLength(12);
    expect(report.templates.every((t) => t.version === '1.0.0' && t.size > 1000 && t.missing.length === 0 && typeof t.lastModified === 'string')).toBe(true);
  });

  it('pull --local brings back files that validate', async () => {
    const pull = await run('templates', 'pull', 'pulled', 'welcome', '--local');
    expect(pull.code).toBe(0);
    expect(readFileSync(join(cwd, 'pulled', 'welcome', 'metadata.json'), 'utf8')).toContain('"defaults"');
    const validate = await run('templates', 'validate', 'pulled');
    expect(validate.code).toBe(0);
  });

  it('a syntax error blocks the push: exit 2, file and line, nothing uploaded', async () => {
    const broken = join(cwd, 'broken');
    cpSync(STARTERS, broken, { recursive: true });
    const file = join(broken, 'invoice', 'template.txt');
    const text = `${readFileSync(file, 'utf8')}\nPaid: {{ paidAt | date( }}\n`;
    writeFileSync(file, text);
    const line = text.split('\n').length - 1;
    const push = await run('templates', 'push', '--local', '--yes', 'broken');
    expect(push.code).toBe(2);
    expect(push.stdout).toBe('');
    expect(push.stderr).toContain(`broken/invoice/template.txt:${line}:25: unexpected token: }} [TEMPLATE_SYNTAX_ERROR]`);
    const after = await run('templates', 'push', '--local', 'starter-templates', '--dry-run', '--json');
    expect((JSON.parse(after.stdout) as PushReport).counts.unchanged).toBe(12);
  });

  it('--help of push, pull and list loads no AWS SDK module', async () => {
    for (const command of ['push', 'pull', 'list']) {
      const file = join(mkdtempSync(join(tmpdir(), 'mailengine-trace-')), 'loads.txt');
      const help = await runCli(['templates', command, '--help'], { cwd, nodeArgs: ['--import', tracer], env: { TRACE_LOADS_FILE: file } });
      expect(help.code).toBe(0);
      const loaded = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      expect(loaded.length).toBeGreaterThan(0);
      expect(loaded.filter(isAwsSdk), command).toEqual([]);
    }
  });
});
