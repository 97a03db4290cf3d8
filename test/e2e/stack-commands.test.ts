import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../commands/main.js';
import type { Runtime } from '../../commands/runtime.js';
import { AwsClientFactory } from '../../src/aws/clients.js';
import { captureStreams, type CapturedStreams } from '../helpers/capture.js';
import { REGION, createWorld, type World } from '../fixtures/stack/aws-world.js';

/**
 * The three commands as a user runs them in CI (no terminal, CI=true): argv in, exit code and
 * stdout/stderr out. They deploy the package's own template and `dist/lambda` zips (built by the
 * global setup) to the fake CloudFormation, which settles each operation in one poll here.
 */
let world: World;
let cwd: string;

beforeEach(() => {
  world = createWorld({ cfn: { stepsPerPoll: 100_000, changeSetPolls: 1 } });
  cwd = mkdtempSync(join(tmpdir(), 'mailengine-cmd-'));
});
afterEach(() => world.restore());

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string; streams: CapturedStreams }> {
  const streams = captureStreams(false);
  const runtime: Runtime = {
    env: { CI: 'true' },
    cwd,
    streams,
    stdinIsTTY: false,
    signal: new AbortController().signal,
    awsFactory: (settings) => new AwsClientFactory({ ...settings, region: settings.region ?? REGION, credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'x' }, maxAttempts: 1 }),
  };
  const code = await main(argv, runtime);
  return { code, out: streams.out(), err: streams.err(), streams };
}

const INSTALL = ['deploy', '--region', REGION, '--parameters', 'SenderIdentity=example.com', 'AdminEmail=ops@example.com'];

describe('deploy, info and destroy from the command line', () => {
  it('deploy in CI without --yes: exit 2, says why and what to pass, changes nothing', async () => {
    const r = await run(...INSTALL);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('error: Installing stack mailengine creates IAM roles, which --require-approval broadening asks about, and there is no terminal to ask.');
    expect(r.err).toContain('↳ Nothing was changed. Re-run with --yes to approve');
    expect(world.cfn.count('CreateChangeSet')).toBe(0);
  });

  it('deploy --yes installs; a second deploy has nothing to change (exit 0, one line); info and destroy follow', async () => {
    const installed = await run(...INSTALL, '--yes');
    expect(installed.err).not.toMatch(/error:/);
    expect(installed.code).toBe(0);
    expect(installed.out).toMatch(/^Engine 0\.1\.0 installed: stack mailengine in eu-west-1 \(\d+ s\)\.\n/);
    expect(installed.out).toMatch(/EventBusName\s+mailengine-bus/);
    expect(installed.err).toContain('Install stack mailengine in eu-west-1 (account 123456789012), engine 0.1.0:');
    expect(installed.err).toMatch(/\d\d:\d\d:\d\d {2}CREATE_COMPLETE {7}stack mailengine/);
    expect(installed.err).toContain('✔ Stack mailengine created in');

    const again = await run('deploy', '--region', REGION);
    expect(again.code).toBe(0);
    expect(again.out).toBe('No changes: stack mailengine in eu-west-1 is up to date (engine 0.1.0).\n');

    const info = await run('info', '--region', REGION, '--json');
    expect(info.code).toBe(0);
    const parsed = JSON.parse(info.out);
    expect(parsed).toMatchObject({ stackName: 'mailengine', stack: { status: 'CREATE_COMPLETE' }, version: { relation: 'same' }, sending: { state: 'running' } });
    expect(info.err).toBe('');

    const human = await run('info', '--region', REGION);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/^stack\s+mailengine in eu-west-1: CREATE_COMPLETE$/m);
    expect(human.out).toMatch(/^SES account\s+production; max 14\/s; 1,234 of 50,000 sent in the last 24 h$/m);
    expect(human.out).toMatch(/^identity\s+example\.com: verified, DKIM SUCCESS$/m);

    const refused = await run('destroy', '--region', REGION);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('Delete stack mailengine? — confirmation needed, but there is no terminal to ask.');
    expect(world.cfn.count('DeleteStack')).toBe(0);

    const destroyed = await run('destroy', '--region', REGION, '--yes');
    expect(destroyed.code).toBe(0);
    expect(destroyed.out).toMatch(/^Deleted stack mailengine in eu-west-1 \(\d+ s\)\.\n\nStill there \(checked after the delete\), about \$0\.40 a month:\n/);
    expect(destroyed.out).toContain('  table mailengine-tracking, 0 B, 0 items');
    expect(destroyed.out).toContain('  secret mailengine-suppression-hash-key');

    const gone = await run('info', '--region', REGION);
    expect(gone.code).toBe(4);
    expect(gone.err).toContain('No stack named mailengine in eu-west-1.');
  });

  it('bad flags are exit 2 before anything runs', async () => {
    const policy = await run('deploy', '--region', REGION, '--require-approval', 'sometimes');
    expect(policy.code).toBe(2);
    expect(policy.err).toContain('--require-approval: must be one of never, broadening, any-change (got "sometimes")');
    const pair = await run('deploy', '--region', REGION, '--parameters', 'SendConcurrency');
    expect(pair.code).toBe(2);
    expect(pair.err).toContain('--parameters takes Key=Value pairs; "SendConcurrency" has no "=".');
    expect(world.cfn.calls).toEqual([]);
  });

  it('destroy --local points at `local down --purge`', async () => {
    const r = await run('destroy', '--local');
    expect(r.code).toBe(2);
    expect(r.err).toContain('mailengine local down --purge');
  });
});
