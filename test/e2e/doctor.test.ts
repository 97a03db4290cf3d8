import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../commands/main.js';
import { AwsClientFactory } from '../../src/aws/clients.js';
import type { DoctorReport } from '../../src/operations/doctor/index.js';
import { captureStreams } from '../helpers/capture.js';
import { STACK_FRAME, runCli } from '../helpers/cli.js';
import { FakeDns } from '../helpers/fake-dns.js';
import { cliLocalDown, cliLocalUp } from '../helpers/local-stack.js';
import { tempProject } from '../helpers/local.js';
import { REGION, createWorld, type World } from '../fixtures/stack/aws-world.js';
import { STACK, install } from '../fixtures/stack/harness.js';

const statusOf = (report: DoctorReport, id: string) => report.checks.find((c) => c.id === id)?.status;

describe('doctor, the built CLI without AWS credentials', () => {
  it('fails the credentials check with the fix, exit 1, no stack trace; --json is one object with every check', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mailengine-doctor-'));
    const human = await runCli(['doctor', '--region', REGION], { cwd });
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('✖ No AWS credentials were found.');
    expect(human.stdout).toMatch(/fix: Configure them with `aws configure`/);
    expect(human.stdout).toContain('– Not checked (it needs working AWS access): Stack, SES account, Sending identity, Alerts, Sending, Queues, Reputation, Templates');
    expect(human.stderr).toContain('error: 1 check failed: credentials.');
    expect(`${human.stdout}${human.stderr}`).not.toMatch(STACK_FRAME);

    const json = await runCli(['doctor', '--region', REGION, '--json'], { cwd });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as DoctorReport;
    expect(report).toMatchObject({ target: 'aws', stackName: 'mailengine', region: REGION, ok: false, counts: { pass: 1, fail: 1 } });
    expect(report.checks.find((c) => c.id === 'credentials')).toMatchObject({ group: 'access', status: 'fail', summary: 'No AWS credentials were found.' });
    for (const c of report.checks) expect(Object.keys(c).every((k) => ['id', 'group', 'status', 'summary', 'detail', 'fix'].includes(k))).toBe(true);
    expect(JSON.parse(json.stderr).error.code).toBe('DOCTOR_FAILED');
  });
});

describe('doctor --local where no local stack runs', () => {
  it('fails each part with `local up`, exit 1, no stack trace', async () => {
    const r = await runCli(['doctor', '--local'], { cwd: tempProject('doctor-down') });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}✖ DynamoDB Local: stopped at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(r.stdout).toContain('fix: Start it with `mailengine local up`');
    expect(r.stdout).toContain('✖ The engine runner did not answer: it is not running in this directory');
    expect(r.stdout).toContain('✖ Stack mailengine is not provisioned on the local stack');
    expect(`${r.stdout}${r.stderr}`).not.toMatch(STACK_FRAME);
  });
});

describe('doctor --local, the built CLI on a running local stack', () => {
  const cwd = tempProject('doctor');
  const run = (...args: string[]) => runCli(args, { cwd });
  let stateDir = '';

  beforeAll(async () => {
    stateDir = await cliLocalUp(run);
  }, 120_000);
  afterAll(async () => {
    await cliLocalDown(run, stateDir);
  }, 60_000);

  it('passes the parts, the stack, the runner and its queues; the AWS-only checks are not applicable; exit 0', async () => {
    const r = await run('doctor', '--local', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report).toMatchObject({ target: 'local', stackName: 'mailengine', ok: true });
    for (const id of ['local-dynamodb', 'local-s3', 'local-sesv2', 'local-eventbridge', 'stack', 'runner', 'paused', 'send-queue', 'send-dlq']) expect([id, statusOf(report, id)]).toEqual([id, 'pass']);
    for (const id of ['credentials', 'ses-sandbox', 'identity', 'alarm-subscription', 'bounce-rate']) expect([id, statusOf(report, id)]).toEqual([id, 'skip']);
    // `local up` pushes no templates: an empty bucket warns.
    expect(statusOf(report, 'templates')).toBe('warn');

    const human = await run('doctor', '--local');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Checked the local engine mailengine\.$/m);
    expect(human.stdout).toMatch(/^ {2}✔ The engine runner serves stack mailengine$/m);
  }, 60_000);

  it('a paused engine fails the check with `resume`, exit 1; resumed, it passes again', async () => {
    expect((await run('pause', '--local', '--yes')).code).toBe(0);
    const paused = await run('doctor', '--local');
    expect(paused.code).toBe(1);
    expect(paused.stdout).toContain('✖ Sending is paused: requests wait in the send queue');
    expect(paused.stdout).toContain('fix: If an alarm paused it, fix that cause first (see Alerts); then `mailengine resume --local`.');
    expect((await run('resume', '--local')).code).toBe(0);
    expect((await run('doctor', '--local')).code).toBe(0);
  }, 60_000);
});

