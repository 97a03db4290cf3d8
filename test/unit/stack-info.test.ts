import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { incompleteInfoError, stackInfo } from '../../src/stack/info.js';
import { FakeServiceError } from '../helpers/fake-cloudformation.js';
import { autoPauseAlarm } from '../helpers/cloudwatch-alarms.js';
import { createWorld, type World } from '../fixtures/stack/aws-world.js';
import { STACK, failure, install } from '../fixtures/stack/harness.js';
import * as ses from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';

let world: World;
beforeEach(async () => {
  world = createWorld();
  await install(world);
});
afterEach(() => world.restore());

describe('info', () => {
  it('reports the stack, versions, outputs, SES account, identity, queue depths and that it is running', async () => {
    const outputs = world.cfn.liveStack(STACK)!.outputs;
    world.queueDepths[outputs.SendQueueUrl] = 3;
    world.queueDepths[outputs.FeedbackDeadLetterQueueUrl] = 2;
    const info = await stackInfo({ aws: world.aws, stackName: STACK, version: '0.1.0' });

    expect(info).toMatchObject({
      target: 'aws',
      stackName: STACK,
      region: 'eu-west-1',
      stack: { status: 'CREATE_COMPLETE' },
      version: { engine: '0.1.0', cli: '0.1.0', relation: 'same' },
      ses: { productionAccess: true, sendingEnabled: true, enforcementStatus: 'HEALTHY', maxSendRate: 14, max24HourSend: 50000, sentLast24Hours: 1234 },
      identity: { name: 'example.com', exists: true, verifiedForSending: true, verificationStatus: 'SUCCESS', dkimStatus: 'SUCCESS', type: 'DOMAIN' },
      sending: { state: 'running', configurationSetSending: true, senderMapping: 'Enabled' },
      problems: [],
    });
    expect(info.stack.consoleUrl).toMatch(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudformation\/home\?region=eu-west-1#\/stacks\/events\?stackId=arn%3Aaws%3Acloudformation/);
    expect(info.queues.map((q) => [q.name, q.waiting])).toEqual([
      ['send', 3],
      ['send-dlq', 0],
      ['feedback', 0],
      ['feedback-dlq', 2],
    ]);
    expect(info.outputs.EventBusName).toBe('mailengine-bus');
    const queueCall = world.calls.find((c) => c.command === 'GetQueueAttributes')!;
    expect(queueCall.input.AttributeNames).toEqual(['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed']);
  });

  it('paused, and partly paused when only one of the two switches is off', async () => {
    const outputs = world.cfn.liveStack(STACK)!.outputs;
    world.ses.sending[outputs.ConfigurationSetName] = false;
    world.mappings[outputs.SenderEventSourceMappingId] = 'Disabled';
    expect((await stackInfo({ aws: world.aws, stackName: STACK })).sending).toEqual({ state: 'paused', configurationSetSending: false, senderMapping: 'Disabled' });
    world.mappings[outputs.SenderEventSourceMappingId] = 'Enabled';
    expect((await stackInfo({ aws: world.aws, stackName: STACK })).sending?.state).toBe('partly-paused');
  });

  it("shows the auto-pause alarms' states, with the value of one in ALARM", async () => {
    world.alarms = [autoPauseAlarm(STACK, 'bounce', 'ALARM', 0.062, 0.05), autoPauseAlarm(STACK, 'complaint', 'OK', 0, 0.001)];
    const info = await stackInfo({ aws: world.aws, stackName: STACK });
    expect(info.alarms).toEqual([
      expect.objectContaining({ name: 'mailengine-bounce-rate-auto-pause', state: 'ALARM', metric: 'Reputation.BounceRate', value: 0.062, threshold: 0.05 }),
      expect.objectContaining({ name: 'mailengine-complaint-rate-auto-pause', state: 'OK' }),
    ]);
    expect(world.calls.find((c) => c.command === 'DescribeAlarms')!.input).toMatchObject({ AlarmNamePrefix: 'mailengine-' });
  });

  it('an engine older than the CLI: suggests the upgrade; newer: suggests updating the CLI', async () => {
    const older = await stackInfo({ aws: world.aws, stackName: STACK, version: '0.2.0' });
    expect(older.version).toEqual({ engine: '0.1.0', cli: '0.2.0', relation: 'cli-newer', advice: 'Engine 0.1.0 is older than this CLI (0.2.0): run `mailengine deploy` to upgrade it.' });
    const newer = await stackInfo({ aws: world.aws, stackName: STACK, version: '0.1.0-rc.1' });
    expect(newer.version.relation).toBe('engine-newer');
    expect(newer.version.advice).toContain('npm i -g mailengine@0.1.0');
  });

  it('the sandbox, and an identity still pending', async () => {
    world.ses.account = { ...world.ses.account, ProductionAccessEnabled: false, SendQuota: { Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 12 } };
    world.ses.identities['example.com'] = { ...world.ses.identities['example.com'], VerifiedForSendingStatus: false, VerificationStatus: 'PENDING', DkimAttributes: { Status: 'PENDING' } };
    const info = await stackInfo({ aws: world.aws, stackName: STACK });
    expect(info.ses).toMatchObject({ productionAccess: false, maxSendRate: 1, max24HourSend: 200, sentLast24Hours: 12 });
    expect(info.identity).toMatchObject({ verifiedForSending: false, verificationStatus: 'PENDING', dkimStatus: 'PENDING' });
  });

  it('a part the credentials may not read is reported; the rest still shows, and the exit code says so', async () => {
    const denied = mockClient(ses.SESv2Client);
    denied.onAnyCommand().rejects(new FakeServiceError('AccessDeniedException', 'User: arn:aws:iam::123456789012:user/reader is not authorized to perform: ses:GetAccount', 403));
    try {
      const info = await stackInfo({ aws: world.aws, stackName: STACK });
      expect(info.stack.status).toBe('CREATE_COMPLETE');
      expect(info.queues).toHaveLength(4);
      expect(info.problems.map((p) => [p.section, p.code])).toEqual([
        ['ses', 'ACCESS_DENIED'],
        ['identity', 'ACCESS_DENIED'],
        ['sending', 'ACCESS_DENIED'],
      ]);
      const err = incompleteInfoError(info.problems);
      expect(err).toMatchObject({ code: 'INFO_INCOMPLETE', exitCode: ExitCode.Environment });
      expect(err.message).toContain('ses (Access denied: your credentials may not call ses:GetAccount');
    } finally {
      denied.restore();
    }
  });

  it('a stack without its outputs (a first install rolled back): a problem for each part it cannot read, and exit 4', async () => {
    const stack = world.cfn.liveStack(STACK)!;
    stack.outputs = {};
    world.cfn.forceStatus(STACK, 'ROLLBACK_COMPLETE');
    const info = await stackInfo({ aws: world.aws, stackName: STACK });
    expect(info.sending).toBeUndefined();
    expect(info.queues).toEqual([]);
    expect(info.problems).toEqual([
      {
        section: 'outputs',
        code: 'STACK_INCOMPLETE',
        message:
          'stack mailengine (ROLLBACK_COMPLETE) has no outputs ConfigurationSetName, SenderEventSourceMappingId, SendQueueUrl, SendDeadLetterQueueUrl, FeedbackQueueUrl, FeedbackDeadLetterQueueUrl, so its sending state and queues cannot be read',
        exitCode: ExitCode.NotFound,
      },
    ]);
    const err = incompleteInfoError(info.problems);
    expect(err.exitCode).toBe(ExitCode.NotFound);
    expect(err.suggestion).toContain('`mailengine deploy` completes or upgrades it');
  });

  it('every part it could not read is a problem: SES, identity, a queue, sending', async () => {
    const outputs = world.cfn.liveStack(STACK)!.outputs;
    world.queueDepths[outputs.SendQueueUrl] = { denied: true };
    const denied = mockClient(ses.SESv2Client);
    denied.onAnyCommand().rejects(new FakeServiceError('AccessDeniedException', 'not authorized', 403));
    try {
      const info = await stackInfo({ aws: world.aws, stackName: STACK });
      expect(info.problems.map((p) => p.section)).toEqual(['ses', 'identity', 'queue send', 'sending']);
    } finally {
      denied.restore();
    }
  });

  it('no stack: exit 4 with the way to install it', async () => {
    const err = await failure(stackInfo({ aws: world.aws, stackName: 'elsewhere' }));
    expect(err).toMatchObject({ code: 'STACK_NOT_FOUND', exitCode: ExitCode.NotFound, message: 'No stack named elsewhere in eu-west-1.' });
  });
});
