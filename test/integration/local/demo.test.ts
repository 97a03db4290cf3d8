import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../../src/local/demo.js';
import { downLocalStack, localStackStatus, startLocalStack } from '../../../src/local/index.js';
import { runnerState } from '../../../src/local/runner/client.js';
import { runInProcess } from '../../helpers/in-process.js';
import { RecordingIoHost } from '../../helpers/recording-io-host.js';
import { freePorts, processesMentioning, tempProject } from '../../helpers/local.js';

/** One row per request kind; ids carry a per-run label, so they are checked by pattern. */
function outcomes(result: DemoResult) {
  return result.rows.map((r) => [r.request, r.status, r.errorType ?? '-']);
}

const EXPECTED = [
  ['normal send', 'delivered', '-'],
  ['normal send (simulator)', 'delivered', '-'],
  ['simulator bounce', 'bounced', '-'],
  ['simulator complaint', 'complained', '-'],
  ['invalid address', 'failed', 'invalid_address'],
  ['unknown template', 'failed', 'template_not_found'],
  ['duplicate (same emailId)', 'duplicate-skipped', '-'],
];

describe('npm run demo (its core, runDemo)', () => {
  const dir = tempProject('demo');

  afterAll(async () => {
    await downLocalStack({ dir });
    expect(processesMentioning(dir)).toEqual([]);
  }, 60_000);

  it('sends the batch end to end and reports delivered, bounced, complained, failed and duplicate-skipped rows', async () => {
    const io = new RecordingIoHost();
    const result = await runDemo({ dir, ports: await freePorts(), keep: true, io });
    expect(outcomes(result)).toEqual(EXPECTED);
    const [first, , , , , , duplicate] = result.rows;
    expect(duplicate.emailId).toBe(first.emailId);
    expect(duplicate.note).toMatch(/SES was called 1 time for this emailId/);
    expect(result.rows.find((r) => r.request === 'invalid address')?.note).toMatch(/not a valid email address/);
    // The four that were sent are in the inbox; the two that failed and the duplicate are not.
    expect(result.inboxCount).toBe(4);
    expect(result.inbox).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(result.running).toBe(true);
    expect(result.tookMs).toBeLessThan(60_000);
    expect(io.messages.map((m) => m.code)).toEqual(expect.arrayContaining(['demo.seed', 'demo.publish']));
  }, 120_000);

  it('runs again against the stack it kept, with fresh ids, and leaves that stack running', async () => {
    const result = await runDemo({ dir });
    expect(outcomes(result)).toEqual(EXPECTED);
    expect(result.running).toBe(true);
    expect((await localStackStatus({ dir })).running).toBe(true);
  }, 60_000);

  it('leaves its stack usable with the commands it prints, as printed; the same command without them fails at once, naming the stack', async () => {
    const result = await runDemo({ dir });
    expect(result.stackName).toBe('mailengine-demo');
    expect(result.commands.map((c) => c.args.join(' '))).toEqual([
      'send --test --local --stack mailengine-demo --simulate success --template welcome',
      expect.stringMatching(/^status lookup --local --stack mailengine-demo --email-id demo-\w+-welcome$/),
      'local down',
    ]);
    const [send, lookup, down] = result.commands;

    // Without --stack, the CLI means stack mailengine, which is not provisioned here: exit 4 before publishing.
    const naive = await runInProcess(send.args.filter((a, i, all) => a !== '--stack' && all[i - 1] !== '--stack'), { cwd: dir });
    expect(naive.code).toBe(4);
    expect(naive.stderr).toContain('The local stack has no engine named mailengine (it has stack mailengine-demo).');

    const sent = await runInProcess([...send.args, '--json'], { cwd: dir });
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.json()).toMatchObject({ template: 'welcome', outcome: 'delivered', ok: true });
    const looked = await runInProcess([...lookup.args, '--json'], { cwd: dir });
    expect(looked.code, looked.stderr).toBe(0);
    expect(JSON.stringify(looked.json())).toContain('delivered');
    const stopped = await runInProcess(down.args, { cwd: dir });
    expect(stopped.code, stopped.stderr).toBe(0);
    expect((await localStackStatus({ dir })).parts.map((p) => p.state)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
  }, 120_000);

  it('on a stack already running for another engine, runs on that engine and leaves the runner serving it', async () => {
    const own = tempProject('demo-adopt');
    await startLocalStack({ dir: own, ports: await freePorts(), inMemory: true, provision: { stackName: 'shop' } });
    try {
      const result = await runDemo({ dir: own });
      expect(outcomes(result)).toEqual(EXPECTED);
      expect(result.stackName).toBe('shop');
      expect(result.commands[0].args).toEqual(['send', '--test', '--local', '--stack', 'shop', '--simulate', 'success', '--template', 'welcome']);
      const status = await localStackStatus({ dir: own });
      expect((await runnerState(status.parts[3].endpoint)).engine).toMatchObject({ configured: true, stackName: 'shop' });
    } finally {
      await downLocalStack({ dir: own });
    }
  }, 120_000);

  it('without --keep, stops the stack it started and leaves no process behind', async () => {
    const fresh = tempProject('demo-stop');
    const result = await runDemo({ dir: fresh, ports: await freePorts() });
    expect(outcomes(result)).toEqual(EXPECTED);
    expect(result.running).toBe(false);
    expect((await localStackStatus({ dir: fresh })).parts.map((p) => p.state)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
    expect(processesMentioning(fresh)).toEqual([]);
  }, 120_000);
});

describe('npm run demo (the script, as a newcomer runs it)', () => {
  it('prints the outcome table and the inbox URL on stdout, progress on stderr, exits 0 and stops everything', async () => {
    const cwd = tempProject('demo-script');
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const { stdout, stderr } = await promisify(execFile)(`${root}node_modules/.bin/tsx`, [`${root}scripts/demo.ts`], {
      cwd,
      env: { ...process.env, CI: 'true', FORCE_COLOR: '0' },
      timeout: 90_000,
    });
    expect(stdout).toMatch(/^REQUEST\s+EMAIL ID\s+RECIPIENT\s+STATUS\s+ERROR TYPE$/m);
    for (const status of ['delivered', 'bounced', 'complained', 'failed', 'duplicate-skipped']) expect(stdout).toMatch(new RegExp(`\\s${status}\\s`));
    expect(stdout).toMatch(/4 emails reached the SES emulator's inbox: http:\/\/127\.0\.0\.1:\d+\//);
    expect(stdout).toMatch(/The local stack has been stopped/);
    expect(stderr).toMatch(/Local stack ready in/);
    expect(stderr).not.toMatch(/NodeVersionSupportWarning/);
    expect(processesMentioning(cwd)).toEqual([]);
  }, 120_000);
});