describe('doctor against a deployed stack, the CLI in process with the fake AWS', () => {
  let world: World;
  let dns: FakeDns;
  let resolver: string;
  const cwd = mkdtempSync(join(tmpdir(), 'mailengine-doctor-aws-'));

  beforeAll(async () => {
    dns = new FakeDns();
    resolver = await dns.start();
    for (const token of ['token1', 'token2', 'token3']) dns.set(`${token}._domainkey.example.com`, { CNAME: `${token}.dkim.amazonses.com` });
    dns.set('mail.example.com', { MX: [{ exchange: `feedback-smtp.${REGION}.amazonses.com`, priority: 10 }], TXT: [['v=spf1 include:amazonses.com ~all']] });
    dns.set('_dmarc.example.com', { TXT: [['v=DMARC1; p=none;']] });
  });
  afterAll(() => dns.stop());
  beforeEach(async () => {
    world = createWorld();
    await install(world);
  });
  afterEach(() => world.restore());

  async function run(...argv: string[]) {
    const streams = captureStreams(false);
    const code = await main(argv, {
      env: { CI: 'true' },
      cwd,
      streams,
      stdinIsTTY: false,
      signal: new AbortController().signal,
      awsFactory: (settings) => new AwsClientFactory({ ...settings, region: settings.region ?? REGION, credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'x' }, maxAttempts: 1 }),
    });
    return { code, out: streams.out(), err: streams.err() };
  }

  it('exit 0 with warnings only; --json carries every check; a paused engine is exit 1 with the report still on stdout', async () => {
    const ok = await run('doctor', '--region', REGION, '--resolver', resolver, '--json');
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.out) as DoctorReport;
    expect(report.ok).toBe(true);
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    // The fake account has no alarms and the templates bucket is empty: both warn, neither fails.
    expect(report.checks.filter((c) => c.status === 'warn').map((c) => c.id)).toEqual(['alarms', 'templates']);
    expect(statusOf(report, 'dns-dmarc')).toBe('pass');

    const outputs = world.cfn.liveStack(STACK)!.outputs;
    world.ses.sending[outputs.ConfigurationSetName] = false;
    world.mappings[outputs.SenderEventSourceMappingId] = 'Disabled';
    const paused = await run('doctor', '--region', REGION, '--resolver', resolver, '--json');
    expect(paused.code).toBe(1);
    expect(statusOf(JSON.parse(paused.out) as DoctorReport, 'paused')).toBe('fail');
    expect(JSON.parse(paused.err)).toMatchObject({ error: { code: 'DOCTOR_FAILED', details: { failed: ['paused'] } } });

    const human = await run('doctor', '--region', REGION, '--resolver', resolver);
    expect(human.code).toBe(1);
    expect(human.out).toMatch(/^Checked stack mailengine in eu-west-1\.$/m);
    expect(human.out).toContain('✖ Sending is paused: requests wait in the send queue');
    expect(human.out).toContain('fix: If an alarm paused it, fix that cause first (see Alerts); then `mailengine resume --region eu-west-1`.');
  });

  it('an invalid --resolver is bad usage (exit 2)', async () => {
    const r = await run('doctor', '--region', REGION, '--resolver', 'not-a-server');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--resolver');
  });
});
