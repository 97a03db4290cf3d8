import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { ACCOUNT, REGION, createWorld, type World } from '../fixtures/stack/aws-world.js';
import { FIRST_INSTALL_PARAMETERS, STACK, failure, host, install, runDeploy, runDestroy } from '../fixtures/stack/harness.js';

const BUCKET = `mailengine-artifacts-${ACCOUNT}-${REGION}`;
/** Every resource RetainData decides about. */
const KEPT = [
  'FeedbackDeadLetterQueue',
  'FeedbackLogGroup',
  'FeedbackQueue',
  'PauseLogGroup',
  'SendDeadLetterQueue',
  'SendQueue',
  'SenderLogGroup',
  'SuppressionHashSecret',
  'SuppressionTable',
  'TemplatesBucket',
  'TrackingTable',
];

let world: World;
beforeEach(async () => {
  world = createWorld();
  await install(world);
});
afterEach(() => world.restore());

describe('destroy', () => {
  it('with RetainData=true: the user types the name, the stack goes, the data stays and its monthly cost is said', async () => {
    world.cfn.physical.get('mailengine-tracking')!.sizeBytes = 5 * 1024 ** 3;
    world.cfn.physical.get('mailengine-tracking')!.itemCount = 123456;
    const templatesBucket = world.cfn.liveStack(STACK)!.outputs.TemplatesBucketName;
    world.s3.buckets.set(templatesBucket, { owner: ACCOUNT, region: REGION, versioning: true, versions: [], settings: {} });
    world.s3.put(templatesBucket, 'templates/welcome/template.html', '<p>Hello</p>');

    const io = host({ interactive: true, answers: { 'destroy.confirm': true } });
    const result = await runDestroy(world, io);

    expect(result.action).toBe('deleted');
    const confirm = io.requests.find((r) => r.code === 'destroy.confirm')!;
    expect(confirm).toMatchObject({ kind: 'type-to-confirm', expected: STACK, message: 'Delete stack mailengine?' });
    const plan = io.messages.find((m) => m.code === 'destroy.plan')!;
    expect(plan.level).toBe('info');
    expect(plan.message).toContain('Kept (RetainData=true), about $2.65 a month while kept:');
    expect(plan.message).toContain('table mailengine-tracking, 5.0 GB, 123,456 items');
    expect(plan.message).toContain(`bucket ${templatesBucket}, 12 B, 1 object version`);
    expect(plan.message).toContain('secret mailengine-suppression-hash-key');
    expect(plan.message).toContain('queue mailengine-send, empty');
    expect(plan.message).toContain('log group /aws/lambda/mailengine-sender');
    expect(result.retained.map((r) => r.logicalId).sort()).toEqual(KEPT);
    // 5 GB × ($0.25 + $0.20) + $0.40 for the secret.
    expect(result.retainedMonthlyUsd).toBeCloseTo(2.65, 5);
    expect(result.deletedData).toEqual([]);

    expect(world.cfn.liveStack(STACK)).toBeUndefined();
    expect(world.cfn.physical.get('mailengine-tracking')).toMatchObject({ type: 'AWS::DynamoDB::Table', stackId: undefined });
    const events = world.cfn.stacks[0].events.map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`);
    expect(events).toContain('TrackingTable DELETE_SKIPPED');
    expect(events).toContain('SenderFunction DELETE_COMPLETE');
    // The artifacts bucket stays without --purge-artifacts.
    expect(world.s3.buckets.has(BUCKET)).toBe(true);
  });

  it('the retained tables are found by the next deploy, which offers to adopt them', async () => {
    await runDestroy(world, host({ yes: true }));
    const err = await failure(runDeploy(world, host(), { requireApproval: 'never', flagParameters: FIRST_INSTALL_PARAMETERS }));
    expect(err.code).toBe('RETAINED_DATA_EXISTS');
    const adopted = await runDeploy(world, host({ yes: true }), { adoptRetained: true, flagParameters: FIRST_INSTALL_PARAMETERS });
    // Everything named that RetainData kept; the bucket is unnamed, so a new one is made.
    expect(adopted.adopted.sort()).toEqual(KEPT.filter((id) => id !== 'TemplatesBucket'));
    expect(world.cfn.liveStack(STACK)!.status).toBe('UPDATE_COMPLETE');
  });

  it('without a terminal and without --yes: exit 2, nothing deleted', async () => {
    const err = await failure(runDestroy(world, host()));
    expect(err).toMatchObject({ code: 'PROMPT_REQUIRED', exitCode: ExitCode.Usage });
    expect(world.cfn.count('DeleteStack')).toBe(0);
    expect(world.cfn.liveStack(STACK)!.status).toBe('CREATE_COMPLETE');
  });

  it('a wrong name typed: exit 1, nothing deleted', async () => {
    const err = await failure(runDestroy(world, host({ interactive: true, answers: { 'destroy.confirm': false } })));
    expect(err).toMatchObject({ code: 'DESTROY_DECLINED', exitCode: ExitCode.Failed });
    expect(world.cfn.count('DeleteStack')).toBe(0);
  });

  it('with RetainData=false: warns loudly, empties the versioned templates bucket first, and keeps nothing', async () => {
    await runDeploy(world, host({ yes: true }), { flagParameters: { RetainData: 'false' } });
    const templatesBucket = world.cfn.liveStack(STACK)!.outputs.TemplatesBucketName;
    world.s3.buckets.set(templatesBucket, { owner: ACCOUNT, region: REGION, versioning: true, versions: [], settings: {} });
    world.s3.put(templatesBucket, 'templates/a/template.html', 'v1');
    world.s3.put(templatesBucket, 'templates/a/template.html', 'v2');

    const io = host({ yes: true });
    const result = await runDestroy(world, io);
    expect(io.messages.find((m) => m.code === 'destroy.plan')).toMatchObject({ level: 'warn' });
    expect(io.messages.find((m) => m.code === 'destroy.plan')!.message).toContain('DELETED for good, with all their data (RetainData=false):');
    expect(result.retained).toEqual([]);
    expect(result.deletedData.map((d) => d.logicalId).sort()).toEqual(KEPT);
    expect(world.s3.buckets.has(templatesBucket)).toBe(false);
    const emptied = world.s3.calls.findIndex((c) => c.command === 'DeleteObjects' && c.input.Bucket === templatesBucket);
    expect(emptied).toBeGreaterThan(-1);
    expect(world.cfn.physical.has('mailengine-tracking')).toBe(false);
  });

  it('--purge-artifacts deletes this stack’s code, every version, and the bucket when no other stack uses it', async () => {
    const result = await runDestroy(world, host({ yes: true }), { purgeArtifacts: true });
    expect(result.artifacts).toMatchObject({ bucket: BUCKET, bucketDeleted: true, otherStacks: [], absent: false });
    expect(result.artifacts!.deleted).toBe(4);
    expect(world.s3.buckets.has(BUCKET)).toBe(false);
  });

  it('--purge-artifacts keeps the bucket while another stack’s code is in it', async () => {
    world.s3.put(BUCKET, 'mailengine-staging/lambda/sender-0123456789abcdef.zip', 'other');
    const result = await runDestroy(world, host({ yes: true }), { purgeArtifacts: true });
    expect(result.artifacts).toMatchObject({ bucketDeleted: false, otherStacks: ['mailengine-staging'] });
    expect(world.s3.bucket(BUCKET).versions.map((v) => v.Key)).toEqual(['mailengine-staging/lambda/sender-0123456789abcdef.zip']);
  });

  it('no such stack: says so, exit 0', async () => {
    const io = host();
    const result = await runDestroy(world, io, { stackName: 'nothing-here' });
    expect(result.action).toBe('absent');
    expect(io.messages.find((m) => m.code === 'destroy.absent')?.message).toBe('No stack named nothing-here in eu-west-1: nothing to delete.');
    expect(world.cfn.count('DeleteStack')).toBe(0);
  });

  it('busy with --no-wait: refuses, exit 1', async () => {
    world.cfn.beginForeignUpdate(STACK, 3);
    const err = await failure(runDestroy(world, host({ yes: true }), { wait: false }));
    expect(err).toMatchObject({ code: 'STACK_BUSY', exitCode: ExitCode.Failed });
    expect(world.cfn.count('DeleteStack')).toBe(0);
  });

  it('busy: waits for the other operation, then deletes', async () => {
    world.cfn.beginForeignUpdate(STACK, 3);
    const result = await runDestroy(world, host({ yes: true }));
    expect(result.action).toBe('deleted');
  });

  it('a delete that fails names the resource and the reason (exit 1); the next destroy retries', async () => {
    world.cfn.failNextDeleteOn('SendQueue', 'Resource handler returned message: "Queue is in use"');
    const err = await failure(runDestroy(world, host({ yes: true })));
    expect(err).toMatchObject({ code: 'STACK_OPERATION_FAILED', exitCode: ExitCode.Failed });
    expect(err.message).toBe('Deleting stack mailengine failed (DELETE_FAILED). First failure: SendQueue (AWS::SQS::Queue) DELETE_FAILED: Resource handler returned message: "Queue is in use".');
    const io = host({ yes: true });
    const result = await runDestroy(world, io);
    expect(result.action).toBe('deleted');
    expect(io.messages.find((m) => m.code === 'destroy.retry')?.message).toContain('SendQueue (AWS::SQS::Queue) DELETE_FAILED');
  });
});

describe('destroy never deletes waiting requests without the user saying so', () => {
  const SEND = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/mailengine-send`;
  const SEND_DLQ = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/mailengine-send-dlq`;
  const backlog = () => {
    // A paused engine: requests wait, some are held by a receive, some delayed; a few dead-lettered.
    world.queueDepths[SEND] = { waiting: 120, inFlight: 3, delayed: 2 };
    world.queueDepths[SEND_DLQ] = 4;
  };

  it('counts every queue and DLQ (waiting, in flight and delayed) and lists them in the plan', async () => {
    backlog();
    const io = host({ interactive: true, answers: { 'destroy.delete-messages': true, 'destroy.confirm': true } });
    await runDestroy(world, io);
    const plan = io.messages.find((m) => m.code === 'destroy.plan')!.message;
    expect(plan).toContain('queue mailengine-send, 125 messages (120 waiting, 3 in flight, 2 delayed)');
    expect(plan).toContain('queue mailengine-send-dlq, 4 messages (4 waiting)');
    expect(plan).toContain('queue mailengine-feedback, empty');
    const counted = world.calls.filter((c) => c.command === 'GetQueueAttributes');
    expect(counted.map((c) => String(c.input.QueueUrl).split('/').pop()).sort()).toEqual(['mailengine-feedback', 'mailengine-feedback-dlq', 'mailengine-send', 'mailengine-send-dlq']);
    expect(counted[0].input.AttributeNames).toEqual(['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed']);
  });

  it('without a terminal, even with --yes: refuses (exit 2) naming the counts and how to drain or redrive them; nothing deleted', async () => {
    backlog();
    const err = await failure(runDestroy(world, host({ yes: true })));
    expect(err).toMatchObject({ code: 'MESSAGES_WAITING', exitCode: ExitCode.Usage });
    expect(err.message).toBe(
      "Requests are waiting in stack mailengine's queues (mailengine-send: 125 messages; mailengine-send-dlq: 4 messages); the queues would be kept, but nothing would process them.",
    );
    expect(err.suggestion).toContain('`mailengine resume --stack mailengine --region eu-west-1`');
    expect(err.suggestion).toContain('`mailengine dlq redrive --stack mailengine --region eu-west-1`');
    expect(err.suggestion).toContain('--force');
    expect(world.cfn.count('DeleteStack')).toBe(0);
  });

  it('with RetainData=false the refusal says the messages would be deleted', async () => {
    await runDeploy(world, host({ yes: true }), { flagParameters: { RetainData: 'false' } });
    backlog();
    const err = await failure(runDestroy(world, host({ yes: true })));
    expect(err.message).toContain('deleting the stack deletes them');
    expect(world.cfn.count('DeleteStack')).toBe(0);
  });

  it('on a terminal: asks first, naming the counts, default No; no means exit 1 and nothing deleted', async () => {
    backlog();
    const io = host({ interactive: true, answers: { 'destroy.delete-messages': false, 'destroy.confirm': true } });
    const err = await failure(runDestroy(world, io));
    expect(err).toMatchObject({ code: 'MESSAGES_WAITING', exitCode: ExitCode.Failed });
    const asked = io.requests.find((r) => r.code === 'destroy.delete-messages')!;
    expect(asked).toMatchObject({ kind: 'confirm', default: false, flag: '--force' });
    expect(asked.message).toContain('mailengine-send: 125 messages; mailengine-send-dlq: 4 messages');
    expect(io.requests.some((r) => r.code === 'destroy.confirm')).toBe(false);
    expect(world.cfn.count('DeleteStack')).toBe(0);
  });

  it('--yes on a terminal does not answer the question about messages', async () => {
    backlog();
    const err = await failure(runDestroy(world, host({ interactive: true, yes: true })));
    expect(err.code).toBe('MESSAGES_WAITING');
    expect(world.cfn.count('DeleteStack')).toBe(0);
  });

  it('messages that cannot be counted count as waiting', async () => {
    world.queueDepths[SEND] = { denied: true };
    const err = await failure(runDestroy(world, host({ yes: true })));
    expect(err.code).toBe('MESSAGES_WAITING');
    expect(err.message).toContain('mailengine-send: could not be counted');
    expect(world.cfn.count('DeleteStack')).toBe(0);
  });

  it('--force deletes without asking about the messages, and the result says how many there were', async () => {
    backlog();
    const io = host({ yes: true });
    const result = await runDestroy(world, io, { force: true });
    expect(result).toMatchObject({ action: 'deleted', messagesAtDelete: 129 });
    expect(io.requests.some((r) => r.code === 'destroy.delete-messages')).toBe(false);
    // RetainData=true: the queues, and what is in them, are still there.
    expect(world.cfn.physical.get('mailengine-send')).toMatchObject({ type: 'AWS::SQS::Queue', stackId: undefined });
  });

  it('empty queues: no question about messages', async () => {
    const io = host({ yes: true });
    await runDestroy(world, io);
    expect(io.requests.map((r) => r.code)).toEqual(['destroy.confirm']);
  });
});

describe('destroy reports what is left, as each service says', () => {
  it('looks every data resource up after the delete (DescribeTable, HeadBucket, GetQueueUrl, DescribeSecret, DescribeLogGroups)', async () => {
    const result = await runDestroy(world, host({ yes: true }));
    const deleteAt = world.cfn.calls.findIndex((c) => c.command === 'DeleteStack');
    expect(deleteAt).toBeGreaterThan(-1);
    const lookedUp = world.calls.filter((c) => ['DescribeTable', 'GetQueueUrl', 'DescribeSecret', 'DescribeLogGroups'].includes(c.command));
    expect(new Set(lookedUp.map((c) => c.command))).toEqual(new Set(['DescribeTable', 'GetQueueUrl', 'DescribeSecret', 'DescribeLogGroups']));
    expect(world.s3.calls.some((c) => c.command === 'HeadBucket' && c.input.Bucket === world.cfn.stacks[0].events.find((e) => e.LogicalResourceId === 'TemplatesBucket')?.PhysicalResourceId)).toBe(true);
    expect(result.retained.map((r) => r.logicalId).sort()).toEqual(KEPT);
    expect(result.unchecked).toEqual([]);
  });

  it('a table the delete removed after all is reported deleted, with a warning, not "still there"', async () => {
    world.cfn.deleteDespitePolicy('TrackingTable');
    const io = host({ yes: true });
    const result = await runDestroy(world, io);
    expect(result.retained.map((r) => r.logicalId)).not.toContain('TrackingTable');
    expect(result.deletedData.map((r) => r.logicalId)).toEqual(['TrackingTable']);
    expect(io.messages.find((m) => m.code === 'destroy.unexpected')?.message).toBe('table mailengine-tracking, 0 B, 0 items: expected to be kept, but it is gone.');
  });
});

describe('destroy from every stack status', () => {
  it('REVIEW_IN_PROGRESS (a first `deploy --no-execute`): nothing was installed, the review stack is deleted', async () => {
    await runDeploy(world, host({ yes: true }), { stackName: 'reviewed', execute: false, flagParameters: FIRST_INSTALL_PARAMETERS });
    expect(world.cfn.liveStack('reviewed')!.status).toBe('REVIEW_IN_PROGRESS');
    const io = host({ yes: true });
    const result = await runDestroy(world, io, { stackName: 'reviewed' });
    expect(result).toMatchObject({ action: 'deleted', retained: [], deletedData: [] });
    expect(io.messages.find((m) => m.code === 'destroy.plan')!.message).toContain('was never installed: it holds only a change set waiting for review');
    expect(world.cfn.liveStack('reviewed')).toBeUndefined();
  });

  it.each(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE', 'ROLLBACK_COMPLETE', 'CREATE_FAILED', 'ROLLBACK_FAILED', 'UPDATE_FAILED', 'UPDATE_ROLLBACK_FAILED', 'IMPORT_ROLLBACK_FAILED', 'DELETE_FAILED'])(
    '%s: plans, deletes, and reports what is left',
    async (status) => {
      world.cfn.forceStatus(STACK, status);
      const result = await runDestroy(world, host({ yes: true }));
      expect(result.action).toBe('deleted');
      expect(world.cfn.liveStack(STACK)).toBeUndefined();
      expect(result.retained.map((r) => r.logicalId).sort()).toEqual(KEPT);
    },
  );

  it.each([
    ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
    ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE'],
    ['UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE'],
    ['UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE'],
    ['ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE'],
    ['IMPORT_IN_PROGRESS', 'IMPORT_COMPLETE'],
    ['IMPORT_ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_COMPLETE'],
  ])('%s: waits for it to settle (%s), then deletes', async (status, settlesAs) => {
    world.cfn.beginForeignOperation(STACK, status, settlesAs, 2);
    const result = await runDestroy(world, host({ yes: true }));
    expect(result.action).toBe('deleted');
    expect(world.cfn.liveStack(STACK)).toBeUndefined();
  });

  it('DELETE_IN_PROGRESS: waits for that delete; then there is nothing left to delete', async () => {
    world.cfn.beginForeignOperation(STACK, 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 2);
    const result = await runDestroy(world, host({ yes: true }));
    expect(result.action).toBe('absent');
    expect(world.cfn.count('DeleteStack')).toBe(0);
  });
});
