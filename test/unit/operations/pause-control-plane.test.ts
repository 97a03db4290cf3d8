import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { autoPauseAlarm } from '../../helpers/cloudwatch-alarms.js';
import { GetEventSourceMappingCommand, LambdaClient, UpdateEventSourceMappingCommand, type EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import { GetConfigurationSetCommand, PutConfigurationSetSendingOptionsCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SendingControlResult } from '../../../src/operations/sending-control.js';
import { runInProcess } from '../../helpers/in-process.js';

/**
 * `pause` / `resume` against a deployed stack. Neither SES configuration sets nor Lambda event
 * source mappings exist on the local stack, so both are played by aws-sdk-client-mock, answering
 * in the shapes the API references give, and keeping state so a pause is visible to the next read.
 */
const cfn = mockClient(CloudFormationClient);
const ses = mockClient(SESv2Client);
const lambda = mockClient(LambdaClient);
const sqs = mockClient(SQSClient);
const cloudwatch = mockClient(CloudWatchClient);
const cwd = mkdtempSync(join(tmpdir(), 'mailengine-pause-'));

const STACK = 'shop-prod';
const REGION = 'eu-west-1';
const MAPPING = '6a1c3f0e-2b4d-4c8e-9f10-1a2b3c4d5e6f';
const QUEUE = `https://sqs.${REGION}.amazonaws.com/123456789012/${STACK}-send`;

/** The stack's outputs as CloudFormation DescribeStacks reports them (Stacks[].Outputs[] with OutputKey/OutputValue). */
function stackOutputs(extra: Record<string, string> = {}) {
  const outputs: Record<string, string> = {
    TrackingTableName: `${STACK}-tracking`,
    SuppressionTableName: `${STACK}-suppression`,
    TemplatesBucketName: `${STACK}-templates-abc123`,
    ConfigurationSetName: STACK,
    EventBusName: `${STACK}-bus`,
    SendQueueUrl: QUEUE,
    SendDeadLetterQueueUrl: `${QUEUE}-dlq`,
    FeedbackQueueUrl: `https://sqs.${REGION}.amazonaws.com/123456789012/${STACK}-feedback`,
    FeedbackDeadLetterQueueUrl: `https://sqs.${REGION}.amazonaws.com/123456789012/${STACK}-feedback-dlq`,
    SenderEventSourceMappingId: MAPPING,
    ...extra,
  };
  return {
    Stacks: [
      {
        StackName: STACK,
        StackId: `arn:aws:cloudformation:${REGION}:123456789012:stack/${STACK}/0b6f2c10-8a1b-11f0-9b5c-0a1b2c3d4e5f`,
        StackStatus: 'UPDATE_COMPLETE' as const,
        CreationTime: new Date('2026-01-05T09:00:00Z'),
        Outputs: Object.entries(outputs).filter(([, v]) => v !== '').map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  };
}

/** What the two switches are; the mocks read and write it. */
const world = { sending: true, mapping: 'Enabled', waiting: 42, alarms: [] as MetricAlarm[] };
/** Every switching call, in order. */
const calls: string[] = [];

/** Lambda GetEventSourceMapping / UpdateEventSourceMapping answer an EventSourceMappingConfiguration. */
function mapping(state: string): EventSourceMappingConfiguration {
  return {
    UUID: MAPPING,
    BatchSize: 10,
    EventSourceArn: `arn:aws:sqs:${REGION}:123456789012:${STACK}-send`,
    FunctionArn: `arn:aws:lambda:${REGION}:123456789012:function:${STACK}-sender`,
    LastModified: new Date('2026-11-20T10:00:00Z'),
    State: state,
    StateTransitionReason: 'USER_INITIATED',
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    ScalingConfig: { MaximumConcurrency: 10 },
  };
}

beforeEach(() => {
  for (const m of [cfn, ses, lambda, sqs, cloudwatch]) m.reset();
  Object.assign(world, { sending: true, mapping: 'Enabled', waiting: 42, alarms: [autoPauseAlarm(STACK, 'bounce', 'OK', 0.004, 0.05), autoPauseAlarm(STACK, 'complaint', 'OK', 0, 0.001)] });
  calls.length = 0;
  cfn.on(DescribeStacksCommand, { StackName: STACK }).resolves(stackOutputs());
  // SESv2 GetConfigurationSet: SendingOptions.SendingEnabled, among the set's other options.
  ses.on(GetConfigurationSetCommand, { ConfigurationSetName: STACK }).callsFake(async () => ({
    ConfigurationSetName: STACK,
    DeliveryOptions: { TlsPolicy: 'REQUIRE' },
    ReputationOptions: { ReputationMetricsEnabled: true },
    SendingOptions: { SendingEnabled: world.sending },
    SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
  }));
  // PutConfigurationSetSendingOptions answers an empty body (HTTP 200).
  ses.on(PutConfigurationSetSendingOptionsCommand).callsFake(async (input: { SendingEnabled?: boolean }) => {
    calls.push(`ses:${input.SendingEnabled ? 'on' : 'off'}`);
    world.sending = input.SendingEnabled === true;
    return {};
  });
  lambda.on(GetEventSourceMappingCommand, { UUID: MAPPING }).callsFake(async () => mapping(world.mapping));
  // UpdateEventSourceMapping answers the mapping in its transitional state (Enabling / Disabling).
  lambda.on(UpdateEventSourceMappingCommand).callsFake(async (input: { Enabled?: boolean }) => {
    calls.push(`mapping:${input.Enabled ? 'on' : 'off'}`);
    world.mapping = input.Enabled ? 'Enabling' : 'Disabling';
    return mapping(world.mapping);
  });
  sqs.on(GetQueueAttributesCommand, { QueueUrl: QUEUE }).callsFake(async () => ({ Attributes: { ApproximateNumberOfMessages: String(world.waiting) } }));
  cloudwatch.on(DescribeAlarmsCommand).callsFake(async (input: { AlarmNamePrefix?: string }) => ({
    MetricAlarms: world.alarms.filter((a) => a.AlarmName!.startsWith(input.AlarmNamePrefix ?? '')),
    CompositeAlarms: [],
  }));
});

const run = (...argv: string[]) => runInProcess([...argv, '--stack', STACK, '--region', REGION], { cwd });

describe('pause (deployed stack)', () => {
  it('--yes: the mapping off first, then SES; prints both switches and what waits', async () => {
    const out = await run('pause', '--yes');
    expect(out.code).toBe(0);
    expect(calls).toEqual(['mapping:off', 'ses:off']);
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand)[0].args[0].input).toEqual({ UUID: MAPPING, Enabled: false });
    expect(ses.commandCalls(PutConfigurationSetSendingOptionsCommand)[0].args[0].input).toEqual({ ConfigurationSetName: STACK, SendingEnabled: false });
    expect(out.stdout).toMatch(/^Stack shop-prod is paused\.$/m);
    expect(out.stdout).toMatch(/^configuration set shop-prod +sending off/m);
    expect(out.stdout).toMatch(new RegExp(`^Sender queue mapping +Disabling \\(${MAPPING}\\)`, 'm'));
    expect(out.stdout).toMatch(/^waiting in the send queue +42 requests/m);
    expect(out.stdout).toMatch(/^state +paused$/m);
    expect(out.stdout.split('\n').filter((line) => /\s$/.test(line))).toEqual([]);
    expect(out.stdout).toMatch(/^auto-pause alarms +shop-prod-bounce-rate-auto-pause OK *\n +shop-prod-complaint-rate-auto-pause OK/m);
  });

  it('--json: the state as data', async () => {
    const out = await run('pause', '--yes', '--json');
    expect(out.json<SendingControlResult>()).toEqual({
      action: 'pause',
      stackName: STACK,
      local: false,
      title: `stack ${STACK}`,
      changed: true,
      state: 'paused',
      before: 'running',
      configurationSet: STACK,
      configurationSetSending: false,
      senderMapping: { id: MAPPING, state: 'Disabling' },
      waiting: 42,
      waitingBefore: 42,
      alarms: [
        expect.objectContaining({ name: 'shop-prod-bounce-rate-auto-pause', state: 'OK', metric: 'Reputation.BounceRate', threshold: 0.05, value: 0.004 }),
        expect.objectContaining({ name: 'shop-prod-complaint-rate-auto-pause', state: 'OK', metric: 'Reputation.ComplaintRate', threshold: 0.001, value: 0 }),
      ],
      notes: [],
    });
  });

  it('already paused: nothing is called, nothing asked, exit 0', async () => {
    Object.assign(world, { sending: false, mapping: 'Disabled' });
    const out = await run('pause');
    expect(out.code).toBe(0);
    expect(calls).toEqual([]);
    expect(out.stdout).toMatch(/^Stack shop-prod is already paused; nothing was changed\.$/m);
  });

  it('partly paused (SES off, mapping still on): pausing switches the other one off too', async () => {
    Object.assign(world, { sending: false, mapping: 'Enabled' });
    const out = await run('pause', '--yes', '--json');
    expect(out.code).toBe(0);
    expect(out.json<SendingControlResult>()).toMatchObject({ before: 'partly-paused', state: 'paused', changed: true });
    expect(out.json<SendingControlResult>().notes[0]).toMatch(/partly paused/);
    expect(calls).toEqual(['mapping:off', 'ses:off']);
  });

  it('without --yes and no terminal: exit 2 naming --yes, and nothing is switched', async () => {
    const out = await run('pause');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--yes');
    expect(calls).toEqual([]);
  });

  it('a stack without the SenderEventSourceMappingId output: exit 4, nothing switched', async () => {
    cfn.on(DescribeStacksCommand, { StackName: STACK }).resolves(stackOutputs({ SenderEventSourceMappingId: '' }));
    const out = await run('pause', '--yes', '--json');
    expect(out.code).toBe(4);
    expect(JSON.parse(out.stderr).error).toMatchObject({ code: 'STACK_INCOMPLETE' });
    expect(calls).toEqual([]);
  });

  it('access denied on the mapping: exit 3 naming the action', async () => {
    lambda.on(UpdateEventSourceMappingCommand).rejects(
      Object.assign(new Error('User: arn:aws:iam::123456789012:user/ci is not authorized to perform: lambda:UpdateEventSourceMapping on resource'), {
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const out = await run('pause', '--yes');
    expect(out.code).toBe(3);
    expect(out.stderr).toContain('lambda:UpdateEventSourceMapping');
  });
});

describe('resume (deployed stack)', () => {
  it('with the auto-pause alarms OK: SES on first, then the mapping; no question asked', async () => {
    Object.assign(world, { sending: false, mapping: 'Disabled' });
    const out = await run('resume');
    expect(out.code).toBe(0);
    expect(calls).toEqual(['ses:on', 'mapping:on']);
    expect(out.stdout).toMatch(/^Stack shop-prod is resumed\.$/m);
    expect(out.stdout).toMatch(new RegExp(`^Sender queue mapping +Enabling \\(${MAPPING}\\)`, 'm'));
    expect(out.stdout).toMatch(/^had waited in the send queue +42 requests \(now being sent\)/m);
    expect(out.stdout).toMatch(/^auto-pause alarms +shop-prod-bounce-rate-auto-pause OK/m);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toMatchObject({ AlarmNamePrefix: 'shop-prod-' });
    expect(out.stderr).not.toContain('alarm');
  });

  it('while an auto-pause alarm is in ALARM: refuses (exit 1), naming the metric and how far over it is; nothing switched', async () => {
    Object.assign(world, { sending: false, mapping: 'Disabled' });
    world.alarms[0] = autoPauseAlarm(STACK, 'bounce', 'ALARM', 0.062, 0.05);
    const out = await run('resume', '--json');
    expect(out.code).toBe(1);
    const error = JSON.parse(out.stderr).error as { code: string; message: string; suggestion: string };
    expect(error.code).toBe('ALARM_ACTIVE');
    expect(error.message).toBe(
      'Stack shop-prod was not resumed: Reputation.BounceRate is 6.2 %, 1.2 percentage points over the auto-pause threshold of 5 % (alarm shop-prod-bounce-rate-auto-pause, in ALARM since 2026-12-02T16:00:31.000Z).',
    );
    expect(error.suggestion).toContain('--force');
    expect(calls).toEqual([]);
  });

  it('--force resumes while the alarm is in ALARM, and says it is unguarded', async () => {
    Object.assign(world, { sending: false, mapping: 'Disabled' });
    world.alarms[1] = autoPauseAlarm(STACK, 'complaint', 'ALARM', 0.0012, 0.001);
    const out = await run('resume', '--force');
    expect(out.code).toBe(0);
    expect(calls).toEqual(['ses:on', 'mapping:on']);
    expect(out.stderr).toContain('Resumed with --force while Reputation.ComplaintRate is 0.12 %, 0.02 percentage points over the auto-pause threshold of 0.1 %');
    expect(out.stdout).toMatch(/shop-prod-complaint-rate-auto-pause ALARM \(0\.12 %\)/);
  });

  it("another stack's alarms (same name prefix, their own pause topic) do not count", async () => {
    Object.assign(world, { sending: false, mapping: 'Disabled' });
    world.alarms.push(autoPauseAlarm(`${STACK}-eu`, 'bounce', 'ALARM', 0.09, 0.05));
    const out = await run('resume', '--json');
    expect(out.code).toBe(0);
    expect(out.json<SendingControlResult>().alarms!.map((a) => a.name)).toEqual(['shop-prod-bounce-rate-auto-pause', 'shop-prod-complaint-rate-auto-pause']);
  });

  it('alarms it may not read: refuses (exit 3) naming cloudwatch:DescribeAlarms; nothing switched', async () => {
    Object.assign(world, { sending: false, mapping: 'Disabled' });
    cloudwatch.on(DescribeAlarmsCommand).rejects(
      Object.assign(new Error('User: arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudwatch:DescribeAlarms'), { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
    );
    const out = await run('resume');
    expect(out.code).toBe(3);
    expect(out.stderr).toContain('cloudwatch:DescribeAlarms');
    expect(calls).toEqual([]);
  });

  it('already running: nothing is called, exit 0 (safe to run twice)', async () => {
    const out = await run('resume', '--json');
    expect(out.code).toBe(0);
    expect(calls).toEqual([]);
    expect(out.json<SendingControlResult>()).toMatchObject({ changed: false, state: 'running' });
  });
});
