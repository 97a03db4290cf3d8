import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../commands/main.js';
import type { Runtime } from '../../commands/runtime.js';
import { captureStreams } from '../helpers/capture.js';
import { runCli, STACK_FRAME } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INVALID = 'test/fixtures/templates/invalid';
const tracer = fileURLToPath(new URL('../fixtures/trace-loads.mjs', import.meta.url));

/** Runs the CLI in-process, as a user in CI would (no TTY, CI=true). */
async function run(argv: string[], options: { cwd?: string; signal?: AbortSignal; intercept?: Runtime['intercept'] } = {}) {
  const streams = captureStreams();
  const runtime: Runtime = {
    env: { CI: 'true', FORCE_COLOR: '0' },
    cwd: options.cwd ?? ROOT,
    streams,
    stdinIsTTY: false,
    signal: options.signal ?? new AbortController().signal,
    intercept: options.intercept,
  };
  const code = await main(argv, runtime);
  return { code, stdout: streams.out(), stderr: streams.err(), streams };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mailengine-cli-'));
}

describe('templates commands: argv → options', () => {
  const defaults = { json: false, yes: false, color: true, debug: false, local: false };
  it.each([
    [['templates', 'init'], 'templates init', { ...defaults, dir: 'templates', force: false }],
    [['templates', 'init', 'emails', '--force'], 'templates init', { ...defaults, dir: 'emails', force: true }],
    [['templates', 'validate'], 'templates validate', { ...defaults, dir: 'templates' }],
    [['templates', 'validate', 'starter-templates', '--json'], 'templates validate', { ...defaults, json: true, dir: 'starter-templates' }],
    [['templates', 'types'], 'templates types', { ...defaults, dir: 'templates', force: false }],
    [['templates', 'types', 'emails', '--out', 'mail-types.ts', '--force'], 'templates types', { ...defaults, dir: 'emails', out: 'mail-types.ts', force: true }],
    [['templates', 'preview', 'welcome'], 'templates preview', { ...defaults, name: 'welcome', dir: 'templates', attach: [], serve: false, port: 4400 }],
    [['templates', 'preview', 'welcome', '--dir', 'emails', '--data', 'd.json', '--out', 'o.html'], 'templates preview', { ...defaults, name: 'welcome', dir: 'emails', data: 'd.json', out: 'o.html', attach: [], serve: false, port: 4400 }],
    [['templates', 'preview', 'invoice', '--attach', 'logo=logo.png', '--attach', 'sig=s.gif'], 'templates preview', { ...defaults, name: 'invoice', dir: 'templates', attach: ['logo=logo.png', 'sig=s.gif'], serve: false, port: 4400 }],
    [['templates', 'preview', '--serve', '--port', '0'], 'templates preview', { ...defaults, dir: 'templates', attach: [], serve: true, port: 0 }],
  ])('%j', async (argv, command, options) => {
    const seen: unknown[] = [];
    const { code } = await run(argv, { intercept: (c, o) => seen.push({ c, o }) });
    expect(code).toBe(0);
    expect(seen).toEqual([{ c: command, o: options }]);
  });

  it.each([
    [['templates', 'preview'], 'name a template to preview, or pass --serve'],
    [['templates', 'preview', 'welcome', '--serve'], '--serve shows every template'],
    [['templates', 'preview', '--serve', '--port', '70000'], '--port'],
    [['templates', 'preview', '--serve', '--port', 'abc'], '--port'],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const { code, stderr } = await run(argv, { intercept: () => undefined });
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});

describe('templates commands, in process', () => {
  it('validate: a clean folder lists every template on stdout and exits 0', async () => {
    const { code, stdout, stderr } = await run(['templates', 'validate', 'starter-templates']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('✔ welcome                    1.0.0\n');
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('12 templates in starter-templates: all valid.');
  });

  it('validate: problems go to stderr with file:line each, the exit code is 2, and there is no stack trace', async () => {
    const { code, stdout, stderr } = await run(['templates', 'validate', INVALID]);
    expect(code).toBe(2);
    expect(stdout).toMatch(/^✖ undefined-variable +1 problem$/m);
    expect(stderr).toContain('error: 25 problems in 16 of 16 templates:');
    expect(stderr).toContain(`${INVALID}/undefined-variable/template.html:4:18: undefined variable "userNam" [TEMPLATE_UNDEFINED_VARIABLE]`);
    expect(stderr).toContain(`${INVALID}/syntax-error/template.html:4:45: expected block end in endif statement [TEMPLATE_SYNTAX_ERROR]`);
    expect(stderr).toContain(`warning: ${INVALID}/undefined-variable/metadata.json:3: used but not listed in requiredVariables or optionalVariables: userNam`);
    expect(stderr).toContain(`${INVALID}/contract-sample/metadata.json:20: sampleData.items[1].price: expected number, got string [TEMPLATE_SAMPLE_INVALID]`);
    expect(stderr).toContain(`${INVALID}/contract-undeclared-field/template.html:4:73: "items[].colour" is used but not declared in variables.properties.items.items.properties [TEMPLATE_UNDECLARED_VARIABLE]`);
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('types: prints the types on stdout, writes them with --out, replaces its own file but nothing else without --force', async () => {
    const printed = await run(['templates', 'types', 'starter-templates']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^\/\/ Generated by mailengine templates types — do not edit\.\nexport interface MailTemplates \{\n/);
    expect(printed.stdout).toContain("  'order-confirmation': {\n");

    const cwd = tempDir();
    const written = await run(['templates', 'types', join(ROOT, 'starter-templates'), '--out', 'mail-types.ts'], { cwd });
    expect(written).toMatchObject({ code: 0, stdout: 'Wrote types for 12 templates to mail-types.ts.\n' });
    expect(readFileSync(join(cwd, 'mail-types.ts'), 'utf8')).toBe(printed.stdout);
    expect((await run(['templates', 'types', join(ROOT, 'starter-templates'), '--out', 'mail-types.ts'], { cwd })).code).toBe(0);

    writeFileSync(join(cwd, 'mine.ts'), 'export const mine = 1;\n');
    const refused = await run(['templates', 'types', join(ROOT, 'starter-templates'), '--out', 'mine.ts'], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('mine.ts already exists');
    expect(readFileSync(join(cwd, 'mine.ts'), 'utf8')).toBe('export const mine = 1;\n');
    expect((await run(['templates', 'types', join(ROOT, 'starter-templates'), '--out', 'mine.ts', '--force'], { cwd })).code).toBe(0);

    const broken = await run(['templates', 'types', INVALID]);
    expect(broken.code).toBe(2);
    expect(broken.stdout).toBe('');
  });

  it('validate --json: the report on stdout, the error with every problem on stderr', async () => {
    const { code, stdout, stderr } = await run(['templates', 'validate', INVALID, '--json']);
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as { ok: boolean; problemCount: number; templates: unknown[] };
    expect(report).toMatchObject({ ok: false, problemCount: 25 });
    expect(report.templates).toHaveLength(16);
    const error = JSON.parse(stderr.trim().split('\n').at(-1) as string) as { error: { code: string; exitCode: number; details: { problems: unknown[] } } };
    expect(error.error).toMatchObject({ code: 'TEMPLATES_INVALID', exitCode: 2 });
    expect(error.error.details.problems).toHaveLength(25);
  });

  it('validate: a folder that does not exist exits 4', async () => {
    const { code, stderr } = await run(['templates', 'validate', 'no-such-folder']);
    expect(code).toBe(4);
    expect(stderr).toContain('No templates folder at no-such-folder.');
  });

  it('preview: prints subject and text, writes the HTML', async () => {
    const cwd = tempDir();
    const { code, stdout, stderr } = await run(['templates', 'preview', 'contact-form-notification', '--dir', join(ROOT, 'starter-templates'), '--out', 'out/contact.html'], { cwd });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Subject: New message from Daniel Reyes: Volume pricing\nFrom name: Acme website\nReply-To: daniel\.reyes@example\.net\n\nNew message from the contact form\n/);
    expect(stderr).toBe('HTML written to out/contact.html\n');
    expect(readFileSync(join(cwd, 'out', 'contact.html'), 'utf8')).toContain('<h1 class="text"');
  });

  it('preview --data: renders with that data instead of the sample; data that breaks the contract exits 2 with each path', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'data.json'), JSON.stringify({ userName: 'Rosa' }));
    writeFileSync(join(cwd, 'bad.json'), JSON.stringify({ dashboardUrl: 'https://x.example' }));
    const ok = await run(['templates', 'preview', 'welcome', '--dir', join(ROOT, 'starter-templates'), '--data', 'data.json', '--json'], { cwd });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: 'welcome', dataSource: 'file', subject: 'Welcome to Acme, Rosa', htmlFile: join('.mailengine', 'preview', 'welcome.html') });
    const bad = await run(['templates', 'preview', 'welcome', '--dir', join(ROOT, 'starter-templates'), '--data', 'bad.json'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('templateData.userName: is required');
    writeFileSync(join(cwd, 'typed.json'), JSON.stringify({ userName: 'Rosa', nextSteps: 'one', dashboardUrl: 'not a link' }));
    const typed = await run(['templates', 'preview', 'welcome', '--dir', join(ROOT, 'starter-templates'), '--data', 'typed.json'], { cwd });
    expect(typed.code).toBe(2);
    expect(typed.stderr).toContain('templateData.dashboardUrl: expected a URI such as https://example.com/');
    expect(typed.stderr).toContain('templateData.nextSteps: expected array, got string');
  });

  it('preview --attach: cid: images show from the given files; a reference without one, or a bad mapping, is said', async () => {
    const cwd = tempDir();
    const dir = join(cwd, 'templates', 'branded');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'template.html'), '<html><body><img src="cid:logo" alt="Logo"><img src="cid:badge"><p>Hi {{ name }}</p></body></html>');
    writeFileSync(join(dir, 'template.txt'), 'Hi {{ name }}');
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ subject: 'Hi', sampleData: { name: 'Ada' } }));
    writeFileSync(join(cwd, 'logo.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
    expect((await run(['templates', 'validate'], { cwd })).code).toBe(0);

    const { code, stderr } = await run(['templates', 'preview', 'branded', '--attach', 'logo=logo.png', '--out', 'b.html'], { cwd });
    expect(code).toBe(0);
    const html = readFileSync(join(cwd, 'b.html'), 'utf8');
    expect(html).toContain('<img src="data:image/png;base64,iVBORw0KGgo=" alt="Logo">');
    expect(html).toContain('<img src="cid:badge">');
    expect(stderr).toContain('No image for cid:badge; give one with --attach <cid>=<file> to see it.');

    expect((await run(['templates', 'preview', 'branded', '--attach', 'logo.png'], { cwd })).stderr).toContain('expected <content id>=<file>');
    expect((await run(['templates', 'preview', 'branded', '--attach', 'logo=missing.png'], { cwd })).code).toBe(2);
  });

  it('preview: an unknown template exits 4, a broken one exits 2 with file and line', async () => {
    expect((await run(['templates', 'preview', 'nope', '--dir', 'starter-templates'])).code).toBe(4);
    const broken = await run(['templates', 'preview', 'layout-error', '--dir', INVALID, '--out', join(tempDir(), 'x.html')]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`${INVALID}/_layout/strict.html:5:9: undefined variable "legalName"`);
  });

  it('init: copies, then refuses to overwrite edits (exit 2), then replaces them with --force', async () => {
    const cwd = tempDir();
    const first = await run(['templates', 'init', 'emails'], { cwd });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Copied 12 starter templates to emails \(43 files written\)\./);
    expect((await run(['templates', 'init', 'emails'], { cwd })).stdout).toBe('The 12 starter templates in emails are already up to date; nothing was written.\n');
    writeFileSync(join(cwd, 'emails', 'welcome', 'template.txt'), 'mine');
    const refused = await run(['templates', 'init', 'emails'], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(join('emails', 'welcome', 'template.txt'));
    expect(readFileSync(join(cwd, 'emails', 'welcome', 'template.txt'), 'utf8')).toBe('mine');
    const forced = await run(['templates', 'init', 'emails', '--force'], { cwd });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('1 replaced');
    const validated = await run(['templates', 'validate', 'emails'], { cwd });
    expect(validated.code).toBe(0);
  });

  it('preview --serve: prints the URL, serves the page, and stops cleanly when interrupted', async () => {
    const controller = new AbortController();
    const streams = captureStreams();
    const runtime: Runtime = { env: { CI: 'true' }, cwd: ROOT, streams, stdinIsTTY: false, signal: controller.signal };
    const running = main(['templates', 'preview', '--serve', '--port', '0', '--dir', 'starter-templates'], runtime);
    let url = '';
    for (let i = 0; i < 100 && !url; i++) {
      await new Promise((r) => setTimeout(r, 20));
      url = streams.out().trim();
    }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('12 templates');
    controller.abort();
    expect(await running).toBe(0);
    expect(streams.err()).toContain('Preview stopped.');
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('templates commands, the built CLI', () => {
  it('`templates validate starter-templates` exits 0', async () => {
    const result = await runCli(['templates', 'validate', 'starter-templates'], { cwd: ROOT });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('12 templates in starter-templates: all valid.');
    expect(result.stderr).toBe('');
  });

  it('a folder of broken templates exits 2 with file:line for each problem and no stack trace', async () => {
    const result = await runCli(['templates', 'validate', INVALID], { cwd: ROOT });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${INVALID}/undefined-variable/template.html:4:18: undefined variable "userNam"`);
    expect(result.stderr).toContain(`${INVALID}/unknown-filter/template.html:3:24: unknown filter "shout"`);
    expect(result.stderr).toContain(`${INVALID}/bad-metadata/metadata.json:3: requiredVariables:`);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('`templates --help` loads no template engine', async () => {
    const file = join(tempDir(), 'loads.txt');
    const result = await runCli(['templates', '--help'], { cwd: ROOT, nodeArgs: ['--import', tracer], env: { TRACE_LOADS_FILE: file } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('validate [dir]');
    const loaded = readFileSync(file, 'utf8');
    expect(loaded).not.toMatch(/node_modules[/\\]nunjucks/);
  });
});
