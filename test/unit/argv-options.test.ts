import { describe, expect, it } from 'vitest';
import { main } from '../../commands/main.js';
import type { Runtime } from '../../commands/runtime.js';
import { captureStreams } from '../helpers/capture.js';

/**
 * The argv → options contract, pinned in a table: what a user types and the validated options the
 * command receives. The runtime's `intercept` stops each command before it does anything.
 */
async function parse(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const seen: Array<{ command: string; options: unknown }> = [];
  const streams = captureStreams();
  const runtime: Runtime = {
    env,
    cwd: '/nonexistent',
    streams,
    stdinIsTTY: false,
    signal: new AbortController().signal,
    intercept: (command, options) => seen.push({ command, options }),
  };
  const code = await main(argv, runtime);
  return { code, seen, stderr: streams.err(), stdout: streams.out() };
}

const defaults = { json: false, yes: false, color: true, debug: false, local: false };

describe('argv → options', () => {
  it.each([
    [['whoami'], 'whoami', { ...defaults }],
    [['whoami', '--json'], 'whoami', { ...defaults, json: true }],
    [['--json', 'whoami'], 'whoami', { ...defaults, json: true }],
    [['whoami', '-y', '--no-color', '--debug'], 'whoami', { ...defaults, yes: true, color: false, debug: true }],
    [['whoami', '--profile', 'prod', '--region', 'eu-west-1'], 'whoami', { ...defaults, profile: 'prod', region: 'eu-west-1' }],
    [['whoami', '--stack', 'mail-prod', '--env', 'prod', '--config', 'x.json'], 'whoami', { ...defaults, stack: 'mail-prod', env: 'prod', config: 'x.json' }],
    [['config', 'show', '--local'], 'config show', { ...defaults, local: true }],
    [['config', 'init'], 'config init', { ...defaults, force: false, defaultRegion: 'us-east-1' }],
    [['config', 'init', '--force', '--default-region', 'ap-southeast-2', '--admin-email', 'ops@example.com'], 'config init', { ...defaults, force: true, defaultRegion: 'ap-southeast-2', adminEmail: 'ops@example.com' }],
  ])('%j', async (argv, command, options) => {
    const { code, seen } = await parse(argv);
    expect(code).toBe(0);
    expect(seen).toEqual([{ command, options }]);
  });

  it('MAILENGINE_STACK and MAILENGINE_ENV stand in for --stack and --env', async () => {
    const { seen } = await parse(['whoami'], { MAILENGINE_STACK: 'from-env', MAILENGINE_ENV: 'staging' });
    expect(seen[0].options).toMatchObject({ stack: 'from-env', env: 'staging' });
  });

  it.each([
    [['whoami', '--region', 'Europe'], '--region'],
    [['whoami', '--stack', '9lives'], '--stack'],
    [['config', 'init', '--admin-email', 'not-an-address'], '--admin-email'],
    [['config', 'init', '--default-region', 'x'], '--default-region'],
  ])('%j is a usage error naming the flag (exit 2)', async (argv, flag) => {
    const { code, seen, stderr } = await parse(argv);
    expect(code).toBe(2);
    expect(seen).toEqual([]);
    expect(stderr).toContain(flag);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [['nonsense']],
    [['whoami', '--no-such-flag']],
    [['config', 'show', 'extra-argument']],
    [['--region']],
    [[]],
  ])('%j is a usage error (exit 2)', async (argv) => {
    const { code, seen } = await parse(argv);
    expect(code).toBe(2);
    expect(seen).toEqual([]);
  });

  it('suggests the closest command for a typo', async () => {
    const { stderr } = await parse(['whoamii']);
    expect(stderr).toContain('Did you mean whoami?');
  });

  it('--help and --version exit 0 and print to stdout', async () => {
    const help = await parse(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: mailengine');
    const version = await parse(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
