import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../../src/cfn/template.js';
import { LOOSE, compareTranscripts } from '../../scripts/transcripts-check.js';
import { ROOT, mask, maskLoose, readTranscripts, uncheckedCommandBlocks } from '../../scripts/transcripts-lib.js';
import { generateTranscripts } from '../../scripts/transcripts-scenes.js';

/**
 * The docs' transcripts are the CLI's real output: `npm run docs:transcripts` writes them, and
 * this test runs the same scenes again (the built CLI on a local stack; deploy, info and destroy
 * on the in-memory CloudFormation) and fails on any transcript that no longer matches, ids,
 * times, ports and durations masked.
 */
describe('transcripts in the docs', () => {
  it('every block showing `$ mailengine …` is a generated transcript or marked illustrative', () => {
    expect(uncheckedCommandBlocks()).toEqual([]);
    expect(readTranscripts().length).toBeGreaterThan(30);
  });

  it('the masking hides what differs between runs and nothing else', () => {
    const run1 = 'Published test-20261203-010719-a0b092 (event a4786bde-faa0-4062-8e49-c9992c960c86)\n│ 2026-12-03T01:07:20.436Z │ +0.7 s  │ ses-834128103 │\n✔ Local stack ready in 2.4 s\n12 templates';
    const run2 = 'Published test-20261204-111111-ffffff (event 00000000-1111-4222-8333-444444444444)\n│ 2026-12-04T11:11:11.111Z │ +10.2 s │ ses-1 │\n✔ Local stack ready in 12.0 s\n12 templates';
    expect(mask(run1)).toBe(mask(run2));
    expect(mask('DynamoDB Local  started  507  http://127.0.0.1:4510\nStopped S3 (s3rver) (pid 98).')).toBe(mask('DynamoDB Local  started  22464  http://127.0.0.1:4510\nStopped S3 (s3rver) (pid 22466).'));
    expect(mask('12 templates')).not.toBe(mask('11 templates'));
    expect(mask('error: "nope" is not an email address.')).not.toBe(mask('error: "nope" is not an address.'));
    expect(maskLoose('b\na')).toBe(maskLoose('a\nb'));
  });

  it('a transcript that drifted is reported with its page and the first line that differs', () => {
    const [first] = readTranscripts();
    const drifted = new Map([[first.id, first.text.replace(/^(\$ .*\n)[^\n]*/, '$1a line the CLI no longer prints')]]);
    const problems = compareTranscripts(drifted, new Set()).filter((p) => p.includes(`transcript ${first.id} `));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(first.page);
    expect(problems[0]).toContain('a line the CLI no longer prints');
  });

  it(
    'each one matches a fresh run of the CLI',
    async () => {
      const generated = await generateTranscripts();
      expect(compareTranscripts(generated, LOOSE)).toEqual([]);
    },
    10 * 60_000,
  );
});

/** An IAM action for each SDK command whose action name differs from the command's. */
const ACTION_OF: Record<string, string> = {
  's3:HeadBucket': 's3:ListBucket',
  's3:HeadObject': 's3:GetObject',
  's3:ListObjectVersions': 's3:ListBucketVersions',
  's3:PutPublicAccessBlock': 's3:PutBucketPublicAccessBlock',
  's3:PutBucketEncryption': 's3:PutEncryptionConfiguration',
  's3:PutBucketLifecycleConfiguration': 's3:PutLifecycleConfiguration',
  's3:DeleteObjects': 's3:DeleteObject',
};

const SERVICE_OF: Record<string, string> = {
  cloudformation: 'cloudformation',
  s3: 's3',
  sesv2: 'ses',
  sqs: 'sqs',
  sts: 'sts',
  dynamodb: 'dynamodb',
  'secrets-manager': 'secretsmanager',
  'cloudwatch-logs': 'logs',
  cloudwatch: 'cloudwatch',
  sns: 'sns',
  lambda: 'lambda',
  eventbridge: 'events',
};

