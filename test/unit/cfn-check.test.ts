import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkTemplateFile, checkTemplateText, formatFinding, RULES, type RuleId } from '../../tools/cfn-check/index.js';
import { findCfnLint } from '../../tools/cfn-check/cfn-lint.js';
import { loadTemplate } from '../../src/cfn/template.js';
import { parseSubJson } from '../helpers/cfn-sub.js';
import { ENGINE_METRIC, METRIC_NAMESPACE } from '../../src/engine/metrics.js';
import { TABLES } from '../../src/model/tables.js';

const root = resolve(import.meta.dirname, '../..');
const fixtures = join(root, 'test/fixtures/cfn');
const engineTemplate = join(root, 'cfn/mailengine.yaml');
const tsx = join(root, 'node_modules/.bin/tsx');
const run = promisify(execFile);
const cfnLint = findCfnLint();

/** Bad samples are named after the rule they break: `<rule>.yaml` or `<rule>--<variant>.yaml`. */
const badSamples = readdirSync(fixtures)
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => ({ file, rule: file.replace(/(--[a-z0-9-]+)?\.yaml$/, '') as RuleId }));

describe('cfn:check on the engine template', () => {
  it('passes', async () => {
    const findings = await checkTemplateFile(engineTemplate);
    expect(findings.map(formatFinding)).toEqual([]);
  });

  it('holds the template to the table contract the code queries', async () => {
    const text = readFileSync(engineTemplate, 'utf8');
    const renamed = text.replace('IndexName: by-message-id', 'IndexName: by-ses-id');
    expect(renamed).not.toBe(text);
    const findings = await checkTemplateText(renamed);
    expect(findings.map((f) => `${f.resource} ${f.rule}`)).toEqual(['TrackingTable table-contract', 'TrackingTable table-contract']);
    // The contract is src/model/tables.ts itself, not a copy.
    expect(TABLES.map((t) => t.logicalId)).toEqual(['TrackingTable', 'SuppressionTable']);
  });

  it('never states SendingEnabled on the configuration set', () => {
    expect(readFileSync(engineTemplate, 'utf8')).not.toMatch(/SendingEnabled/);
  });

  it('gives every function the environment the handlers read', async () => {
    const template = await loadTemplate(engineTemplate);
    const common = ['TRACKING_TABLE', 'SUPPRESSION_TABLE', 'TEMPLATES_BUCKET', 'CONFIGURATION_SET', 'EVENT_BUS_NAME', 'DEFAULT_FROM_EMAIL', 'DEFAULT_FROM_NAME', 'DATA_RETENTION_DAYS', 'SOFT_BOUNCE_THRESHOLD', 'ENGINE_VERSION'];
    const variables = (id: string) => Object.keys((template.Resources[id].Properties as { Environment: { Variables: object } }).Environment.Variables).sort();
    const scheduling = ['SEND_QUEUE_ARN', 'SCHEDULE_GROUP', 'SCHEDULER_ROLE_ARN'];
    expect(variables('SenderFunction')).toEqual([...common, 'SUPPRESSION_HASH_SECRET_ARN', 'MAX_SEND_RATE', 'SEND_CONCURRENCY', 'SEND_QUEUE_URL', ...scheduling].sort());
    // Feedback keeps a bounce or complaint for an erased address as its keyed hash: it reads the key too.
    expect(variables('FeedbackFunction')).toEqual([...common, 'SUPPRESSION_HASH_SECRET_ARN', 'MAX_RECEIVE_COUNT'].sort());
    const readsHashKey = (role: string) =>
      ((template.Resources[role].Properties as { Policies: Array<{ PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } }> }).Policies ?? [])
        .flatMap((p) => p.PolicyDocument.Statement)
        .filter((st) => JSON.stringify(st.Action) === '"secretsmanager:GetSecretValue"')
        .map((st) => st.Resource);
    expect(readsHashKey('SenderRole')).toEqual([{ Ref: 'SuppressionHashSecret' }]);
    expect(readsHashKey('FeedbackRole')).toEqual([{ Ref: 'SuppressionHashSecret' }]);
    expect(variables('PauseFunction')).toEqual([...common, 'SENDER_EVENT_SOURCE_MAPPING_UUID'].sort());
  });


  it('has a dashboard body that is valid JSON with a region on every widget', async () => {
    const template = await loadTemplate(engineTemplate);
    const body = parseSubJson(template.Resources.Dashboard.Properties?.DashboardBody) as { widgets: { properties: { region?: string; metrics?: unknown[] } }[] };
    expect(body.widgets.length).toBeGreaterThanOrEqual(6);
    for (const widget of body.widgets) {
      expect(widget.properties.region).toBeTruthy();
      expect(widget.properties.metrics?.length).toBeGreaterThan(0);
    }
  });

  it('offers a publisher policy that only allows PutEvents of Email Request events on the bus', async () => {
    const template = await loadTemplate(engineTemplate);
    const policy = parseSubJson(template.Outputs?.PublisherPolicy.Value) as { Statement: { Effect: string; Action: string; Resource: string; Condition: unknown }[] };
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'events:PutEvents', Resource: '1', Condition: { StringEquals: { 'events:detail-type': 'Email Request' } } }),
    ]);
  });

  it('offers an attachment policy that only allows PutObject under attachments/ of the templates bucket', async () => {
    const template = await loadTemplate(engineTemplate);
    const value = template.Outputs?.AttachmentUploadPolicy.Value as { 'Fn::Sub': string };
    expect(value['Fn::Sub']).toContain('arn:${AWS::Partition}:s3:::${TemplatesBucket}/attachments/*');
    expect(parseSubJson(value).Statement).toEqual([{ Sid: 'UploadEmailAttachments', Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:1:s3:::1/attachments/*' }]);
  });

  it('offers a scheduled-sends policy with the two tracking-table actions the client\'s cancel and reschedule make', async () => {
    const template = await loadTemplate(engineTemplate);
    const value = template.Outputs?.ScheduledSendsPolicy.Value as { 'Fn::Sub': string };
    expect(value['Fn::Sub']).toContain('"Resource":"${TrackingTable.Arn}"');
    expect(parseSubJson(value).Statement).toEqual([{ Sid: 'CancelAndRescheduleEmails', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: '1' }]);
  });
});

describe('the engine template guards its per-message outcomes and its bus', () => {
  type Properties = Record<string, unknown>;
  const properties = async (id: string) => (await loadTemplate(engineTemplate)).Resources[id].Properties as Properties;

  it('tells Feedback the receive count its queue dead-letters at', async () => {
    const queue = await properties('FeedbackQueue');
    const fn = await properties('FeedbackFunction');
    const variables = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Number(variables.MAX_RECEIVE_COUNT)).toBe((queue.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount);
  });

  it('bounds the Feedback mapping by the FeedbackConcurrency parameter', async () => {
    const template = await loadTemplate(engineTemplate);
    expect(template.Resources.FeedbackEventSourceMapping.Properties?.ScalingConfig).toEqual({ MaximumConcurrency: { Ref: 'FeedbackConcurrency' } });
    expect(template.Parameters?.FeedbackConcurrency).toMatchObject({ Type: 'Number', MinValue: 2, MaxValue: 1000 });
    const text = readFileSync(engineTemplate, 'utf8');
    const unbounded = text.replace(/\n {6}ScalingConfig:\n {8}MaximumConcurrency: !Ref FeedbackConcurrency/, '');
    expect(unbounded).not.toBe(text);
    expect((await checkTemplateText(unbounded)).map((f) => `${f.resource} ${f.rule}`)).toEqual(['FeedbackEventSourceMapping queue-concurrency-unbounded']);
  });

  it('denies everyone but the Sender and Feedback roles any detail-type other than Email Request, publishers listed or not', async () => {
    const template = await loadTemplate(engineTemplate);
    const policy = template.Resources.EngineOnlyStatusEventsPolicy;
    expect(policy.Condition).toBeUndefined();
    expect(policy.Properties?.Statement).toEqual({
      Effect: 'Deny',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] },
      Condition: {
        StringNotEquals: { 'events:detail-type': 'Email Request' },
        ArnNotLike: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': ['SenderRole', 'Arn'] }, { 'Fn::GetAtt': ['FeedbackRole', 'Arn'] }] },
      },
    });
  });

  it('lets listed publishers put Email Request events only', async () => {
    const statement = (await properties('PublisherAllowPolicy')).Statement as { Condition: Record<string, unknown> };
    expect(statement.Condition.StringEquals).toEqual({ 'events:detail-type': 'Email Request' });
    const text = readFileSync(engineTemplate, 'utf8');
    const open = text.replace(/\n {10}StringEquals:\n {12}events:detail-type: Email Request/, '');
    expect(open).not.toBe(text);
    expect((await checkTemplateText(open)).map((f) => `${f.resource} ${f.rule}`)).toEqual(['PublisherAllowPolicy bus-policy-any-detail-type']);
  });

  it('alarms on every per-message outcome the handlers count, under the names the code uses', async () => {
    const template = await loadTemplate(engineTemplate);
    const alarms = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.Namespace === METRIC_NAMESPACE)
      .map((r) => {
        const p = r.Properties as { MetricName: string; Dimensions: { Name: string; Value: unknown }[]; AlarmActions: unknown[] };
        expect(p.Dimensions).toEqual([{ Name: 'Stack', Value: { Ref: 'AWS::StackName' } }, { Name: 'Function', Value: expect.any(String) }]);
        expect(p.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
        return `${p.Dimensions[1].Value} ${p.MetricName}`;
      })
      .sort();
    const { failed, retried, throttled, deadLettered } = ENGINE_METRIC;
    expect(alarms).toEqual(
      [
        ...[failed, retried, throttled, deadLettered].map((m) => `sender ${m}`),
        // Feedback's throttling always comes with a retry, which has its own alarm.
        ...[failed, retried, deadLettered].map((m) => `feedback ${m}`),
      ].sort(),
    );
  });
});

describe('cfn:check on bad samples', () => {
  it('has a bad sample for every rule', () => {
    const covered = new Set(badSamples.map((sample) => sample.rule));
    expect(Object.keys(RULES).filter((rule) => !covered.has(rule as RuleId))).toEqual([]);
  });

  it.each(badSamples)('$file fails with $rule only', async ({ file, rule }) => {
    expect(Object.keys(RULES)).toContain(rule);
    const findings = await checkTemplateFile(join(fixtures, file));
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) {
      expect(finding.rule).toBe(rule);
      // Each failure names the resource (or parameter, output, template) it is about.
      expect(finding.resource).toMatch(/^[A-Za-z0-9]+$/);
      expect(formatFinding(finding)).toContain(`[${rule}]`);
    }
  });
});

describe('cfn:check details', () => {
  const role = (statement: string) => `
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: { Service: lambda.amazonaws.com }
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
${statement}
`;

  it('accepts a star resource whose marker gives a reason, on the same line or above', async () => {
    const sameLine = role(`              - Effect: Allow
                Action: cloudwatch:PutMetricData
                Resource: '*' # cfn-check: allow-star-resource no resource-level permissions`);
    const above = role(`              - Effect: Allow
                Action: cloudwatch:PutMetricData
                # cfn-check: allow-star-resource no resource-level permissions
                Resource: '*'`);
    expect(await checkTemplateText(sameLine)).toEqual([]);
    expect(await checkTemplateText(above)).toEqual([]);
    expect(await checkTemplateFile(join(fixtures, 'pass/iam-star-resource-allowed.yaml'))).toEqual([]);
  });

  it('does not let a marker on one statement excuse another', async () => {
    const text = role(`              - Effect: Allow
                Action: cloudwatch:PutMetricData
                Resource: '*' # cfn-check: allow-star-resource no resource-level permissions
              - Effect: Allow
                Action: ses:SendEmail
                Resource:
                  - arn:aws:ses:eu-west-1:111122223333:identity/example.com
                  - '*'`);
    const findings = await checkTemplateText(text);
    expect(findings.map((f) => f.rule)).toEqual(['iam-star-resource']);
  });

  it('skips Deny statements and finds stars in both branches of Fn::If', async () => {
    const text = `
Parameters:
  Wide:
    Type: String
    Description: Widen the policy.
Conditions:
  IsWide: !Equals [!Ref Wide, 'yes']
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: true
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: '*'
            Action: '*'
            Resource: '*'
            Condition: { Bool: { aws:SecureTransport: 'false' } }
          - Effect: Allow
            Principal: { Service: events.amazonaws.com }
            Action: !If [IsWide, 'sqs:*', sqs:SendMessage]
            Resource: !GetAtt Queue.Arn
`;
    const findings = await checkTemplateText(text);
    expect(findings.map((f) => `${f.resource} ${f.rule}`)).toEqual(['QueuePolicy iam-star-action']);
  });

  it('reads visibility timeouts and function timeouts from parameter defaults', async () => {
    const text = readFileSync(join(fixtures, 'queue-visibility-timeout.yaml'), 'utf8')
      .replace('VisibilityTimeout: 60', 'VisibilityTimeout: !Ref Visibility')
      .replace('Resources:', 'Parameters:\n  Visibility:\n    Type: Number\n    Description: Seconds.\n    Default: 180\nResources:');
    expect(await checkTemplateText(text)).toEqual([]);
  });
});

describe('npm run cfn:check', () => {
  it('exits 1 and names the resource and rule for a bad template', async () => {
    const failure = await run(tsx, ['tools/cfn-check/main.ts', join(fixtures, 'lambda-runtime.yaml')], { cwd: root }).then(
      () => undefined,
      (error: { code?: number; stdout?: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toContain('Function: [lambda-runtime] Runtime nodejs20.x');
  }, 60_000);

  it('exits 0 on the engine template (its default)', async () => {
    const { stderr } = await run(tsx, ['tools/cfn-check/main.ts'], { cwd: root });
    expect(stderr).toContain('cfn-check: cfn/mailengine.yaml passed');
    expect(stderr).toMatch(cfnLint && !('skipped' in cfnLint) ? /cfn-lint: cfn\/mailengine.yaml passed/ : /cfn-lint: skipped: cfn-lint not found \(.+\)/);
  }, 60_000); // cfn-lint is a Python program: seconds of start-up on a busy machine

  it('reports cfn-lint as skipped, with the reason, when it cannot be found', async () => {
    const { stderr } = await run(tsx, ['tools/cfn-check/main.ts'], { cwd: root, env: { ...process.env, CFN_LINT: join(root, 'no-such-cfn-lint') } });
    expect(stderr).toContain('cfn-check: cfn/mailengine.yaml passed');
    expect(stderr).toMatch(/cfn-lint: skipped: cfn-lint not found \(CFN_LINT=.*no-such-cfn-lint does not exist/);
  });
});

// The generic rules are cfn-lint's: each sample under fixtures/cfn/cfn-lint/ is named after the
// cfn-lint rule that must reject it (`<rule>--<what it breaks>.yaml`).
describe.skipIf(!cfnLint || 'skipped' in cfnLint)('cfn-lint on bad samples', () => {
  it('rejects every sample with the rule it is named after', async () => {
    const dir = join(fixtures, 'cfn-lint');
    const samples = readdirSync(dir).filter((file) => file.endsWith('.yaml'));
    expect(samples.length).toBeGreaterThan(10);
    const command = (cfnLint as { command: string }).command;
    const output = await run(command, ['--format', 'parseable', '--', ...samples], { cwd: dir }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? '',
    );
    const found = new Set(output.split('\n').filter(Boolean).map((line) => `${line.split(':')[0]} ${line.split(':')[5]}`));
    expect(samples.filter((file) => !found.has(`${file} ${file.split('--')[0]}`))).toEqual([]);
  });
});
