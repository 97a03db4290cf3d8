import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  DeleteStackCommand,
} from '@aws-sdk/client-cloudformation';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCloudFormation } from '../helpers/fake-cloudformation.js';

/** The fake's promises from fake-cloudformation.md, checked through the real SDK client. */
const TEMPLATE = `
Parameters:
  Size: { Type: Number, Default: 1 }
  Owner: { Type: String }
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub \${AWS::StackName}-q
      DelaySeconds: !Ref Size
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: { Statement: [{ Effect: Allow, Principal: { Service: lambda.amazonaws.com }, Action: sts:AssumeRole }] }
Outputs:
  QueueUrl: { Value: !Ref Queue }
  Owner: { Value: !Ref Owner }
`;

let fake: FakeCloudFormation;
let handle: { restore: () => void };
const client = new CloudFormationClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'x' } });

beforeEach(() => {
  fake = new FakeCloudFormation({ readTemplate: () => TEMPLATE });
  handle = fake.install();
});
afterEach(() => handle.restore());

async function changeSet(type: 'CREATE' | 'UPDATE', name: string, parameters = [{ ParameterKey: 'Owner', ParameterValue: 'ops' }]) {
  const out = await client.send(
    new CreateChangeSetCommand({ StackName: 's', ChangeSetName: name, ChangeSetType: type, TemplateURL: 'https://b.s3.eu-west-1.amazonaws.com/t.yaml', Parameters: parameters, Capabilities: ['CAPABILITY_IAM'] }),
  );
  const statuses: string[] = [];
  for (let i = 0; i < 3; i++) statuses.push(String((await client.send(new DescribeChangeSetCommand({ ChangeSetName: out.Id! }))).Status));
  return { out, statuses, described: await client.send(new DescribeChangeSetCommand({ ChangeSetName: out.Id!, IncludePropertyValues: true })) };
}

async function settle(stack = 's'): Promise<string> {
  for (;;) {
    const status = String((await client.send(new DescribeStacksCommand({ StackName: stack }))).Stacks![0].StackStatus);
    if (!status.endsWith('_IN_PROGRESS')) return status;
  }
}