/** What CloudFormation does, with the deployer's credentials, to create and delete each resource type of the template. */
const RESOURCE_ACTIONS: Record<string, string[]> = {
  'AWS::Budgets::Budget': ['budgets:ModifyBudget', 'budgets:ViewBudget'],
  'AWS::CloudWatch::Alarm': ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms'],
  'AWS::CloudWatch::Dashboard': ['cloudwatch:PutDashboard', 'cloudwatch:DeleteDashboards', 'cloudwatch:GetDashboard'],
  'AWS::DynamoDB::Table': ['dynamodb:CreateTable', 'dynamodb:DeleteTable', 'dynamodb:DescribeTable', 'dynamodb:UpdateTimeToLive', 'dynamodb:UpdateContinuousBackups', 'kms:CreateGrant'],
  'AWS::Events::EventBus': ['events:CreateEventBus', 'events:DeleteEventBus', 'events:DescribeEventBus'],
  'AWS::Events::EventBusPolicy': ['events:PutPermission', 'events:RemovePermission'],
  'AWS::Events::Rule': ['events:PutRule', 'events:DeleteRule', 'events:DescribeRule', 'events:PutTargets', 'events:RemoveTargets'],
  'AWS::IAM::Role': ['iam:CreateRole', 'iam:DeleteRole', 'iam:GetRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:PassRole'],
  'AWS::Lambda::EventSourceMapping': ['lambda:CreateEventSourceMapping', 'lambda:DeleteEventSourceMapping', 'lambda:GetEventSourceMapping'],
  'AWS::Lambda::Function': ['lambda:CreateFunction', 'lambda:DeleteFunction', 'lambda:GetFunction', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration'],
  'AWS::Lambda::Permission': ['lambda:AddPermission', 'lambda:RemovePermission'],
  'AWS::Logs::LogGroup': ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy', 'logs:DescribeLogGroups'],
  'AWS::S3::Bucket': ['s3:CreateBucket', 's3:DeleteBucket', 's3:PutBucketVersioning', 's3:PutEncryptionConfiguration', 's3:PutBucketPublicAccessBlock', 's3:PutLifecycleConfiguration'],
  'AWS::S3::BucketPolicy': ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:GetBucketPolicy'],
  'AWS::Scheduler::ScheduleGroup': ['scheduler:CreateScheduleGroup', 'scheduler:DeleteScheduleGroup', 'scheduler:GetScheduleGroup'],
  'AWS::SecretsManager::Secret': ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:GetRandomPassword'],
  'AWS::SES::ConfigurationSet': ['ses:CreateConfigurationSet', 'ses:DeleteConfigurationSet', 'ses:GetConfigurationSet'],
  'AWS::SES::ConfigurationSetEventDestination': ['ses:CreateConfigurationSetEventDestination', 'ses:DeleteConfigurationSetEventDestination'],
  'AWS::SNS::Subscription': ['sns:Subscribe', 'sns:Unsubscribe', 'sns:GetSubscriptionAttributes'],
  'AWS::SNS::Topic': ['sns:CreateTopic', 'sns:DeleteTopic', 'sns:GetTopicAttributes'],
  'AWS::SQS::Queue': ['sqs:CreateQueue', 'sqs:DeleteQueue', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes'],
  'AWS::SQS::QueuePolicy': ['sqs:SetQueueAttributes'],
};

describe('docs/deployer-policy.json', () => {
  const policy = JSON.parse(readFileSync(join(ROOT, 'docs', 'deployer-policy.json'), 'utf8')) as { Statement: Array<{ Effect: string; Action: string | string[] }> };
  const granted = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));

  it('grants every AWS call the deploy, info, destroy and doctor code makes', () => {
    const needed = new Set<string>();
    // The --local files talk to the local stack only.
    const files = ['stack', 'operations/doctor'].flatMap((dir) =>
      readdirSync(join(ROOT, 'src', dir))
        .filter((f) => f.endsWith('.ts') && !f.endsWith('-local.ts') && f !== 'local.ts')
        .map((f) => join(ROOT, 'src', dir, f)),
    );
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/\{([\w\s,]+)\}\s*(?:from|=\s*await import\()\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
        const service = SERVICE_OF[m[2]];
        expect(service, `${file} imports @aws-sdk/client-${m[2]}: add the service to SERVICE_OF and its actions to the policy`).toBeDefined();
        for (const name of m[1].split(',').map((n) => n.trim().replace(/^type /, ''))) {
          if (!name.endsWith('Command') || !new RegExp(`new ${name}\\(`).test(source)) continue;
          const call = `${service}:${name.replace(/Command$/, '')}`;
          needed.add(ACTION_OF[call] ?? call);
        }
      }
    }
    expect(needed.size).toBeGreaterThan(20);
    expect([...needed].filter((a) => !granted.has(a)).sort()).toEqual([]);
  });

  it('grants what CloudFormation needs for every resource type of the template', () => {
    const template = parseTemplate(readFileSync(join(ROOT, 'cfn', 'mailengine.yaml'), 'utf8'));
    const types = [...new Set(Object.values(template.Resources).map((r) => r.Type))].sort();
    expect(types.filter((t) => !(t in RESOURCE_ACTIONS)), 'a resource type with no known permissions: add them here and to docs/deployer-policy.json').toEqual([]);
    expect(types.flatMap((t) => RESOURCE_ACTIONS[t]).filter((a) => !granted.has(a))).toEqual([]);
  });
});
