import type { ResourceChange } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { loadTemplate, parseTemplate } from '../../src/cfn/template.js';
import { ExitCode, isMailengineError } from '../../src/errors.js';
import { approvalReasons } from '../../src/stack/approval.js';
import { buildDiff, statementsIn } from '../../src/stack/diff.js';
import { assertNeverResumes, stackTags } from '../../src/stack/engine-package.js';
import { compareEngineToCli, compareVersions } from '../../src/stack/engine-version.js';
import { checkParameterValue, parseParameterFlags, planParameters, toCfnParameters } from '../../src/stack/parameters.js';
import { renderDiff } from '../../src/stack/render-diff.js';
import { firstFailure, type StackEventLine } from '../../src/stack/stack-events.js';
import { stackCondition } from '../../src/stack/stack-status.js';
import { belongsToIdentity } from '../../src/stack/deploy-settings.js';
import { ENGINE_TEMPLATE } from '../fixtures/stack/aws-world.js';

/** A Modify of an IAM role's inline policy, shaped as DescribeChangeSet returns it with IncludePropertyValues. */
const ROLE_CHANGE: ResourceChange = {
  Action: 'Modify',
  LogicalResourceId: 'SenderRole',
  PhysicalResourceId: 'mailengine-SenderRole-1A2B3C',
  ResourceType: 'AWS::IAM::Role',
  Replacement: 'False',
  Scope: ['Properties'],
  Details: [
    {
      Target: {
        Attribute: 'Properties',
        Name: 'Policies',
        RequiresRecreation: 'Never',
        Path: '/Properties/Policies/0/PolicyDocument/Statement/0/Action',
        AttributeChangeType: 'Modify',
        BeforeValue: '["s3:GetObject"]',
        AfterValue: '["s3:GetObject","s3:PutObject"]',
      },
      Evaluation: 'Static',
      ChangeSource: 'DirectModification',
    },
  ],
  BeforeContext: JSON.stringify({ Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::b/*' }] } }] } }),
  AfterContext: JSON.stringify({ Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::b/*' }] } }] } }),
};

const TABLE_REPLACE: ResourceChange = {
  Action: 'Modify',
  LogicalResourceId: 'TrackingTable',
  PhysicalResourceId: 'mailengine-tracking',
  ResourceType: 'AWS::DynamoDB::Table',
  Replacement: 'True',
  Scope: ['Properties'],
  Details: [{ Target: { Attribute: 'Properties', Name: 'KeySchema', RequiresRecreation: 'Always' }, Evaluation: 'Static', ChangeSource: 'DirectModification' }],
};

const FUNCTION_MODIFY: ResourceChange = {
  Action: 'Modify',
  LogicalResourceId: 'SenderFunction',
  ResourceType: 'AWS::Lambda::Function',
  Replacement: 'False',
  Scope: ['Properties'],
  Details: [{ Target: { Attribute: 'Properties', Name: 'Code', RequiresRecreation: 'Never' }, Evaluation: 'Static', ChangeSource: 'ParameterReference', CausingEntity: 'SenderCodeKey' }],
};

const QUEUE_ADD: ResourceChange = { Action: 'Add', LogicalResourceId: 'NewQueue', ResourceType: 'AWS::SQS::Queue', Scope: [], Details: [] };

const BUCKET_TLS_LOOSENED: ResourceChange = {
  Action: 'Modify',
  LogicalResourceId: 'ConfigurationSet',
  ResourceType: 'AWS::SES::ConfigurationSet',
  Replacement: 'False',
  Scope: ['Properties'],
  Details: [{ Target: { Attribute: 'Properties', Name: 'DeliveryOptions', RequiresRecreation: 'Never', BeforeValue: '{"TlsPolicy":"REQUIRE"}', AfterValue: '{"TlsPolicy":"OPTIONAL"}' }, Evaluation: 'Static', ChangeSource: 'DirectModification' }],
};

describe('the diff', () => {
  it('classifies resources: modify, replace with data at risk, add; security from type and properties', () => {
    const diff = buildDiff('UPDATE', [ROLE_CHANGE, TABLE_REPLACE, FUNCTION_MODIFY, QUEUE_ADD, BUCKET_TLS_LOOSENED], { SendConcurrency: '10', AdminEmail: 'a@x.io' }, { SendConcurrency: '20', AdminEmail: 'a@x.io' });
    expect(diff.resources.map((r) => [r.logicalId, r.action, r.security, r.dataAtRisk])).toEqual([
      ['SenderRole', 'modify', true, false],
      ['TrackingTable', 'replace', false, true],
      ['SenderFunction', 'modify', false, false],
      ['NewQueue', 'add', false, false],
      ['ConfigurationSet', 'modify', true, false],
    ]);
    expect(diff.parameters).toEqual([{ name: 'SendConcurrency', before: '10', after: '20' }]);
    expect(diff.statements).toEqual([
      { logicalId: 'SenderRole', type: 'AWS::IAM::Role', change: 'added', statement: 'Allow s3:GetObject, s3:PutObject on arn:aws:s3:::b/*' },
      { logicalId: 'SenderRole', type: 'AWS::IAM::Role', change: 'removed', statement: 'Allow s3:GetObject on arn:aws:s3:::b/*' },
    ]);
  });

  it('renders an update as people read it', () => {
    const diff = buildDiff('UPDATE', [ROLE_CHANGE, TABLE_REPLACE, FUNCTION_MODIFY, QUEUE_ADD, BUCKET_TLS_LOOSENED], { SendConcurrency: '10' }, { SendConcurrency: '20' });
    expect(renderDiff(diff, 'Upgrade stack mailengine in eu-west-1 (account 123456789012), engine 0.1.0 -> 0.2.0:')).toMatchInlineSnapshot(`
      "Upgrade stack mailengine in eu-west-1 (account 123456789012), engine 0.1.0 -> 0.2.0:

      Parameters
        SendConcurrency  10 -> 20

      Resources (5 to change)
        [~]    SenderRole        AWS::IAM::Role              modify   Policies
        [-/+]  TrackingTable     AWS::DynamoDB::Table        REPLACE  KeySchema
        [~]    SenderFunction    AWS::Lambda::Function       modify   Code
        [+]    NewQueue          AWS::SQS::Queue             add
        [~]    ConfigurationSet  AWS::SES::ConfigurationSet  modify   DeliveryOptions

      Data at risk
        TrackingTable (AWS::DynamoDB::Table) will be replaced by a new, empty one.

      IAM and security changes
        [~] SenderRole (AWS::IAM::Role)
            + Allow s3:GetObject, s3:PutObject on arn:aws:s3:::b/*
            - Allow s3:GetObject on arn:aws:s3:::b/*
        [~] ConfigurationSet (AWS::SES::ConfigurationSet)
            ~ DeliveryOptions: {"TlsPolicy":"REQUIRE"} -> {"TlsPolicy":"OPTIONAL"}"
    `);
  });

  it('finds statements in every policy shape: trust policies, resource policies, Lambda permissions, managed policies', () => {
    expect(statementsIn('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }, ManagedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] })).toEqual([
      'Allow sts:AssumeRole for lambda.amazonaws.com',
      'Attach managed policy arn:aws:iam::aws:policy/ReadOnlyAccess',
    ]);
    expect(statementsIn('AWS::Events::EventBusPolicy', { Statement: { Effect: 'Deny', Principal: '*', Action: 'events:PutEvents', Resource: 'arn:bus', Condition: { ArnNotLike: { 'aws:PrincipalArn': ['arn:a'] } } } })).toEqual([
      'Deny events:PutEvents on arn:bus for * when {"ArnNotLike":{"aws:PrincipalArn":["arn:a"]}}',
    ]);
    expect(statementsIn('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', FunctionName: 'fn', Principal: 'sns.amazonaws.com', SourceArn: 'arn:topic' })).toEqual([
      'Allow lambda:InvokeFunction on fn for sns.amazonaws.com from arn:topic',
    ]);
  });

  it('a first install lists counts by type and every permission it grants', () => {
    const add = (id: string, type: string, props: Record<string, unknown> = {}): ResourceChange => ({ Action: 'Add', LogicalResourceId: id, ResourceType: type, Scope: [], Details: [], AfterContext: JSON.stringify({ Properties: props }) });
    const diff = buildDiff('CREATE', [add('A', 'AWS::SQS::Queue'), add('B', 'AWS::SQS::Queue'), add('R', 'AWS::IAM::Role', { Policies: [{ PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sqs:ReceiveMessage', Resource: 'arn:q' }] } }] })], {}, {});
    const text = renderDiff(diff, 'Install:');
    expect(text).toContain('Resources to create (3)');
    expect(text).toMatch(/\[\+\] {2}2 {2}AWS::SQS::Queue/);
    expect(text).toContain('+ Allow sqs:ReceiveMessage on arn:q');
  });
});

describe('approval policy', () => {
  const codeOnly = buildDiff('UPDATE', [FUNCTION_MODIFY], {}, {});
  const widening = buildDiff('UPDATE', [ROLE_CHANGE], {}, {});
  const replacing = buildDiff('UPDATE', [TABLE_REPLACE], {}, {});
  const paramsOnly = buildDiff('UPDATE', [], { A: '1' }, { A: '2' });

  it.each([
    ['never', codeOnly, 0],
    ['never', widening, 0],
    ['broadening', codeOnly, 0],
    ['broadening', widening, 1],
    ['broadening', replacing, 1],
    ['broadening', paramsOnly, 0],
    ['any-change', codeOnly, 1],
    ['any-change', paramsOnly, 1],
  ] as const)('%s: %#', (policy, diff, reasons) => {
    expect(approvalReasons(diff, policy)).toHaveLength(reasons);
  });
});

describe('parameters', () => {
  it('flag, then config file, then the previous value, then the template default; required ones missing are listed', async () => {
    const template = await loadTemplate(ENGINE_TEMPLATE);
    const plan = planParameters({
      template,
      previous: { SenderIdentity: 'example.com', SendConcurrency: '10', AdminEmail: 'old@example.com' },
      config: { SendConcurrency: '20', AdminEmail: 'cfg@example.com' },
      flags: { AdminEmail: 'flag@example.com' },
      managed: { EngineVersion: '1.0.0' },
    });
    const by = Object.fromEntries(plan.parameters.map((p) => [p.name, p]));
    expect(by.AdminEmail).toEqual({ name: 'AdminEmail', value: 'flag@example.com', source: 'flag' });
    expect(by.SendConcurrency).toEqual({ name: 'SendConcurrency', value: '20', source: 'config' });
    expect(by.SenderIdentity).toEqual({ name: 'SenderIdentity', value: 'example.com', source: 'previous' });
    expect(by.OpenTracking).toEqual({ name: 'OpenTracking', value: 'true', source: 'default' });
    expect(by.EngineVersion.source).toBe('deploy');
    expect(plan.missing).toEqual(['DefaultFromEmail', 'CodeBucket', 'SenderCodeKey', 'FeedbackCodeKey', 'PauseCodeKey']);
    const sent = toCfnParameters(plan.parameters);
    expect(sent.find((p) => p.ParameterKey === 'SenderIdentity')).toEqual({ ParameterKey: 'SenderIdentity', UsePreviousValue: true });
    expect(sent.find((p) => p.ParameterKey === 'OpenTracking')).toBeUndefined();
  });

  it('checks values as CloudFormation would', async () => {
    const template = await loadTemplate(ENGINE_TEMPLATE);
    const p = template.Parameters!;
    expect(checkParameterValue('LogRetentionDays', p.LogRetentionDays, '31')).toMatch(/must be one of 1, 3, 5/);
    expect(checkParameterValue('DataRetentionDays', p.DataRetentionDays, '20')).toBe('DataRetentionDays must be at least 30');
    expect(checkParameterValue('DataRetentionDays', p.DataRetentionDays, 'ninety')).toBe('DataRetentionDays must be a number');
    expect(checkParameterValue('AdminEmail', p.AdminEmail, 'ops')).toBe('AdminEmail must be an email address');
    expect(checkParameterValue('AdminEmail', p.AdminEmail, 'ops@example.com')).toBeUndefined();
  });

  it('--parameters takes Key=Value pairs', () => {
    expect(parseParameterFlags(['A=1', 'B=x=y', 'C='])).toEqual({ A: '1', B: 'x=y', C: '' });
    let caught: unknown;
    try {
      parseParameterFlags(['oops']);
    } catch (err) {
      caught = err;
    }
    expect(isMailengineError(caught) && caught.exitCode).toBe(ExitCode.Usage);
  });

  it('a From address must belong to the identity', () => {
    expect(belongsToIdentity('no-reply@example.com', 'example.com')).toBe(true);
    expect(belongsToIdentity('alerts@mail.example.com', 'example.com')).toBe(true);
    expect(belongsToIdentity('x@badexample.com', 'example.com')).toBe(false);
    expect(belongsToIdentity('Ops@Example.com', 'ops@example.com')).toBe(true);
    expect(belongsToIdentity('other@example.com', 'ops@example.com')).toBe(false);
  });
});

describe('versions, statuses, failures', () => {
  it.each([
    ['0.1.0', '0.2.0', -1],
    ['1.10.0', '1.9.9', 1],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0-rc.2', '1.0.0-rc.10', -1],
    ['2.0.0', '2.0.0+build.5', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });

  it('version advice', () => {
    expect(compareEngineToCli(undefined, '1.0.0').relation).toBe('unknown');
    expect(compareEngineToCli('1.0.0', '1.0.0')).toEqual({ engine: '1.0.0', cli: '1.0.0', relation: 'same' });
  });

  it.each([
    [undefined, 'absent'],
    ['DELETE_COMPLETE', 'absent'],
    ['CREATE_COMPLETE', 'ready'],
    ['UPDATE_ROLLBACK_COMPLETE', 'ready'],
    ['REVIEW_IN_PROGRESS', 'review'],
    ['ROLLBACK_COMPLETE', 'failed-create'],
    ['UPDATE_ROLLBACK_FAILED', 'stuck'],
    ['DELETE_FAILED', 'stuck'],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'busy'],
    ['ROLLBACK_IN_PROGRESS', 'busy'],
  ])('%s is %s', (status, condition) => {
    expect(stackCondition(status)).toBe(condition);
  });

  it('the first failure skips cancellations and the stack summary', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const events: StackEventLine[] = [
      { time: at(1), logicalId: 'mailengine', resourceType: 'AWS::CloudFormation::Stack', status: 'CREATE_IN_PROGRESS', isStack: true },
      { time: at(2), logicalId: 'Queue', resourceType: 'AWS::SQS::Queue', status: 'CREATE_FAILED', reason: 'Resource creation cancelled', isStack: false },
      { time: at(3), logicalId: 'Table', resourceType: 'AWS::DynamoDB::Table', status: 'CREATE_FAILED', reason: 'Limit exceeded', isStack: false },
      { time: at(4), logicalId: 'mailengine', resourceType: 'AWS::CloudFormation::Stack', status: 'ROLLBACK_IN_PROGRESS', reason: 'The following resource(s) failed to create: [Table]', isStack: true },
    ];
    expect(firstFailure(events)?.logicalId).toBe('Table');
  });
});

describe('upgrades never resume a paused engine', () => {
  it('the engine template sets neither the configuration set’s sending nor the Sender mapping’s Enabled', async () => {
    const template = await loadTemplate(ENGINE_TEMPLATE);
    expect(() => assertNeverResumes(template)).not.toThrow();
    const configurationSets = Object.values(template.Resources).filter((r) => r.Type === 'AWS::SES::ConfigurationSet');
    const mappings = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    expect(configurationSets).toHaveLength(1);
    expect(mappings.length).toBeGreaterThan(0);
    for (const r of configurationSets) expect(r.Properties).not.toHaveProperty('SendingOptions');
    for (const r of mappings) expect(r.Properties).not.toHaveProperty('Enabled');
  });

  it('deploy refuses a template that would', () => {
    const template = parseTemplate('Resources:\n  Cs:\n    Type: AWS::SES::ConfigurationSet\n    Properties:\n      SendingOptions: { SendingEnabled: true }\n');
    let caught: unknown;
    try {
      assertNeverResumes(template);
    } catch (err) {
      caught = err;
    }
    expect(isMailengineError(caught) && caught.code).toBe('TEMPLATE_WOULD_RESUME');
  });

  it('stack tags keep the user’s own and record the version', () => {
    expect(stackTags({ team: 'mail', 'aws:cloudformation:stack-name': 'x', 'mailengine:engine-version': '0.1.0' }, '0.2.0')).toEqual([
      { Key: 'team', Value: 'mail' },
      { Key: 'mailengine:engine-version', Value: '0.2.0' },
      { Key: 'mailengine:managed-by', Value: 'mailengine' },
    ]);
  });
});
