import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { IoRequest } from '../../src/io/io-host.js';
import type { MessageCode } from '../../src/io/message-codes.js';
import { RecordingIoHost } from '../helpers/recording-io-host.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { FakeServiceError } from '../helpers/fake-cloudformation.js';
import type { StackDiff } from '../../src/stack/diff.js';
import { ACCOUNT, ENGINE_TEMPLATE, REGION, createWorld, lambdaDir, type World } from '../fixtures/stack/aws-world.js';
import { FIRST_INSTALL_PARAMETERS, STACK, editedTemplate, failure, host, install, runDeploy } from '../fixtures/stack/harness.js';

const BUCKET = `mailengine-artifacts-${ACCOUNT}-${REGION}`;

let world: World;
beforeEach(() => {
  world = createWorld();
});
afterEach(() => world.restore());

const confirmCodes = (io: RecordingIoHost) => io.requests.map((r: IoRequest) => r.code);
const diffOf = (io: RecordingIoHost) => io.messages.find((m) => m.code === 'deploy.diff')!;

describe('deploy: first install', () => {
  it('uploads the code, creates a CREATE change set, shows the diff, asks, executes and returns the outputs', async () => {
    const io = host({ interactive: true, answers: { 'deploy.parameter.DefaultFromEmail': 'no-reply@example.com', 'deploy.approve': true } });
    const result = await runDeploy(world, io, { flagParameters: { SenderIdentity: 'example.com', AdminEmail: 'ops@example.com' } });

    expect(result).toMatchObject({ action: 'created', stackName: STACK, region: REGION, account: ACCOUNT, engineVersion: '0.1.0', stackStatus: 'CREATE_COMPLETE' });
    expect(result.outputs).toMatchObject({ EventBusName: 'mailengine-bus', TrackingTableName: 'mailengine-tracking', EngineVersion: '0.1.0' });

    // Change set, never CreateStack: capabilities for the IAM roles and the transform.
    const [create] = world.cfn.inputsOf('CreateChangeSet');
    expect(create).toMatchObject({ StackName: STACK, ChangeSetType: 'CREATE', Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'] });
    expect(String(create.TemplateURL)).toMatch(new RegExp(`^https://${BUCKET}\\.s3\\.${REGION}\\.amazonaws\\.com/mailengine/templates/[0-9a-f]{16}\\.yaml$`));
    const sent = Object.fromEntries((create.Parameters as Array<{ ParameterKey: string; ParameterValue?: string }>).map((p) => [p.ParameterKey, p.ParameterValue]));
    expect(sent).toMatchObject({ SenderIdentity: 'example.com', AdminEmail: 'ops@example.com', DefaultFromEmail: 'no-reply@example.com', CodeBucket: BUCKET, EngineVersion: '0.1.0' });
    expect(sent.SenderCodeKey).toMatch(/^mailengine\/lambda\/sender-[0-9a-f]{16}\.zip$/);
    expect(create.Tags).toEqual(expect.arrayContaining([{ Key: 'mailengine:engine-version', Value: '0.1.0' }, { Key: 'mailengine:managed-by', Value: 'mailengine' }]));
    expect(world.cfn.count('ExecuteChangeSet')).toBe(1);

    // The diff came first, with the IAM section, then the question.
    const diff = diffOf(io);
    expect(diff.message).toContain('Install stack mailengine in eu-west-1');
    expect(diff.message).toContain('IAM and security changes');
    expect(diff.message).toMatch(/\+ Allow ses:SendEmail on arn:aws:ses:eu-west-1:123456789012:identity\/example\.com/);
    expect(confirmCodes(io)).toEqual(['deploy.parameter.DefaultFromEmail', 'deploy.approve']);
    expect((io.requests.find((r) => r.code === 'deploy.approve') as { message: string }).message).toBe('Deploy these changes to stack mailengine?');
    expect(io.messages.find((m) => m.code === 'deploy.approval-needed')?.message).toMatch(/^Approval needed: it changes permissions or security settings of \w+, \w+, \w+ and \d+ more\.$/);

    // Progress was streamed while it ran, and the first-install reminder given.
    const execution = io.progressLog.find((p) => p.code === 'deploy.execute')!;
    expect(execution.outcome).toBe('succeed');
    expect(execution.messages.some((m) => m.includes('CREATE_COMPLETE') && m.includes('TrackingTable'))).toBe(true);
    expect(io.codes()).toContain('deploy.confirm-subscription');
  });

  it('creates the artifacts bucket private, encrypted, TLS-only, versioned, with a lifecycle, and uploads only what is new', async () => {
    await install(world);
    const bucket = world.s3.bucket(BUCKET);
    expect(bucket.versioning).toBe(true);
    expect(bucket.settings.PutPublicAccessBlock).toMatchObject({
      ExpectedBucketOwner: ACCOUNT,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    });
    expect(bucket.settings.PutBucketEncryption).toMatchObject({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } });
    const policy = JSON.parse(String((bucket.settings.PutBucketPolicy as { Policy: string }).Policy));
    expect(policy.Statement[0]).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    const rules = (bucket.settings.PutBucketLifecycleConfiguration as { LifecycleConfiguration: { Rules: Array<{ ID: string }> } }).LifecycleConfiguration.Rules;
    expect(rules.map((r) => r.ID)).toEqual(['expire-old-versions', 'expire-templates']);
    expect(world.s3.calls.filter((c) => c.command === 'CreateBucket')).toHaveLength(1);

    // The same code again: nothing re-uploaded, bucket reused.
    const again = await runDeploy(world, host());
    expect(again.artifacts.bucketCreated).toBe(false);
    expect(again.artifacts.files.every((f) => f.state === 'reused')).toBe(true);
    expect(world.s3.calls.filter((c) => c.command === 'CreateBucket')).toHaveLength(1);
  });

  it('asks for the required parameters on a terminal, checking each answer', async () => {
    const io = host({
      interactive: true,
      answers: { 'deploy.parameter.SenderIdentity': 'example.com', 'deploy.parameter.DefaultFromEmail': 'hello@example.com', 'deploy.parameter.AdminEmail': 'ops@example.com', 'deploy.approve': true },
    });
    const result = await runDeploy(world, io);
    expect(result.action).toBe('created');
    const requests = io.requests.filter((r) => r.kind === 'input') as Array<Extract<IoRequest, { kind: 'input' }>>;
    expect(requests.map((r) => r.code)).toEqual(['deploy.parameter.SenderIdentity', 'deploy.parameter.DefaultFromEmail', 'deploy.parameter.AdminEmail']);
    const fromEmail = requests[1];
    expect(fromEmail.default).toBe('no-reply@example.com');
    expect(fromEmail.validate?.('someone@elsewhere.org')).toMatch(/an address at example\.com/);
    expect(requests[2].validate?.('not-an-address')).toBe('AdminEmail must be an email address');
    expect(requests[0].flag).toBe('--parameters SenderIdentity=<value>');
  });

  it('without a terminal and without --yes: exit 2 before anything is created or uploaded', async () => {
    const err = await failure(runDeploy(world, host(), { flagParameters: FIRST_INSTALL_PARAMETERS }));
    expect(err.code).toBe('APPROVAL_REQUIRED');
    expect(err.exitCode).toBe(ExitCode.Usage);
    expect(err.suggestion).toMatch(/Nothing was changed.*--yes/);
    for (const command of ['CreateChangeSet', 'ExecuteChangeSet', 'CreateStack', 'DeleteStack']) expect(world.cfn.count(command), command).toBe(0);
    expect(world.s3.calls.filter((c) => c.command === 'CreateBucket' || c.command === 'PutObject')).toEqual([]);
    expect(world.cfn.liveStack(STACK)).toBeUndefined();
  });

  it('without a terminal, a required parameter nobody gave stops with exit 2 naming the flag', async () => {
    const err = await failure(runDeploy(world, host({ yes: true }), { flagParameters: { SenderIdentity: 'example.com' } }));
    // DefaultFromEmail took its offered default (no-reply@example.com); AdminEmail has none.
    expect(err).toMatchObject({ code: 'PROMPT_REQUIRED', exitCode: ExitCode.Usage });
    expect(err.suggestion).toBe('Pass it with --parameters AdminEmail=<value>.');
    expect(world.cfn.count('CreateChangeSet')).toBe(0);
  });

  it('refuses bad parameter values before any AWS call', async () => {
    const err = await failure(runDeploy(world, host({ yes: true }), { flagParameters: { ...FIRST_INSTALL_PARAMETERS, SendConcurrency: '5000', Colour: 'blue', EngineVersion: '9.9.9' } }));
    expect(err).toMatchObject({ code: 'PARAMETER_INVALID', exitCode: ExitCode.Usage });
    expect(err.message).toContain('SendConcurrency must be at most 1000');
    expect(err.message).toContain('Colour (from --parameters) is not a parameter of the engine template');
    expect(err.message).toContain('EngineVersion (from --parameters) is set by `mailengine deploy` itself');
    expect(world.cfn.calls).toEqual([]);
  });

  it('names the Lambda zip that is missing, before touching AWS', async () => {
    const err = await failure(runDeploy(world, host({ yes: true }), { flagParameters: FIRST_INSTALL_PARAMETERS, files: { template: ENGINE_TEMPLATE, lambdaDir: lambdaDir({}, ['pause']) } }));
    expect(err).toMatchObject({ code: 'LAMBDA_CODE_MISSING', exitCode: ExitCode.Environment });
    expect(err.message).toMatch(/The Lambda package for pause is missing from .*manifest\.json \(it lists feedback, sender\)/);
    expect(world.calls).toEqual([]);
    expect(world.cfn.calls).toEqual([]);
  });

  it('stops on an SES identity that does not exist (exit 4), and warns about the sandbox and the send rate', async () => {
    const missing = await failure(runDeploy(world, host({ yes: true }), { flagParameters: { ...FIRST_INSTALL_PARAMETERS, SenderIdentity: 'exmaple.com', DefaultFromEmail: 'no-reply@exmaple.com' } }));
    expect(missing).toMatchObject({ code: 'IDENTITY_NOT_FOUND', exitCode: ExitCode.NotFound });
    expect(missing.suggestion).toContain('aws sesv2 create-email-identity --email-identity exmaple.com --region eu-west-1');
    expect(world.cfn.count('CreateChangeSet')).toBe(0);

    world.restore();
    world = createWorld({ production: false });
    world.ses.identities['example.com'] = { ...world.ses.identities['example.com'], VerifiedForSendingStatus: false, VerificationStatus: 'PENDING' };
    const io = host({ yes: true });
    const result = await runDeploy(world, io, { flagParameters: FIRST_INSTALL_PARAMETERS });
    expect(result.action).toBe('created');
    expect(io.codes()).toEqual(expect.arrayContaining(['deploy.preflight.sandbox', 'deploy.preflight.send-rate', 'deploy.preflight.identity-unverified']));
    expect(result.warnings.find((w) => w.startsWith('SendConcurrency'))).toBe(
      'SendConcurrency 10 is above your SES maximum send rate of 1 per second: sends beyond it are throttled and retried. --parameters SendConcurrency=2 keeps within it.',
    );
  });

  it('an SES account read that fails for another reason than access is a warning that says what SES answered, not a missing stack', async () => {
    world.ses.accountError = new FakeServiceError('NotFoundException', 'Account details not found.', 404);
    const io = host({ yes: true });
    const result = await runDeploy(world, io, { flagParameters: FIRST_INSTALL_PARAMETERS });
    expect(result.action).toBe('created');
    expect(io.codes()).toContain('deploy.preflight.skipped');
    const warning = result.warnings.find((w) => w.startsWith('Could not check the SES account'));
    expect(warning).toBe('Could not check the SES account: SES answered NotFoundException (HTTP 404). The deploy goes on without this check.');
    expect(result.warnings.join('\n')).not.toMatch(/stack/i);
  });

  it('fills MaxSendRate from the SES account unless it was given, and warns when a given one is above the account’s', async () => {
    const io = host({ yes: true });
    await runDeploy(world, io, { flagParameters: FIRST_INSTALL_PARAMETERS });
    // GetAccount: SendQuota.MaxSendRate 14.
    expect(world.cfn.liveStack(STACK)?.parameters.MaxSendRate).toBe('14');
    expect(io.codes()).not.toContain('deploy.preflight.max-send-rate');

    const over = host({ yes: true });
    const result = await runDeploy(world, over, { flagParameters: { MaxSendRate: '50' } });
    expect(world.cfn.liveStack(STACK)?.parameters.MaxSendRate).toBe('50');
    expect(over.codes()).toContain('deploy.preflight.max-send-rate');
    expect(result.warnings).toContain(
      "MaxSendRate 50 is above your SES maximum send rate of 14 per second: SES throttles the sends over it (they wait and go out later, never lost, but slower than paced). Leave MaxSendRate out to use the account's rate.",
    );

    // Not given again: back to the account's rate.
    await runDeploy(world, host({ yes: true }), {});
    expect(world.cfn.liveStack(STACK)?.parameters.MaxSendRate).toBe('14');
  });

  it('--no-execute leaves the change set for review and prints how to execute it', async () => {
    const result = await runDeploy(world, host(), { execute: false, flagParameters: FIRST_INSTALL_PARAMETERS });
    expect(result.action).toBe('change-set-created');
    expect(result.changeSet!.executeCommand).toMatch(/^aws cloudformation execute-change-set --change-set-name arn:aws:cloudformation:eu-west-1:123456789012:changeSet\/mailengine-\d{8}T\d{6}-[0-9a-f]{4}\/.+ --region eu-west-1$/);
    expect(world.cfn.count('ExecuteChangeSet')).toBe(0);
    expect(world.cfn.count('DeleteChangeSet')).toBe(0);
    expect(world.cfn.liveStack(STACK)?.status).toBe('REVIEW_IN_PROGRESS');

    // The next deploy installs through the waiting stack.
    const installed = await install(world);
    expect(installed.action).toBe('created');
  });

  it('declining on a terminal deletes the change set and the empty review stack (exit 1)', async () => {
    const err = await failure(runDeploy(world, host({ interactive: true, answers: { 'deploy.approve': false } }), { flagParameters: FIRST_INSTALL_PARAMETERS }));
    expect(err).toMatchObject({ code: 'DEPLOY_DECLINED', exitCode: ExitCode.Failed });
    expect(world.cfn.count('DeleteChangeSet')).toBe(1);
    expect(world.cfn.count('ExecuteChangeSet')).toBe(0);
    expect(world.cfn.liveStack(STACK)).toBeUndefined();
  });

  it('writes --outputs-file as one JSON object', async () => {
    const result = await install(world, { outputsFile: 'out/stack.json' });
    const written = JSON.parse(readFileSync(result.outputsFile!, 'utf8'));
    expect(written).toEqual(result.outputs);
    expect(result.outputsFile).toMatch(/out\/stack\.json$/);
  });
});

describe('deploy: upgrades', () => {
  beforeEach(async () => {
    await install(world);
  });

  it('no changes: exit 0 with one line, the empty change set deleted, nothing executed', async () => {
    const io = host();
    const result = await runDeploy(world, io);
    expect(result).toMatchObject({ action: 'no-changes', stackStatus: 'CREATE_COMPLETE', previousEngineVersion: '0.1.0' });
    expect(result.outputs.EventBusName).toBe('mailengine-bus');
    expect(world.cfn.count('ExecuteChangeSet')).toBe(1);
    expect(world.cfn.count('DeleteChangeSet')).toBe(1);
    expect(io.requests).toEqual([]);
  });

  it('a change set that changes nothing but is still executable: exit 0, deleted, never executed', async () => {
    world.cfn.nextChangeSetEmptyButAvailable();
    const io = host();
    // Values given again, defaulted and kept (UsePreviousValue) all match what the stack has.
    const result = await runDeploy(world, io, { flagParameters: { SenderIdentity: 'example.com', SendConcurrency: '10' } });
    expect(result).toMatchObject({ action: 'no-changes', stackStatus: 'CREATE_COMPLETE' });
    expect(world.cfn.count('ExecuteChangeSet')).toBe(1);
    expect(world.cfn.count('DeleteChangeSet')).toBe(1);
    expect(io.messages.some((m) => m.code === 'deploy.diff')).toBe(false);
    expect(io.requests).toEqual([]);
  });

  it('a NoEcho value (masked as **** by DescribeStacks) and a resolved value are not changes', async () => {
    const { buildDiff } = await import('../../src/stack/diff.js');
    const diff = buildDiff('UPDATE', [], { Secret: '****', Ssm: 'resolved-value', Same: 'a' }, { Secret: 'typed-again', Ssm: '/mailengine/ssm-path', Same: 'a' }, { Ssm: '/mailengine/ssm-path' });
    expect(diff.parameters).toEqual([]);
  });

  it('a change that is only parameters lists each parameter with its old and new value, and executes', async () => {
    const template = editedTemplate((t) => t.replace('\nParameters:\n', "\nParameters:\n  Note:\n    Type: String\n    Description: A note kept with the stack.\n    Default: ''\n"));
    world.restore();
    world = createWorld();
    await install(world, { files: { template, lambdaDir: lambdaDir() } });
    const io = host({ yes: true });
    const result = await runDeploy(world, io, { flagParameters: { Note: 'hello' }, files: { template, lambdaDir: lambdaDir() } });
    expect(result.action).toBe('updated');
    const message = diffOf(io).message;
    expect(message).toContain('Parameters');
    expect(message).toMatch(/^ {2}Note +\(empty\) -> hello$/m);
    expect(message).toContain('Resources: none change; only the parameter values above do.');
    expect(world.cfn.liveStack(STACK)!.parameters.Note).toBe('hello');
  });

  it('keeps every parameter not given (UsePreviousValue), and applies the config file and flags', async () => {
    const io = host({ yes: true });
    const result = await runDeploy(world, io, { configParameters: { SendConcurrency: '20' }, flagParameters: { DataRetentionDays: '120' } });
    expect(result.action).toBe('updated');
    const params = world.cfn.inputsOf('CreateChangeSet')[1].Parameters as Array<{ ParameterKey: string; ParameterValue?: string; UsePreviousValue?: boolean }>;
    const byName = Object.fromEntries(params.map((p) => [p.ParameterKey, p]));
    for (const name of ['SenderIdentity', 'AdminEmail', 'DefaultFromEmail']) expect(byName[name]).toEqual({ ParameterKey: name, UsePreviousValue: true });
    expect(byName.SendConcurrency).toEqual({ ParameterKey: 'SendConcurrency', ParameterValue: '20' });
    expect(byName.DataRetentionDays).toEqual({ ParameterKey: 'DataRetentionDays', ParameterValue: '120' });
    expect(io.requests.filter((r) => r.kind === 'input')).toEqual([]);
    expect(world.cfn.liveStack(STACK)!.parameters).toMatchObject({ AdminEmail: 'ops@example.com', SendConcurrency: '20', DataRetentionDays: '120' });
    const diff = (diffOf(io).data as { diff: StackDiff }).diff;
    expect(diff.parameters).toEqual([
      { name: 'DataRetentionDays', before: '90', after: '120' },
      { name: 'SendConcurrency', before: '10', after: '20' },
    ]);
  });

  it('a new release with new code and a wider IAM policy: the diff shows both, approval is asked, the stack records the version', async () => {
    const template = editedTemplate((t) => t.replace('Action: [dynamodb:GetItem, dynamodb:BatchGetItem]', 'Action: [dynamodb:GetItem, dynamodb:BatchGetItem, dynamodb:Scan]'));
    const io = host({ interactive: true, answers: { 'deploy.approve': true } });
    const result = await runDeploy(world, io, { version: '0.2.0', files: { template, lambdaDir: lambdaDir({ sender: 'sender handler code v2' }) } });

    expect(result).toMatchObject({ action: 'updated', previousEngineVersion: '0.1.0', engineVersion: '0.2.0', stackStatus: 'UPDATE_COMPLETE' });
    expect(result.artifacts.files.map((f) => [f.key.replace(/[-/][0-9a-f]{16}/, ''), f.state])).toEqual([
      ['mailengine/lambda/sender.zip', 'uploaded'],
      ['mailengine/lambda/feedback.zip', 'reused'],
      ['mailengine/lambda/pause.zip', 'reused'],
      ['mailengine/templates.yaml', 'uploaded'],
    ]);
    const diff = (diffOf(io).data as { diff: StackDiff }).diff;
    expect(diff.type).toBe('UPDATE');
    expect(diff.parameters.map((p) => p.name)).toEqual(['EngineVersion', 'SenderCodeKey']);
    const sender = diff.resources.find((r) => r.logicalId === 'SenderFunction')!;
    expect(sender).toMatchObject({ action: 'modify', security: false });
    expect(sender.properties.map((p) => p.path)).toEqual(['/Properties/Code', '/Properties/Environment']);
    expect(diff.statements).toEqual([
      { logicalId: 'SenderRole', type: 'AWS::IAM::Role', change: 'added', statement: 'Allow dynamodb:GetItem, dynamodb:BatchGetItem, dynamodb:Scan on <getatt:SuppressionTable.Arn>' },
      { logicalId: 'SenderRole', type: 'AWS::IAM::Role', change: 'removed', statement: 'Allow dynamodb:GetItem, dynamodb:BatchGetItem on <getatt:SuppressionTable.Arn>' },
    ]);
    expect(diffOf(io).message).toContain('Upgrade stack mailengine in eu-west-1 (account 123456789012), engine 0.1.0 -> 0.2.0:');
    expect(confirmCodes(io)).toEqual(['deploy.approve']);

    const stack = world.cfn.liveStack(STACK)!;
    expect(stack.parameters.EngineVersion).toBe('0.2.0');
    expect(stack.tags).toContainEqual({ Key: 'mailengine:engine-version', Value: '0.2.0' });
    expect(stack.outputs.EngineVersion).toBe('0.2.0');
  });

  it('without a terminal, a change that needs approval exits 2: change set deleted, never executed, stack untouched', async () => {
    const template = editedTemplate((t) => t.replace('Action: [dynamodb:GetItem, dynamodb:BatchGetItem]', 'Action: [dynamodb:GetItem, dynamodb:BatchGetItem, dynamodb:Scan]'));
    const io = host();
    const err = await failure(runDeploy(world, io, { version: '0.2.0', files: { template, lambdaDir: lambdaDir() } }));
    expect(err).toMatchObject({ code: 'APPROVAL_REQUIRED', exitCode: ExitCode.Usage });
    expect(err.message).toMatch(/needs approval \(it changes permissions or security settings of SenderRole\)/);
    expect(world.cfn.count('CreateChangeSet')).toBe(2);
    expect(world.cfn.count('DeleteChangeSet')).toBe(1);
    expect(world.cfn.count('ExecuteChangeSet')).toBe(1);
    expect(world.cfn.count('CreateStack')).toBe(0);
    const stack = world.cfn.liveStack(STACK)!;
    expect(stack.status).toBe('CREATE_COMPLETE');
    expect(stack.parameters.EngineVersion).toBe('0.1.0');
    // The diff was still shown, so a CI log says what would have changed.
    expect(diffOf(io).message).toContain('IAM and security changes');
  });

  it('a code-only release under the default policy needs no approval, so CI deploys it without --yes', async () => {
    const io = host();
    const result = await runDeploy(world, io, { version: '0.1.1', files: { template: ENGINE_TEMPLATE, lambdaDir: lambdaDir({ feedback: 'feedback v2' }) } });
    expect(result.action).toBe('updated');
    expect(io.requests).toEqual([]);
    // Plain event lines, one per event, for CI logs.
    const lines = io.progressLog.find((p) => p.code === 'deploy.execute')!.messages;
    expect(lines.some((l) => /^\d\d:\d\d:\d\d {2}UPDATE_COMPLETE {7}FeedbackFunction \(AWS::Lambda::Function\)$/.test(l))).toBe(true);
  });

  it('--require-approval any-change asks even for a code-only release; never asks for nothing', async () => {
    const io = host({ interactive: true, answers: { 'deploy.approve': true } });
    await runDeploy(world, io, { requireApproval: 'any-change', version: '0.1.1' });
    expect(confirmCodes(io)).toEqual(['deploy.approve']);
    const quiet = host();
    const template = editedTemplate((t) => t.replace('Action: [dynamodb:GetItem, dynamodb:BatchGetItem]', 'Action: [dynamodb:GetItem, dynamodb:BatchGetItem, dynamodb:Scan]'));
    await runDeploy(world, quiet, { requireApproval: 'never', version: '0.1.2', files: { template, lambdaDir: lambdaDir() } });
    expect(quiet.requests).toEqual([]);
  });

  it('a table replacement is data at risk: approval is asked and the diff says the data is not moved', async () => {
    const template = editedTemplate((t) => t.replace('TableName: !Sub ${AWS::StackName}-tracking', 'TableName: !Sub ${AWS::StackName}-tracking-v2'));
    const io = host({ interactive: true, answers: { 'deploy.approve': false } });
    await failure(runDeploy(world, io, { files: { template, lambdaDir: lambdaDir() } }));
    expect(diffOf(io).message).toContain('TrackingTable (AWS::DynamoDB::Table) will be replaced by a new, empty one.');
    expect(io.messages.find((m) => m.code === 'deploy.approval-needed')?.message).toContain('it removes or replaces resources that hold data: TrackingTable (replace)');
  });

  it('an older CLI asks before downgrading the engine (default no)', async () => {
    const err = await failure(runDeploy(world, host({ interactive: true, answers: { 'deploy.downgrade': false } }), { version: '0.0.9' }));
    expect(err).toMatchObject({ code: 'DEPLOY_DECLINED' });
    expect(err.suggestion).toBe('Update the CLI first: npm i -g mailengine@0.1.0');
    expect(world.cfn.count('CreateChangeSet')).toBe(1);
  });

  it('a paused engine stays paused: the upgrade says so and the template never sets either switch', async () => {
    const outputs = world.cfn.liveStack(STACK)!.outputs;
    world.ses.sending[outputs.ConfigurationSetName] = false;
    world.mappings[outputs.SenderEventSourceMappingId] = 'Disabled';
    const io = host();
    await runDeploy(world, io, { version: '0.1.1' });
    expect(io.messages.find((m) => m.code === 'deploy.stays-paused')?.message).toBe(
      'The engine is paused; this upgrade keeps it that way. Run `mailengine resume` when you want sending back.',
    );
    const change = world.cfn.inputsOf('CreateChangeSet')[1];
    const body = world.s3.readUrl(String(change.TemplateURL));
    expect(body).not.toMatch(/SendingOptions:|SendingEnabled:/);
    expect(world.cfn.liveStack(STACK)!.resources.get('SenderEventSourceMapping')!.properties).not.toHaveProperty('Enabled');
    expect(world.cfn.liveStack(STACK)!.resources.get('ConfigurationSet')!.properties).not.toHaveProperty('SendingOptions');
  });

  it('an upgrade that fails rolls back and names the first failing resource (exit 1)', async () => {
    world.cfn.failNextExecutionOn('SenderFunction', 'Resource handler returned message: "Code storage limit exceeded."');
    const io = host({ yes: true });
    const err = await failure(runDeploy(world, io, { version: '0.1.1', files: { template: ENGINE_TEMPLATE, lambdaDir: lambdaDir({ sender: 'v2' }) } }));
    expect(err).toMatchObject({ code: 'STACK_OPERATION_FAILED', exitCode: ExitCode.Failed });
    expect(err.message).toBe(
      'The upgrade of stack mailengine failed (UPDATE_ROLLBACK_COMPLETE). First failure: SenderFunction (AWS::Lambda::Function) UPDATE_FAILED: Resource handler returned message: "Code storage limit exceeded.".',
    );
    expect(err.suggestion).toMatch(/^The stack is back as it was before/);
    expect(world.cfn.liveStack(STACK)!.parameters.EngineVersion).toBe('0.1.0');
  });
});

describe('deploy: stack states', () => {
  it('a failed first install: rolled back, exit 1, the first failing resource and its reason (not the cancellations)', async () => {
    world.cfn.failNextExecutionOn('TrackingTable', 'Resource handler returned message: "Subscriber limit exceeded: Only 10 tables can be created simultaneously"');
    const io = host({ yes: true });
    const err = await failure(install(world));
    expect(err.code).toBe('STACK_OPERATION_FAILED');
    expect(err.exitCode).toBe(ExitCode.Failed);
    expect(err.message).toContain('The install of stack mailengine failed and was rolled back (ROLLBACK_COMPLETE).');
    expect(err.message).toContain('First failure: TrackingTable (AWS::DynamoDB::Table) CREATE_FAILED: Resource handler returned message: "Subscriber limit exceeded');
    expect(err.message).not.toContain('cancelled');
    expect(err.suggestion).toMatch(/it offers to delete the failed stack and install it anew/);
    expect(err.details).toMatchObject({ stackStatus: 'ROLLBACK_COMPLETE', failedResource: 'TrackingTable' });
    expect(world.cfn.liveStack(STACK)!.status).toBe('ROLLBACK_COMPLETE');
    expect(io).toBeDefined();
  });

  it('after ROLLBACK_COMPLETE: offers to delete and recreate, and does', async () => {
    world.cfn.failNextExecutionOn('TrackingTable', 'Limit exceeded');
    await failure(install(world));
    const failedId = world.cfn.liveStack(STACK)!.id;

    const io = host({ interactive: true, answers: { 'deploy.recreate': true, 'deploy.approve': true } });
    const result = await runDeploy(world, io, { flagParameters: FIRST_INSTALL_PARAMETERS });
    expect(result).toMatchObject({ action: 'created', recreated: true, stackStatus: 'CREATE_COMPLETE' });
    expect(io.messages.find((m) => m.code === 'deploy.failed-create')?.message).toContain('its first install failed (TrackingTable (AWS::DynamoDB::Table) CREATE_FAILED: Limit exceeded)');
    expect(confirmCodes(io)).toEqual(['deploy.recreate', 'deploy.approve']);
    expect(world.cfn.inputsOf('DeleteStack')[0].StackName).toBe(failedId);
    expect(world.cfn.liveStack(STACK)!.id).not.toBe(failedId);
  });

  it('after ROLLBACK_COMPLETE without a terminal or --yes: exit 2, nothing deleted', async () => {
    world.cfn.failNextExecutionOn('TrackingTable', 'Limit exceeded');
    await failure(install(world));
    const err = await failure(runDeploy(world, host(), { flagParameters: FIRST_INSTALL_PARAMETERS }));
    expect(err).toMatchObject({ code: 'PROMPT_REQUIRED', exitCode: ExitCode.Usage });
    expect(world.cfn.count('DeleteStack')).toBe(0);
    expect(world.cfn.liveStack(STACK)!.status).toBe('ROLLBACK_COMPLETE');
  });

  it('UPDATE_ROLLBACK_FAILED: explains the way out and changes nothing', async () => {
    await install(world);
    world.cfn.forceStatus(STACK, 'UPDATE_ROLLBACK_FAILED', { logicalId: 'SenderFunction', type: 'AWS::Lambda::Function', reason: 'Function not found' });
    const err = await failure(runDeploy(world, host({ yes: true }), {}));
    expect(err).toMatchObject({ code: 'STACK_NEEDS_ATTENTION', exitCode: ExitCode.Failed });
    expect(err.message).toContain('UPDATE_ROLLBACK_FAILED');
    expect(err.message).toContain('The first failure: SenderFunction (AWS::Lambda::Function) UPDATE_FAILED: Function not found.');
    expect(err.suggestion).toContain('aws cloudformation continue-update-rollback --stack-name mailengine --region eu-west-1');
    expect(err.suggestion).toContain('--resources-to-skip SenderFunction');
    expect(world.cfn.count('CreateChangeSet')).toBe(1);
  });

  it('another operation in progress: waits for it with progress, then deploys', async () => {
    await install(world);
    world.cfn.beginForeignUpdate(STACK, 3);
    const io = host();
    const result = await runDeploy(world, io, { version: '0.1.1' });
    expect(result.action).toBe('updated');
    const waited = io.progressLog.find((p) => p.code === 'deploy.wait-busy')!;
    expect(waited.messages[0]).toBe('Stack mailengine is busy (UPDATE_IN_PROGRESS); waiting for that operation to finish');
    expect(waited.outcome).toBe('succeed');
  });

  it('another operation in progress with --no-wait: refuses, exit 1, no change set', async () => {
    await install(world);
    world.cfn.beginForeignUpdate(STACK, 3);
    const err = await failure(runDeploy(world, host(), { wait: false, version: '0.1.1' }));
    expect(err).toMatchObject({ code: 'STACK_BUSY', exitCode: ExitCode.Failed });
    expect(err.message).toBe('Stack mailengine is busy (UPDATE_IN_PROGRESS): another operation is running on it.');
    expect(err.suggestion).toContain('mailengine info --stack mailengine --region eu-west-1');
    expect(world.cfn.count('CreateChangeSet')).toBe(1);
  });
});

/** A host whose first streamed event line presses Ctrl-C. */
class InterruptingHost extends RecordingIoHost {
  constructor(
    private readonly controller: AbortController,
    private readonly when: string,
  ) {
    super({}, false, true);
  }
  override progress(code: MessageCode, message: string) {
    const inner = super.progress(code, message);
    return {
      ...inner,
      update: (text: string) => {
        inner.update(text);
        if (code === this.when) this.controller.abort();
      },
    };
  }
}

describe('deploy: Ctrl-C', () => {
  it('while the stack is being created: exit 130, the stack keeps going, and the way to follow it is printed', async () => {
    const controller = new AbortController();
    const io = new InterruptingHost(controller, 'deploy.execute');
    const err = await failure(runDeploy(world, io, { flagParameters: FIRST_INSTALL_PARAMETERS, signal: controller.signal }));
    expect(err).toMatchObject({ code: 'INTERRUPTED', exitCode: ExitCode.Interrupted });
    expect(err.message).toBe('Stopped watching; CloudFormation goes on creating stack mailengine.');
    expect(err.suggestion).toMatch(/^Follow it with `mailengine info --stack mailengine --region eu-west-1`, or in the console: https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudformation\//);
    expect(world.cfn.liveStack(STACK)!.status).toBe('CREATE_IN_PROGRESS');
    expect(world.cfn.count('DeleteStack')).toBe(0);
  });

  it('while waiting for someone else’s operation: exit 130, and this deploy changed nothing', async () => {
    await install(world);
    world.cfn.beginForeignUpdate(STACK, 50);
    const controller = new AbortController();
    const err = await failure(runDeploy(world, new InterruptingHost(controller, 'deploy.wait-busy'), { signal: controller.signal }));
    expect(err).toMatchObject({ code: 'INTERRUPTED', exitCode: ExitCode.Interrupted });
    expect(err.message).toContain('This deploy changed nothing');
    expect(world.cfn.count('CreateChangeSet')).toBe(1);
  });
});

describe('deploy: data kept by an earlier destroy', () => {
  const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mailengine-suppression-hash-key-AbCdEf';
  beforeEach(() => {
    world.cfn.physical.set('mailengine-tracking', { type: 'AWS::DynamoDB::Table', name: 'mailengine-tracking', itemCount: 1200 });
    world.cfn.physical.set('mailengine-suppression', { type: 'AWS::DynamoDB::Table', name: 'mailengine-suppression', itemCount: 7 });
    world.cfn.physical.set('mailengine-suppression-hash-key', { type: 'AWS::SecretsManager::Secret', name: 'mailengine-suppression-hash-key', arn: SECRET_ARN });
  });

  it('without a terminal or a choice: exit 2 and exactly what to do', async () => {
    const err = await failure(runDeploy(world, host(), { requireApproval: 'never', flagParameters: FIRST_INSTALL_PARAMETERS }));
    expect(err).toMatchObject({ code: 'RETAINED_DATA_EXISTS', exitCode: ExitCode.Usage });
    expect(err.message).toBe(
      'Stack mailengine does not exist in eu-west-1, but data from an earlier one does: table mailengine-tracking, about 1,200 items; table mailengine-suppression, about 7 items; secret mailengine-suppression-hash-key. A new stack cannot create resources with these names.',
    );
    expect(err.suggestion).toContain('--adopt-retained');
    expect(err.suggestion).toContain('aws dynamodb delete-table --table-name mailengine-tracking --region eu-west-1');
    expect(err.suggestion).toContain('aws secretsmanager delete-secret --secret-id mailengine-suppression-hash-key --force-delete-without-recovery --region eu-west-1');
    expect(world.cfn.count('CreateChangeSet')).toBe(0);
    expect(world.s3.calls.filter((c) => c.command === 'PutObject')).toEqual([]);
  });

  it('--adopt-retained imports them into a new stack first (IMPORT change set), then installs the rest as an update', async () => {
    const io = host({ yes: true });
    const result = await runDeploy(world, io, { adoptRetained: true, flagParameters: FIRST_INSTALL_PARAMETERS });
    expect(result).toMatchObject({ action: 'created', stackStatus: 'UPDATE_COMPLETE' });
    expect(result.adopted).toEqual(['TrackingTable', 'SuppressionTable', 'SuppressionHashSecret']);

    const [importing, installing] = world.cfn.inputsOf('CreateChangeSet');
    expect(importing).toMatchObject({ ChangeSetType: 'IMPORT', Parameters: [] });
    expect(importing.ResourcesToImport).toEqual([
      { ResourceType: 'AWS::DynamoDB::Table', LogicalResourceId: 'TrackingTable', ResourceIdentifier: { TableName: 'mailengine-tracking' } },
      { ResourceType: 'AWS::DynamoDB::Table', LogicalResourceId: 'SuppressionTable', ResourceIdentifier: { TableName: 'mailengine-suppression' } },
      { ResourceType: 'AWS::SecretsManager::Secret', LogicalResourceId: 'SuppressionHashSecret', ResourceIdentifier: { Id: SECRET_ARN } },
    ]);
    const importBody = JSON.parse(world.s3.readUrl(String(importing.TemplateURL)));
    expect(Object.keys(importBody.Resources)).toEqual(['TrackingTable', 'SuppressionTable', 'SuppressionHashSecret']);
    expect(importBody.Resources.TrackingTable).toMatchObject({ DeletionPolicy: 'Retain', Properties: { TableName: 'mailengine-tracking' } });
    expect(installing).toMatchObject({ ChangeSetType: 'UPDATE' });
    expect(String(installing.TemplateURL)).toMatch(/\.yaml$/);

    expect(io.progressLog.find((p) => p.code === 'deploy.adopt')?.outcome).toBe('succeed');
    expect(diffOf(io).message).toContain('Install stack mailengine in eu-west-1 (account 123456789012), engine 0.1.0, around the adopted mailengine-tracking, mailengine-suppression, mailengine-suppression-hash-key:');
    const stackId = world.cfn.liveStack(STACK)!.id;
    expect(world.cfn.physical.get('mailengine-tracking')?.stackId).toBe(stackId);
    expect(world.cfn.physical.get('mailengine-suppression-hash-key')?.stackId).toBe(stackId);
    expect(world.cfn.liveStack(STACK)!.resources.get('TrackingTable')?.physicalId).toBe('mailengine-tracking');
  });

  it('on a terminal: offers to adopt them (default yes)', async () => {
    const io = host({ interactive: true, answers: { 'deploy.adopt-retained': true, 'deploy.approve': true } });
    const result = await runDeploy(world, io, { flagParameters: FIRST_INSTALL_PARAMETERS });
    expect(result.adopted).toContain('TrackingTable');
    const question = io.requests.find((r) => r.code === 'deploy.adopt-retained') as { default: boolean; message: string };
    expect(question).toMatchObject({ default: true, message: 'Adopt them into the new stack, keeping the data?' });
    expect(io.messages.find((m) => m.code === 'deploy.retained')?.message).toBe(
      'Data from an earlier stack mailengine still exists: mailengine-tracking, mailengine-suppression, mailengine-suppression-hash-key.',
    );
  });

  it('--no-execute cannot leave an adoption for review: exit 2, nothing changed', async () => {
    const err = await failure(runDeploy(world, host(), { adoptRetained: true, execute: false, flagParameters: FIRST_INSTALL_PARAMETERS }));
    expect(err).toMatchObject({ code: 'ADOPT_NEEDS_EXECUTE', exitCode: ExitCode.Usage });
    expect(world.cfn.count('CreateChangeSet')).toBe(0);
  });

  it('a collision the preflight could not see (reads denied) is explained after the rollback', async () => {
    const refusal = () => new FakeServiceError('AccessDeniedException', 'User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: dynamodb:DescribeTable', 400);
    const tables = mockClient(DynamoDBClient);
    tables.onAnyCommand().rejects(refusal());
    const secrets = mockClient(SecretsManagerClient);
    secrets.onAnyCommand().rejects(refusal());
    const denied = [tables, secrets];
    try {
      const io = host({ yes: true });
      const err = await failure(install(world));
      expect(err.message).toContain(
        "TrackingTable (AWS::DynamoDB::Table) CREATE_FAILED: Resource of type 'AWS::DynamoDB::Table' with identifier 'mailengine-tracking' already exists.",
      );
      expect(err.suggestion).toMatch(/^A resource with that name already exists, most likely kept by an earlier `mailengine destroy`.*--adopt-retained/);
      expect(io).toBeDefined();
    } finally {
      for (const mock of denied) mock.restore();
    }
  });
});

it('the outputs file directory is created when missing', async () => {
  const result = await install(world, { outputsFile: join('deep', 'er', 'outputs.json') });
  expect(existsSync(result.outputsFile!)).toBe(true);
});
