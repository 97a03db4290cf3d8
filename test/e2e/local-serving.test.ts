import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnerState } from '../../src/local/runner/client.js';
import { runCli } from '../helpers/cli.js';
import { freePorts, processesMentioning, tempProject } from '../helpers/local.js';

/** Splits a suggested command (`mailengine local up --stack x`) into the CLI's arguments, as a shell would. */
function pasted(command: string): string[] {
  const [program, ...args] = command.trim().split(/\s+/);
  expect(program).toBe('mailengine');
  return args;
}

/** The `…` commands in a message, in order. */
const quoted = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

// dist/cli.js is built by test/global-setup.ts before any test file runs.
describe('the local stack serves the stack the user means', () => {
  const cwd = tempProject('serving');
  const run = (...args: string[]) => runCli(args, { cwd });
  let runner = '';
  let portFlags: string[] = [];

  beforeAll(async () => {
    const ports = await freePorts();
    runner = `http://127.0.0.1:${ports.eventbridge}`;
    portFlags = ['--dynamodb-port', String(ports.dynamodb), '--s3-port', String(ports.s3), '--ses-port', String(ports.sesv2), '--eventbridge-port', String(ports.eventbridge)];
  });

  afterAll(async () => {
    await run('local', 'down');
    expect(processesMentioning(join(cwd, '.mailengine'))).toEqual([]);
  }, 60_000);

  it('local --help names the engine runner among the parts, and local up --help says up makes it serve the stack', async () => {
    const help = await run('local', '--help');
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('and the engine runner (EventBridge PutEvents, the queues, the real Sender and Feedback) serving one stack');
    const upHelp = await run('local', 'up', '--help');
    expect(upHelp.stdout.replace(/\s+/g, ' ')).toContain('make the engine runner serve that stack (--stack, or the config environment\'s)');
  });

  it('local up --stack X starts a runner that serves X', async () => {
    expect((await run('templates', 'init')).code).toBe(0);
    const up = await run('local', 'up', '--in-memory', '--stack', 'shop-demo', ...portFlags);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('The engine runner serves stack shop-demo: requests on shop-demo-bus are sent.');
    expect((await runnerState(runner)).engine).toMatchObject({ configured: true, stackName: 'shop-demo', bus: 'shop-demo-bus' });
  }, 120_000);

  it('send --test --local for a stack never provisioned here fails at once with exit 4, naming the stacks there and the fix', async () => {
    const began = Date.now();
    const send = await run('send', '--test', '--local', '--simulate', 'success', '--template', 'welcome');
    expect(Date.now() - began).toBeLessThan(20_000);
    expect(send.code, send.stderr).toBe(4);
    expect(send.stderr).toContain('The local stack has no engine named mailengine (it has stack shop-demo).');
    expect(quoted(send.stderr)).toEqual(['mailengine local up --stack mailengine', '--stack shop-demo']);
    // The other way out: the stack it has, named.
    expect((await run('templates', 'push', '--local', '--stack', 'shop-demo', '--json')).code).toBe(0);
  }, 60_000);

  it('local up --stack Y on a running stack switches the runner to Y, and leaves the emulators as they were', async () => {
    const pids = async () => JSON.parse((await run('local', 'status', '--json')).stdout).parts.map((p: { name: string; pid: number }) => [p.name, p.pid]);
    const before = await pids();
    const up = await run(...pasted('mailengine local up --stack mailengine'), '--json');
    expect(up.code, up.stderr).toBe(0);
    const result = JSON.parse(up.stdout);
    expect(result.parts.map((p: { name: string; state: string }) => [p.name, p.state])).toEqual([
      ['dynamodb', 'already-running'],
      ['s3', 'already-running'],
      ['sesv2', 'already-running'],
      ['eventbridge', 'restarted'],
    ]);
    expect(result.serving).toMatchObject({ configured: true, stackName: 'mailengine', bus: 'mailengine-bus' });
    const after = await pids();
    expect(after.slice(0, 3)).toEqual(before.slice(0, 3));
    expect(after[3][1]).not.toBe(before[3][1]);

    expect((await run('templates', 'push', '--local')).code).toBe(0);
    const send = await run('send', '--test', '--local', '--simulate', 'success', '--template', 'welcome', '--json');
    expect(send.code, send.stderr).toBe(0);
    expect(JSON.parse(send.stdout)).toMatchObject({ outcome: 'delivered', ok: true });

    // Asked again for the stack it serves, up changes nothing.
    const same = await run('local', 'up', '--json');
    expect(JSON.parse(same.stdout).parts.map((p: { state: string }) => p.state)).toEqual(['already-running', 'already-running', 'already-running', 'already-running']);
  }, 120_000);

  it('send --test --local for a provisioned stack the runner does not serve fails at once with exit 4, naming both stacks; the printed fix works', async () => {
    const began = Date.now();
    const send = await run('send', '--test', '--local', '--stack', 'shop-demo', '--simulate', 'success', '--template', 'welcome');
    expect(Date.now() - began).toBeLessThan(20_000);
    expect(send.code, send.stderr).toBe(4);
    expect(send.stderr).toContain('The local engine runner serves stack mailengine (bus mailengine-bus), not stack shop-demo (bus shop-demo-bus)');
    const [serveIt, useServed] = quoted(send.stderr);
    expect(useServed).toBe('--stack mailengine');
    // Nothing was published: no request waits in either stack's queue.
    expect((await runnerState(runner)).queues.send.visible).toBe(0);
    // info says why it shows no pause state or queue depths for shop-demo.
    const info = JSON.parse((await run('info', '--local', '--stack', 'shop-demo', '--json')).stdout);
    expect(info.sending).toBeUndefined();
    expect(info.notAvailable).toContain('pause state and queue depths (the engine runner serves stack mailengine)');

    const up = await run(...pasted(serveIt));
    expect(up.code, up.stderr).toBe(0);
    expect((await runnerState(runner)).engine).toMatchObject({ configured: true, stackName: 'shop-demo' });
    const again = await run('send', '--test', '--local', '--stack', 'shop-demo', '--simulate', 'success', '--template', 'welcome', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'delivered', ok: true });
  }, 120_000);

  it('a config environment chooses the stack: plain `local up` serves its stack, and `send --test --local` reaches it', async () => {
    writeFileSync(join(cwd, 'mailengine.config.json'), `${JSON.stringify({ defaultEnvironment: 'dev', environments: { dev: {} } }, null, 2)}\n`);
    const send = await run('send', '--test', '--local', '--simulate', 'success', '--template', 'welcome');
    expect(send.code).toBe(4);
    expect(quoted(send.stderr)[0]).toBe('mailengine local up --stack mailengine-dev --env dev');

    const up = await run('local', 'up', '--json');
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout).serving).toMatchObject({ stackName: 'mailengine-dev' });
    expect((await run('templates', 'push', '--local')).code).toBe(0);
    const again = await run('send', '--test', '--local', '--simulate', 'bounce', '--template', 'welcome', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'bounced', ok: true });
  }, 180_000);
});
