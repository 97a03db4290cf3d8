import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, isolatedCliEnv, runCli, STACK_FRAME } from '../helpers/cli.js';

const tracer = new URL('../fixtures/trace-loads.mjs', import.meta.url).pathname;
const isAwsSdk = (path: string) => /[/\\]node_modules[/\\]@(aws-sdk|smithy)[/\\]/.test(path);

/** The operations commands import their core lazily: asking for help costs no AWS SDK load. */
describe('operations commands: --help loads no AWS SDK', () => {
  it.each([[['status', 'lookup']], [['suppression']], [['suppression', 'import']], [['erase']], [['domain', 'check']], [['domain', 'verify']]])('%j --help', async (command) => {
    const file = join(mkdtempSync(join(tmpdir(), 'mailengine-trace-')), 'loads.txt');
    const run = await runCli([...command, '--help'], { nodeArgs: ['--import', tracer], env: { TRACE_LOADS_FILE: file } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: mailengine');
    const loaded = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.filter(isAwsSdk)).toEqual([]);
  });
});

/**
 * The start-up path is built as a few files (see scripts/build.mjs): every module Node loads costs
 * it a resolve, a read and a link, and `--help` once loaded 29, twenty of them chunks of ours.
 */
describe('--help loads the start-up path in a few files', () => {
  it.each([[[]], [['status', 'lookup']], [['templates', 'push']]])('%j --help', async (command) => {
    const file = join(mkdtempSync(join(tmpdir(), 'mailengine-trace-')), 'loads.txt');
    const run = await runCli([...command, '--help'], { nodeArgs: ['--import', tracer], env: { TRACE_LOADS_FILE: file } });
    expect(run.code).toBe(0);
    const loaded = [...new Set(readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('node:')))];
    expect(loaded.filter((l) => /[/\\]node_modules[/\\]/.test(l))).toEqual([]);
    expect(loaded.length, loaded.join('\n')).toBeLessThanOrEqual(6);
  });
});

/** `mailengine … | head -1`: the reader closes the pipe after one line; the CLI leaves quietly. */
describe('a reader that closes the pipe early', () => {
  it.each([[['--help']], [['templates', 'push', '--help']]])('%j | head -1: exit 0, no stack trace', async (args) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: isolatedCliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Take the first chunk, then close our end, as `head` does once it has its line.
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(first).toContain('Usage: mailengine');
    expect(stderr).not.toMatch(STACK_FRAME);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