describe('the fake CloudFormation', () => {
  it('CREATE: REVIEW_IN_PROGRESS, change set pending then complete, execution event by event, outputs', async () => {
    const { out, statuses, described } = await changeSet('CREATE', 'one');
    expect(statuses).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE', 'CREATE_COMPLETE']);
    expect(described.ExecutionStatus).toBe('AVAILABLE');
    expect(described.Changes!.map((c) => [c.Type, c.ResourceChange!.Action, c.ResourceChange!.LogicalResourceId])).toEqual([
      ['Resource', 'Add', 'Queue'],
      ['Resource', 'Add', 'Role'],
    ]);
    expect((await client.send(new DescribeStacksCommand({ StackName: 's' }))).Stacks![0].StackStatus).toBe('REVIEW_IN_PROGRESS');
    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: out.Id!, ClientRequestToken: 'tok' }));
    expect(await settle()).toBe('CREATE_COMPLETE');
    const stack = (await client.send(new DescribeStacksCommand({ StackName: 's' }))).Stacks![0];
    expect(stack.Outputs).toEqual([
      { OutputKey: 'QueueUrl', OutputValue: 'https://sqs.eu-west-1.amazonaws.com/123456789012/s-q', Description: 'QueueUrl output' },
      { OutputKey: 'Owner', OutputValue: 'ops', Description: 'Owner output' },
    ]);
    const events = (await client.send(new DescribeStackEventsCommand({ StackName: 's' }))).StackEvents!;
    // Newest first; the operation's events carry its token.
    expect(events[0]).toMatchObject({ LogicalResourceId: 's', ResourceStatus: 'CREATE_COMPLETE', ClientRequestToken: 'tok' });
    expect(events.at(-1)).toMatchObject({ ResourceStatus: 'REVIEW_IN_PROGRESS' });
  });

  it('nothing to change: FAILED with the documented reason; parameters-only: complete with no changes', async () => {
    const first = await changeSet('CREATE', 'one');
    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: first.out.Id! }));
    await settle();
    const same = await changeSet('UPDATE', 'two');
    expect(same.described).toMatchObject({ Status: 'FAILED', ExecutionStatus: 'UNAVAILABLE', StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set." });
    const renamed = await changeSet('UPDATE', 'three', [{ ParameterKey: 'Owner', ParameterValue: 'someone-else' }]);
    expect(renamed.described).toMatchObject({ Status: 'CREATE_COMPLETE', Changes: [] });
    const resized = await changeSet('UPDATE', 'four', [{ ParameterKey: 'Owner', UsePreviousValue: true } as never, { ParameterKey: 'Size', ParameterValue: '5' }]);
    const change = resized.described.Changes![0].ResourceChange!;
    expect(change).toMatchObject({ Action: 'Modify', LogicalResourceId: 'Queue', Replacement: 'False', Scope: ['Properties'] });
    expect(change.Details![0].Target).toEqual({ Attribute: 'Properties', Name: 'DelaySeconds', Path: '/Properties/DelaySeconds', RequiresRecreation: 'Never', AttributeChangeType: 'Modify', BeforeValue: '1', AfterValue: '5' });
  });

  it('errors as CloudFormation raises them', async () => {
    const reject = (p: Promise<unknown>) => p.then(() => undefined, (e: Error & { $metadata?: { httpStatusCode?: number } }) => [e.name, e.message]);
    expect(await reject(client.send(new DescribeStacksCommand({ StackName: 'nope' })))).toEqual(['ValidationError', 'Stack with id nope does not exist']);
    expect(await reject(client.send(new CreateChangeSetCommand({ StackName: 's', ChangeSetName: 'x', ChangeSetType: 'UPDATE', TemplateURL: 'u' })))).toEqual(['ValidationError', 'Stack [s] does not exist']);
    expect(await reject(client.send(new CreateChangeSetCommand({ StackName: 's', ChangeSetName: 'x', ChangeSetType: 'CREATE', TemplateURL: 'u', Parameters: [{ ParameterKey: 'Owner', ParameterValue: 'o' }] })))).toEqual([
      'InsufficientCapabilitiesException',
      'Requires capabilities : [CAPABILITY_IAM]',
    ]);
    expect(await reject(client.send(new CreateChangeSetCommand({ StackName: 's', ChangeSetName: 'x', ChangeSetType: 'CREATE', TemplateURL: 'u', Capabilities: ['CAPABILITY_IAM'] })))).toEqual([
      'ValidationError',
      'Parameters: [Owner] must have values',
    ]);
    expect(await reject(client.send(new CreateStackCommand({ StackName: 's' })))).toEqual(['Error', 'the CLI must not call CreateStack: it deploys through change sets']);
  });

  it('a failed create rolls back with cancellations, and ends ROLLBACK_COMPLETE; delete by id shows DELETE_COMPLETE', async () => {
    fake.failNextExecutionOn('Queue', 'boom');
    const { out } = await changeSet('CREATE', 'one');
    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: out.Id! }));
    expect(await settle()).toBe('ROLLBACK_COMPLETE');
    const events = (await client.send(new DescribeStackEventsCommand({ StackName: 's' }))).StackEvents!.map((e) => `${e.LogicalResourceId} ${e.ResourceStatus} ${e.ResourceStatusReason ?? ''}`.trim());
    expect(events.reverse()).toEqual([
      's REVIEW_IN_PROGRESS User Initiated',
      's CREATE_IN_PROGRESS User Initiated',
      'Queue CREATE_IN_PROGRESS',
      'Queue CREATE_FAILED boom',
      'Role CREATE_FAILED Resource creation cancelled',
      's ROLLBACK_IN_PROGRESS The following resource(s) failed to create: [Queue]. Rollback requested by user.',
      's ROLLBACK_COMPLETE',
    ]);
    const id = out.StackId!;
    await client.send(new DeleteStackCommand({ StackName: 's' }));
    await settle(id);
    expect((await client.send(new DescribeStacksCommand({ StackName: id }))).Stacks![0].StackStatus).toBe('DELETE_COMPLETE');
    await expect(client.send(new DescribeStacksCommand({ StackName: 's' }))).rejects.toThrow('does not exist');
  });

  it('nextChangeSetEmptyButAvailable: a change set with nothing in it that can still be executed', async () => {
    const first = await changeSet('CREATE', 'one');
    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: first.out.Id! }));
    await settle();
    fake.nextChangeSetEmptyButAvailable();
    const same = await changeSet('UPDATE', 'two');
    expect(same.described).toMatchObject({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [] });
    // Only the next one: after it, nothing to change is FAILED again.
    expect((await changeSet('UPDATE', 'three')).described.Status).toBe('FAILED');
  });

  it('exists, deleteDespitePolicy, onResourceDeleted: what a delete keeps and what it removes', async () => {
    const retaining = TEMPLATE.replace('    Type: AWS::SQS::Queue\n', '    Type: AWS::SQS::Queue\n    DeletionPolicy: Retain\n');
    const deleted: string[] = [];
    const kept = new FakeCloudFormation({ readTemplate: () => retaining, onResourceDeleted: (r) => deleted.push(r.type) });
    handle.restore();
    handle = kept.install();
    const { out } = await changeSet('CREATE', 'one');
    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: out.Id! }));
    await settle();
    const url = 'https://sqs.eu-west-1.amazonaws.com/123456789012/s-q';
    expect([kept.exists('AWS::SQS::Queue', 's-q'), kept.exists('AWS::SQS::Queue', url)]).toEqual([true, true]);
    await client.send(new DeleteStackCommand({ StackName: 's' }));
    await settle(out.StackId!);
    // Retained: still there by name and URL (its import identifier), outside any stack.
    expect(kept.exists('AWS::SQS::Queue', url)).toBe(true);
    expect(kept.physical.get('s-q')).toMatchObject({ type: 'AWS::SQS::Queue', stackId: undefined, arn: url });
    expect(deleted).toEqual(['AWS::IAM::Role']);

    // A second stack that adds the same queue collides with the retained one.
    const again = await changeSet('CREATE', 'two');
    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: again.out.Id! }));
    expect(await settle()).toBe('ROLLBACK_COMPLETE');
    const reasons = (await client.send(new DescribeStackEventsCommand({ StackName: 's' }))).StackEvents!.map((e) => e.ResourceStatusReason ?? '');
    expect(reasons).toContain("Resource of type 'AWS::SQS::Queue' with identifier 's-q' already exists.");
  });

  it('deleteDespitePolicy removes a retained resource on the next delete', async () => {
    const retaining = TEMPLATE.replace('    Type: AWS::SQS::Queue\n', '    Type: AWS::SQS::Queue\n    DeletionPolicy: Retain\n');
    const kept = new FakeCloudFormation({ readTemplate: () => retaining });
    handle.restore();
    handle = kept.install();
    const { out } = await changeSet('CREATE', 'one');
    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: out.Id! }));
    await settle();
    kept.deleteDespitePolicy('Queue');
    await client.send(new DeleteStackCommand({ StackName: 's' }));
    await settle(out.StackId!);
    expect(kept.exists('AWS::SQS::Queue', 's-q')).toBe(false);
    const events = (await client.send(new DescribeStackEventsCommand({ StackName: out.StackId! }))).StackEvents!.map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}`);
    expect(events).toContain('Queue DELETE_COMPLETE');
  });

  it('beginForeignOperation: any in-progress status, settling after the polls given; a delete takes the resources', async () => {
    const { out } = await changeSet('CREATE', 'one');
    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: out.Id! }));
    await settle();
    fake.beginForeignOperation('s', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE', 2);
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await client.send(new DescribeStacksCommand({ StackName: 's' }))).Stacks![0].StackStatus);
    expect(seen).toEqual(['UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']);
    fake.beginForeignOperation('s', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 1);
    await settle(out.StackId!);
    expect(fake.exists('AWS::SQS::Queue', 's-q')).toBe(false);
    await expect(client.send(new DescribeStacksCommand({ StackName: 's' }))).rejects.toThrow('does not exist');
  });

  it('pages events', async () => {
    const paged = new FakeCloudFormation({ readTemplate: () => TEMPLATE, eventsPageSize: 2 });
    handle.restore();
    handle = paged.install();
    const { out } = await changeSet('CREATE', 'one');
    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: out.Id! }));
    await settle();
    const first = await client.send(new DescribeStackEventsCommand({ StackName: 's' }));
    expect(first.StackEvents).toHaveLength(2);
    expect(first.NextToken).toBe('2');
  });
});
