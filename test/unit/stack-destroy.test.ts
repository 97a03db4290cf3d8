import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { ACCOUNT, REGION, createWorld, type World } from '../fixtures/stack/aws-world.js';
import { FIRST_INSTALL_PARAMETERS, STACK, failure, host, install, runDeploy, runDestroy } from '../fixtures/stack/harness.js';

const BUCKET = `mailengine-artifacts-${ACCOUNT}-${REGION}`;

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
    expect(result.retained.map((r) => r.logicalId).sort()).toEqual(['SuppressionHashSecret', 'SuppressionTable', 'TemplatesBucket', 'TrackingTable']);
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
    const adopted = await runDeploy(world, host({ yes: true }), { yes: true, adoptRetained: true, flagParameters: FIRST_INSTALL_PARAMETERS });
    expect(adopted.adopted.sort()).toEqual(['SuppressionHashSecret', 'SuppressionTable', 'TrackingTable']);
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
    await runDeploy(world, host({ yes: true }), { yes: true, flagParameters: { RetainData: 'false' } });
    const templatesBucket = world.cfn.liveStack(STACK)!.outputs.TemplatesBucketName;
    world.s3.buckets.set(templatesBucket, { owner: ACCOUNT, region: REGION, versioning: true, versions: [], settings: {} });
    world.s3.put(templatesBucket, 'templates/a/template.html', 'v1');
    world.s3.put(templatesBucket, 'templates/a/template.html', 'v2');

    const io = host({ yes: true });
    const result = await runDestroy(world, io);
    expect(io.messages.find((m) => m.code === 'destroy.plan')).toMatchObject({ level: 'warn' });
    expect(io.messages.find((m) => m.code === 'destroy.plan')!.message).toContain('DELETED for good, with all their data (RetainData=false):');
    expect(result.retained).toEqual([]);
    expect(result.deletedData.map((d) => d.logicalId).sort()).toEqual(['SuppressionHashSecret', 'SuppressionTable', 'TemplatesBucket', 'TrackingTable']);
    expect(world.s3.bucket(templatesBucket).versions).toEqual([]);
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
