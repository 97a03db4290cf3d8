import { describe, expect, it } from 'vitest';
import { renderDoctorReport } from '../../../commands/terminal/doctor-report.js';
import { doctorLocal, type LocalDoctorFacts } from '../../../src/operations/doctor/local.js';
import { queueCheck } from '../../../src/operations/doctor/queues.js';
import { doctorReport, check } from '../../../src/operations/doctor/report.js';
import { rateCheck, reputationThresholds } from '../../../src/operations/doctor/reputation.js';
import { stackCheck, versionCheck } from '../../../src/operations/doctor/stack.js';
import { compareEngineToCli } from '../../../src/stack/engine-version.js';
import { toSnapshot } from '../../../src/stack/stack-status.js';

const snapshot = (StackStatus: string, StackStatusReason?: string) => toSnapshot({ StackName: 'mailengine', StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/mailengine/1', StackStatus: StackStatus as never, StackStatusReason, CreationTime: new Date() });

describe('doctor: the stack and version checks', () => {
  it.each([
    ['UPDATE_COMPLETE', 'pass'],
    ['UPDATE_ROLLBACK_COMPLETE', 'warn'],
    ['UPDATE_IN_PROGRESS', 'warn'],
    ['ROLLBACK_COMPLETE', 'fail'],
    ['UPDATE_ROLLBACK_FAILED', 'fail'],
    ['REVIEW_IN_PROGRESS', 'fail'],
  ])('stack %s: %s', (status, verdict) => {
    const c = stackCheck(snapshot(status), 'eu-west-1');
    expect(c.status).toBe(verdict);
    if (verdict !== 'pass') expect(c.fix).toMatch(/mailengine (deploy|info)/);
  });

  it('the same version passes; an older engine warns with deploy, a newer one with the CLI update', () => {
    expect(versionCheck(compareEngineToCli('0.2.0', '0.2.0')).status).toBe('pass');
    expect(versionCheck(compareEngineToCli('0.1.0', '0.2.0'))).toMatchObject({ status: 'warn', fix: 'Run `mailengine deploy` to upgrade it.' });
    expect(versionCheck(compareEngineToCli('0.3.0', '0.2.0'))).toMatchObject({ status: 'warn', fix: 'Update the CLI with `npm i -g mailengine@0.3.0`.' });
    expect(versionCheck(compareEngineToCli(undefined, '0.2.0')).status).toBe('warn');
  });
});

describe('doctor: queues and reputation', () => {
  it('a feedback DLQ with messages warns; the send DLQ fails; an empty one passes', () => {
    expect(queueCheck({ name: 'feedback-dlq', waiting: 2, inFlight: 0, delayed: 0 })).toMatchObject({ status: 'warn', summary: 'feedback-dlq holds 2 messages: SES events that were never recorded' });
    expect(queueCheck({ name: 'send-dlq', waiting: 1, inFlight: 0, delayed: 0 }).status).toBe('fail');
    expect(queueCheck({ name: 'send-dlq', waiting: 0, inFlight: 0, delayed: 0 }).status).toBe('pass');
  });

  it('a waiting queue whose age could not be read warns, naming the permission', () => {
    const c = queueCheck({ name: 'send', waiting: 12, inFlight: 0, delayed: 0, ageUnknown: 'Access denied: your credentials may not call cloudwatch:GetMetricData.' });
    expect(c).toMatchObject({ status: 'warn', summary: 'send queue: 12 waiting, for how long is unknown' });
    expect(c.detail).toContain('cloudwatch:GetMetricData');
    expect(queueCheck({ name: 'send', waiting: 0, inFlight: 0, delayed: 0, ageUnknown: 'denied' }).status).toBe('pass');
  });

  it('a waiting queue with no datapoint of its oldest message\'s age warns: a backlog cannot be ruled out', () => {
    const c = queueCheck({ name: 'send', waiting: 5000 });
    expect(c).toMatchObject({ status: 'warn', summary: 'send queue: 5,000 waiting, for how long is unknown' });
    expect(c.detail).toBe('5,000 waiting, ? in flight; CloudWatch has no recent ApproximateAgeOfOldestMessage datapoint for it');
    expect(c.fix).not.toContain('Grant');
    expect(queueCheck({ name: 'feedback', waiting: 0 }).status).toBe('pass');
  });

  it('an old message in an empty work queue is no backlog; the age counts only while messages wait', () => {
    expect(queueCheck({ name: 'send', waiting: 0, inFlight: 0, oldestAgeSeconds: 9999 }).status).toBe('pass');
    expect(queueCheck({ name: 'feedback', waiting: 5, oldestAgeSeconds: 301 }).status).toBe('warn');
    expect(queueCheck({ name: 'feedback', waiting: 5, oldestAgeSeconds: 3600 }).status).toBe('fail');
  });

  it("takes the stack's thresholds, else the template's defaults; no datapoint is healthy", () => {
    expect(reputationThresholds({ BounceRateWarnThreshold: '0.03', BounceRatePauseThreshold: '0.045' }).bounce).toEqual({ warn: 0.03, pause: 0.045 });
    expect(reputationThresholds({}).complaint).toEqual({ warn: 0.0005, pause: 0.0008 });
    expect(rateCheck('bounce', undefined, { warn: 0.02, pause: 0.04 })).toMatchObject({ status: 'pass', summary: 'Bounce rate: no bounces recorded' });
    expect(rateCheck('complaint', 0.0008, { warn: 0.0005, pause: 0.0008 }).status).toBe('fail');
  });
});

const PARTS = [
  { name: 'dynamodb', label: 'DynamoDB Local', state: 'running', healthy: true, endpoint: 'http://127.0.0.1:4510' },
  { name: 's3', label: 's3rver', state: 'running', healthy: true, endpoint: 'http://127.0.0.1:4511' },
  { name: 'ses', label: 'SES emulator', state: 'running', healthy: true, endpoint: 'http://127.0.0.1:4512' },
  { name: 'runner', label: 'engine runner', state: 'running', healthy: true, endpoint: 'http://127.0.0.1:4513' },
];
const QUEUES = (['send', 'send-dlq', 'feedback', 'feedback-dlq'] as const).map((name) => ({ name, waiting: 0, inFlight: 0, delayed: 0 }));
const facts = (over: Partial<LocalDoctorFacts> = {}): LocalDoctorFacts => ({
  stackName: 'mailengine',
  parts: PARTS,
  provisioned: { tables: ['mailengine-tracking', 'mailengine-suppression'] },
  serveCommand: 'mailengine local up --stack mailengine',
  runner: { serves: true, served: 'stack mailengine (bus mailengine-bus)', paused: false, queues: QUEUES },
  ...over,
});

describe('doctor --local', () => {
  it('passes a running local stack that serves the stack; the AWS-only checks are not applicable, never failed', async () => {
    const report = await doctorLocal(facts());
    expect(report).toMatchObject({ target: 'local', ok: true });
    expect(report.checks.filter((c) => c.status === 'fail' || c.status === 'warn')).toEqual([]);
    const skippedIds = report.checks.filter((c) => c.status === 'skip').map((c) => c.id);
    expect(skippedIds).toEqual(expect.arrayContaining(['credentials', 'region', 'ses-sandbox', 'ses-quota', 'identity', 'alarm-subscription', 'alarms', 'event-destination', 'bounce-rate', 'complaint-rate']));
    expect(report.checks.find((c) => c.id === 'ses-sandbox')).toMatchObject({ summary: 'Not applicable on the local stack', detail: 'the SES emulator has no sandbox' });
    const shown = renderDoctorReport(report);
    expect(shown).toContain('– Not applicable on the local stack: AWS access, SES account, Sending identity, Alerts, Reputation');
    expect(shown).toContain('  – Not applicable on the local stack (the engine runner hands SES events to the engine itself)');
  });

  it('a part down fails with `local up`; a runner serving another stack fails with the command that switches it', async () => {
    const down = await doctorLocal(facts({ parts: PARTS.map((p) => (p.name === 's3' ? { ...p, state: 'stopped', healthy: false } : p)) }));
    expect(down.checks.find((c) => c.id === 'local-s3')).toMatchObject({ status: 'fail', fix: expect.stringContaining('mailengine local up') });
    const other = await doctorLocal(facts({ runner: { serves: false, served: 'stack shop (bus shop-bus)', paused: false, queues: [] } }));
    expect(other.checks.find((c) => c.id === 'runner')).toMatchObject({ status: 'fail', fix: 'Run `mailengine local up --stack mailengine`.' });
    expect(other.checks.find((c) => c.id === 'send-queue')?.status).toBe('skip');
    const silent = await doctorLocal(facts({ runner: { error: 'connect ECONNREFUSED 127.0.0.1:4513' } }));
    expect(silent.checks.find((c) => c.id === 'runner')?.status).toBe('fail');
  });

  it('a paused runner fails; an unprovisioned stack fails with deploy --local', async () => {
    const paused = await doctorLocal(facts({ runner: { serves: true, served: 'stack mailengine', paused: true, queues: QUEUES } }));
    expect(paused.checks.find((c) => c.id === 'paused')).toMatchObject({ status: 'fail', fix: expect.stringContaining('mailengine resume') });
    const bare = await doctorLocal(facts({ provisioned: undefined }));
    expect(bare.checks.find((c) => c.id === 'stack')).toMatchObject({ status: 'fail' });
    expect(bare.checks.find((c) => c.id === 'stack')?.fix).toContain('mailengine deploy --local');
  });
});

describe('doctor: the report and its rendering', () => {
  it('counts each verdict, is ok with warnings, and renders groups with marks, details and fixes', () => {
    const report = doctorReport({ target: 'aws', stackName: 'prod', region: 'eu-west-1' }, [
      check('templates', 'templates', 'fail', '1 of 2 templates fail validation: broken', { detail: 'broken:\n  templates/broken/template.html:1:12: "userNam" is undefined', fix: 'Fix them, then `mailengine templates push`.' }),
      check('region', 'access', 'pass', 'Region eu-west-1'),
      check('ses-sandbox', 'ses', 'warn', 'In the sandbox', { detail: 'only verified addresses', fix: 'Request production access.' }),
    ]);
    expect(report.counts).toEqual({ pass: 1, warn: 1, fail: 1, skip: 0 });
    expect(report.ok).toBe(false);
    expect(report.checks.map((c) => c.id)).toEqual(['region', 'ses-sandbox', 'templates']);
    expect(renderDoctorReport(report)).toBe(
      [
        'Checked stack prod in eu-west-1.',
        '',
        'AWS access',
        '  ✔ Region eu-west-1',
        '',
        'SES account',
        '  ! In the sandbox',
        '      only verified addresses',
        '      fix: Request production access.',
        '',
        'Templates',
        '  ✖ 1 of 2 templates fail validation: broken',
        '      broken:',
        '        templates/broken/template.html:1:12: "userNam" is undefined',
        '      fix: Fix them, then `mailengine templates push`.',
        '',
        '1 passed, 1 warning, 1 failed.',
      ].join('\n'),
    );
    expect(doctorReport({ target: 'aws', stackName: 'prod' }, [check('a', 'ses', 'warn', 'w')]).ok).toBe(true);
  });

  it('names the groups not checked for one reason together', () => {
    const report = doctorReport({ target: 'aws', stackName: 'prod', region: 'eu-west-1' }, [
      check('credentials', 'access', 'fail', 'No AWS credentials were found.', { fix: 'Run `aws configure`.' }),
      check('stack', 'stack', 'skip', 'Not checked: it needs working AWS access'),
      check('ses-quota', 'ses', 'skip', 'Not checked: it needs working AWS access'),
    ]);
    expect(renderDoctorReport(report)).toContain('– Not checked (it needs working AWS access): Stack, SES account');
  });
});
