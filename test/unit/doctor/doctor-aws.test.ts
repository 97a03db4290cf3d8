import * as ses from '@aws-sdk/client-sesv2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../../src/aws/clients.js';
import { doctorAws } from '../../../src/operations/doctor/aws.js';
import type { DoctorCheck, DoctorReport } from '../../../src/operations/doctor/index.js';
import { autoPauseAlarm } from '../../helpers/cloudwatch-alarms.js';
import { FakeDns } from '../../helpers/fake-dns.js';
import { FakeServiceError } from '../../helpers/fake-cloudformation.js';
import { ACCOUNT, REGION, VERIFIED_DOMAIN, createWorld, type World } from '../../fixtures/stack/aws-world.js';
import { STACK, install } from '../../fixtures/stack/harness.js';

/** Every record example.com's identity (VERIFIED_DOMAIN: tokens token1-3, MAIL FROM mail.example.com) needs, in place. */
function publishRecords(dns: FakeDns): void {
  for (const token of ['token1', 'token2', 'token3']) dns.set(`${token}._domainkey.example.com`, { CNAME: `${token}.dkim.amazonses.com` });
  dns.set('mail.example.com', { MX: [{ exchange: `feedback-smtp.${REGION}.amazonses.com`, priority: 10 }], TXT: [['v=spf1 include:amazonses.com ~all']] });
  dns.set('_dmarc.example.com', { TXT: [['v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com']] });
}

const TEMPLATE = {
  'metadata.json': JSON.stringify({ subject: 'Hello {{ userName }}', requiredVariables: ['userName'], version: '1.0.0', sampleData: { userName: 'Ada' } }),
  'template.html': '<!doctype html><html><body><p>Hello {{ userName }}.</p></body></html>',
  'template.txt': 'Hello {{ userName }}.',
};

let world: World;
let dns: FakeDns;
let resolver: string;
let outputs: Record<string, string>;

beforeAll(async () => {
  dns = new FakeDns();
  resolver = await dns.start();
});
afterAll(() => dns.stop());

beforeEach(async () => {
  world = createWorld();
  await install(world);
  dns.zone.clear();
  publishRecords(dns);
  outputs = world.cfn.liveStack(STACK)!.outputs;
  const bucket = outputs.TemplatesBucketName;
  world.s3.buckets.set(bucket, { owner: ACCOUNT, region: REGION, versioning: false, versions: [], settings: {} });
  for (const [file, body] of Object.entries(TEMPLATE)) world.s3.put(bucket, `templates/welcome/${file}`, body);
});
afterEach(() => world.restore());

const run = (aws: AwsClientFactory = world.aws) => doctorAws({ aws, stackName: STACK, dns: { servers: [resolver], timeoutMs: 1000 }, version: '0.1.0', now: Date.parse('2026-12-03T10:00:00Z') });
const byId = (report: DoctorReport, id: string): DoctorCheck => {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in ${report.checks.map((c) => c.id).join(', ')}`);
  return found;
};

describe('doctor against a deployed stack', () => {
  it('passes every check of a healthy engine, in group order, with the metrics read as CloudWatch names them', async () => {
    world.alarms = [autoPauseAlarm(STACK, 'bounce', 'OK', 0, 0.04), autoPauseAlarm(STACK, 'complaint', 'OK', 0, 0.0008)];
    const report = await run();
    expect(report.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id} ${c.status}: ${c.summary}`)).toEqual([]);
    expect(report).toMatchObject({ target: 'aws', stackName: STACK, region: REGION, ok: true });
    expect(report.checks.map((c) => c.id)).toEqual([
      'region', 'credentials',
      'stack', 'engine-version',
      'ses-sandbox', 'ses-sending', 'ses-quota',
      'identity', 'dkim', 'mail-from', 'dns-dkim-1', 'dns-dkim-2', 'dns-dkim-3', 'dns-mail-from-mx', 'dns-spf', 'dns-dmarc',
      'alarm-subscription', 'alarms',
      'paused', 'event-destination',
      'send-queue', 'send-dlq', 'feedback-queue', 'feedback-dlq',
      'bounce-rate', 'complaint-rate',
      'templates',
    ]);
    expect(byId(report, 'credentials').summary).toBe(`Credentials of arn:aws:iam::${ACCOUNT}:user/deployer (account ${ACCOUNT})`);
    expect(byId(report, 'templates').summary).toBe('1 template in the bucket, all valid');
    expect(byId(report, 'alarms').summary).toBe('None of 2 alarms is in ALARM');
    // The metric reads: oldest-message age per queue (AWS/SQS, by QueueName) and the two reputation rates of the configuration set.
    const metricCalls = world.calls.filter((c) => c.command === 'GetMetricData').map((c) => c.input as unknown as { MetricDataQueries: Array<{ Id: string; MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: string }> }; Stat: string } }> });
    const queries = metricCalls.flatMap((c) => c.MetricDataQueries.map((q) => `${q.Id} ${q.MetricStat.Metric.Namespace} ${q.MetricStat.Metric.MetricName} ${q.MetricStat.Metric.Dimensions.map((d) => `${d.Name}=${d.Value}`).join(',')} ${q.MetricStat.Stat}`));
    const queue = (key: string) => outputs[key].split('/').at(-1);
    expect(queries.sort()).toEqual(
      [
        `age_send AWS/SQS ApproximateAgeOfOldestMessage QueueName=${queue('SendQueueUrl')} Maximum`,
        `age_send_dlq AWS/SQS ApproximateAgeOfOldestMessage QueueName=${queue('SendDeadLetterQueueUrl')} Maximum`,
        `age_feedback AWS/SQS ApproximateAgeOfOldestMessage QueueName=${queue('FeedbackQueueUrl')} Maximum`,
        `age_feedback_dlq AWS/SQS ApproximateAgeOfOldestMessage QueueName=${queue('FeedbackDeadLetterQueueUrl')} Maximum`,
        `bounce AWS/SES Reputation.BounceRate ses:configuration-set=${outputs.ConfigurationSetName} Maximum`,
        `complaint AWS/SES Reputation.ComplaintRate ses:configuration-set=${outputs.ConfigurationSetName} Maximum`,
      ].sort(),
    );
  });

  it('no credentials: the access check fails with the fix and every other check is skipped, not failed', async () => {
    // No stand-ins: the real STS client, whose credential chain finds nothing (as the SDK reports it).
    world.restore();
    const factory = new AwsClientFactory({ region: REGION, maxAttempts: 1 });
    (await factory.sts()).config.credentials = async () => {
      throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    };
    const report = await doctorAws({ aws: factory, stackName: STACK });
    expect(byId(report, 'credentials')).toMatchObject({ status: 'fail', summary: 'No AWS credentials were found.' });
    expect(byId(report, 'credentials').fix).toMatch(/aws configure/);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => c.id !== 'credentials' && c.id !== 'region').every((c) => c.status === 'skip')).toBe(true);
  });

  it('no region: fails the region check and checks nothing else', async () => {
    const report = await doctorAws({ aws: new AwsClientFactory({ maxAttempts: 1, credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'x' } }), stackName: STACK });
    expect(byId(report, 'region')).toMatchObject({ status: 'fail', summary: 'No AWS region is set' });
    expect(byId(report, 'region').fix).toContain('--region');
    expect(byId(report, 'credentials').status).toBe('skip');
  });

  it('no stack: the stack check fails with the install command; the SES account is still checked', async () => {
    const report = await doctorAws({ aws: world.aws, stackName: 'other', now: Date.now() });
    expect(byId(report, 'stack')).toMatchObject({ status: 'fail', summary: `No stack named other in ${REGION}` });
    expect(byId(report, 'stack').fix).toContain('mailengine deploy');
    expect(byId(report, 'ses-sandbox').status).toBe('pass');
    expect(byId(report, 'templates').status).toBe('skip');
  });

  it('the sandbox warns with what it limits and how to leave it; a quota near its end warns, a spent one fails', async () => {
    world.ses.account = { ...world.ses.account, ProductionAccessEnabled: false, SendQuota: { Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 170 } };
    let report = await run();
    expect(byId(report, 'ses-sandbox')).toMatchObject({ status: 'warn', summary: `The SES account in ${REGION} is in the sandbox` });
    expect(byId(report, 'ses-sandbox').detail).toContain('only to verified addresses');
    expect(byId(report, 'ses-sandbox').fix).toContain('Request production access');
    expect(byId(report, 'ses-quota')).toMatchObject({ status: 'warn', summary: 'Near the 24-hour quota: 170 of 200 sent in the last 24 h (85 %)' });
    expect(report.ok).toBe(true);
    world.ses.account = { ...world.ses.account, SendQuota: { Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 200 } };
    report = await run();
    expect(byId(report, 'ses-quota').status).toBe('fail');
    expect(report.ok).toBe(false);
  });

  it('an account SES has shut down fails; one on probation warns', async () => {
    world.ses.account = { ...world.ses.account, EnforcementStatus: 'PROBATION' };
    expect(byId(await run(), 'ses-sending').status).toBe('warn');
    world.ses.account = { ...world.ses.account, SendingEnabled: false, EnforcementStatus: 'SHUTDOWN' };
    expect(byId(await run(), 'ses-sending').status).toBe('fail');
  });

  it('tells DKIM pending (warn) from failed (fail), and a record missing from DNS (fail with the record to add)', async () => {
    world.ses.identities['example.com'] = { ...VERIFIED_DOMAIN, VerifiedForSendingStatus: false, VerificationStatus: 'PENDING', DkimAttributes: { ...VERIFIED_DOMAIN.DkimAttributes, Status: 'PENDING' } };
    dns.zone.delete('token2._domainkey.example.com');
    let report = await run();
    expect(byId(report, 'identity')).toMatchObject({ status: 'warn', summary: 'example.com is not verified for sending: verification pending' });
    expect(byId(report, 'dkim')).toMatchObject({ status: 'warn', summary: 'DKIM pending' });
    expect(byId(report, 'dkim').detail).toContain('72 hours');
    expect(byId(report, 'dns-dkim-2')).toMatchObject({ status: 'fail', fix: 'Add CNAME token2._domainkey.example.com → token2.dkim.amazonses.com' });
    expect(byId(report, 'dns-dkim-1').status).toBe('pass');

    world.ses.identities['example.com'] = {
      ...VERIFIED_DOMAIN,
      VerifiedForSendingStatus: false,
      VerificationStatus: 'FAILED',
      VerificationInfo: { ErrorType: 'HOST_NOT_FOUND', LastCheckedTimestamp: new Date('2026-12-02T10:00:00Z') },
      DkimAttributes: { ...VERIFIED_DOMAIN.DkimAttributes, Status: 'FAILED' },
    };
    report = await run();
    expect(byId(report, 'identity')).toMatchObject({ status: 'fail' });
    expect(byId(report, 'identity').detail).toContain('HOST_NOT_FOUND');
    expect(byId(report, 'dkim')).toMatchObject({ status: 'fail', summary: 'DKIM failed' });
    expect(byId(report, 'dkim').fix).toContain('mailengine domain verify example.com');
  });

  it('MAIL FROM pending warns, failed fails; SPF without amazonses.com and a missing DMARC fail; no identity at all fails', async () => {
    world.ses.identities['example.com'] = { ...VERIFIED_DOMAIN, MailFromAttributes: { ...VERIFIED_DOMAIN.MailFromAttributes!, MailFromDomainStatus: 'PENDING' } };
    dns.set('mail.example.com', { MX: [{ exchange: `feedback-smtp.${REGION}.amazonses.com`, priority: 10 }], TXT: [['v=spf1 include:_spf.example.net ~all']] });
    dns.zone.delete('_dmarc.example.com');
    let report = await run();
    expect(byId(report, 'mail-from')).toMatchObject({ status: 'warn', summary: 'MAIL FROM mail.example.com pending' });
    expect(byId(report, 'dns-spf')).toMatchObject({ status: 'fail' });
    expect(byId(report, 'dns-spf').fix).toContain('include:amazonses.com');
    expect(byId(report, 'dns-dmarc')).toMatchObject({ status: 'fail' });
    world.ses.identities['example.com'] = { ...VERIFIED_DOMAIN, MailFromAttributes: { ...VERIFIED_DOMAIN.MailFromAttributes!, MailFromDomainStatus: 'FAILED' } };
    expect(byId(await run(), 'mail-from').status).toBe('fail');
    delete world.ses.identities['example.com'];
    report = await run();
    expect(byId(report, 'identity')).toMatchObject({ status: 'fail', summary: `SES has no identity example.com in ${REGION}: nothing can be sent from it` });
    expect(byId(report, 'identity').fix).toBe('Create it: `mailengine domain verify example.com`, then publish the records it prints.');
  });

  it('an email-address identity: verified passes, unverified fails with the verification email; no DNS checks', async () => {
    world.restore();
    world = createWorld();
    world.ses.identities['no-reply@example.com'] = { IdentityType: 'EMAIL_ADDRESS', VerifiedForSendingStatus: true, VerificationStatus: 'SUCCESS', DkimAttributes: { SigningEnabled: true, Status: 'SUCCESS', SigningAttributesOrigin: 'AWS_SES', Tokens: [] }, Policies: {}, Tags: [] };
    await install(world, { flagParameters: { SenderIdentity: 'no-reply@example.com', DefaultFromEmail: 'no-reply@example.com', AdminEmail: 'ops@example.com' } });
    let report = await run();
    expect(byId(report, 'identity')).toMatchObject({ status: 'pass', summary: 'no-reply@example.com (an email address) is verified for sending' });
    expect(byId(report, 'dkim').status).toBe('skip');
    expect(report.checks.some((c) => c.id.startsWith('dns-'))).toBe(false);
    world.ses.identities['no-reply@example.com'] = { ...world.ses.identities['no-reply@example.com'], VerifiedForSendingStatus: false, VerificationStatus: 'PENDING' };
    report = await run();
    expect(byId(report, 'identity')).toMatchObject({ status: 'fail', summary: 'no-reply@example.com (an email address) is not verified (pending)' });
    expect(byId(report, 'identity').fix).toContain('verification email');
  });

  it('the oldest message\'s age unreadable (GetMetricData denied): a waiting queue warns, the rest of the checks stand', async () => {
    world.queueDepths[outputs.SendQueueUrl] = { waiting: 12 };
    world.metricsError = new FakeServiceError('AccessDenied', `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: cloudwatch:GetMetricData`, 403);
    const report = await run();
    expect(byId(report, 'send-queue')).toMatchObject({ status: 'warn', summary: 'send queue: 12 waiting, for how long is unknown' });
    expect(byId(report, 'bounce-rate').status).toBe('fail');
    expect(byId(report, 'bounce-rate').summary).toContain('Could not read the reputation metrics');
    expect(byId(report, 'alarms').status).not.toBe('fail');
  });

  it('the alarm email subscription: pending confirmation warns with how to confirm it, none at all fails', async () => {
    const topic = outputs.AlarmTopicArn;
    world.subscriptions[topic] = [{ SubscriptionArn: 'PendingConfirmation', Owner: ACCOUNT, Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topic }];
    let report = await run();
    expect(byId(report, 'alarm-subscription')).toMatchObject({ status: 'warn' });
    expect(byId(report, 'alarm-subscription').summary).toContain('ops@example.com is pending confirmation');
    expect(byId(report, 'alarm-subscription').fix).toContain('Confirm subscription');
    expect(world.calls.find((c) => c.command === 'ListSubscriptionsByTopic')?.input).toEqual({ TopicArn: topic, NextToken: undefined });
    world.subscriptions[topic] = [];
    report = await run();
    expect(byId(report, 'alarm-subscription')).toMatchObject({ status: 'fail' });
    expect(byId(report, 'alarm-subscription').fix).toContain('AdminEmail=');
  });

  it('an auto-pause alarm in ALARM fails with the value against its threshold; a warning alarm warns', async () => {
    world.alarms = [autoPauseAlarm(STACK, 'bounce', 'ALARM', 0.062, 0.04), autoPauseAlarm(STACK, 'complaint', 'OK', 0, 0.0008)];
    let report = await run();
    expect(byId(report, 'alarms')).toMatchObject({ status: 'fail', summary: `1 alarm in ALARM: ${STACK}-bounce-rate-auto-pause` });
    expect(byId(report, 'alarms').detail).toContain('Reputation.BounceRate is 6.2 %');
    expect(byId(report, 'alarms').fix).toContain('mailengine resume');
    const warning = { ...autoPauseAlarm(STACK, 'bounce', 'ALARM', 0.025, 0.02), AlarmName: `${STACK}-bounce-rate-warning`, AlarmActions: [`arn:aws:sns:${REGION}:${ACCOUNT}:${STACK}-alarms`] };
    world.alarms = [warning, autoPauseAlarm(STACK, 'complaint', 'OK', 0, 0.0008)];
    report = await run();
    expect(byId(report, 'alarms')).toMatchObject({ status: 'warn', summary: `1 alarm in ALARM: ${STACK}-bounce-rate-warning` });
    expect(byId(report, 'alarms').detail).toContain('warning threshold');
  });

  it('paused fails with the resume command; partly paused fails too', async () => {
    world.ses.sending[outputs.ConfigurationSetName] = false;
    world.mappings[outputs.SenderEventSourceMappingId] = 'Disabled';
    let report = await run();
    expect(byId(report, 'paused')).toMatchObject({ status: 'fail', summary: 'Sending is paused: requests wait in the send queue' });
    expect(byId(report, 'paused').fix).toContain('mailengine resume');
    world.mappings[outputs.SenderEventSourceMappingId] = 'Enabled';
    report = await run();
    expect(byId(report, 'paused')).toMatchObject({ status: 'fail', summary: 'Sending is partly paused: one of its two switches is off' });
  });

  it('queues: a backlog older than 5 minutes warns, than an hour fails; requests in the send DLQ fail', async () => {
    world.queueDepths[outputs.SendQueueUrl] = { waiting: 40, inFlight: 2 };
    world.metrics[`ApproximateAgeOfOldestMessage ${outputs.SendQueueUrl.split('/').at(-1)}`] = 420;
    let report = await run();
    expect(byId(report, 'send-queue')).toMatchObject({ status: 'warn', summary: 'send queue: the oldest message has waited 7 min', detail: '40 waiting, 2 in flight, oldest 7 min' });
    world.metrics[`ApproximateAgeOfOldestMessage ${outputs.SendQueueUrl.split('/').at(-1)}`] = 7200;
    world.queueDepths[outputs.SendDeadLetterQueueUrl] = 3;
    report = await run();
    expect(byId(report, 'send-queue').status).toBe('fail');
    expect(byId(report, 'send-dlq')).toMatchObject({ status: 'fail', summary: 'send-dlq holds 3 messages: requests that were never sent' });
    expect(byId(report, 'send-dlq').fix).toContain('mailengine dlq redrive --queue send');
  });

  it('reputation: under the warning passes, from the warning warns, from the pause threshold fails (the stack parameters)', async () => {
    const set = outputs.ConfigurationSetName;
    world.metrics[`Reputation.BounceRate ${set}`] = 0.01;
    world.metrics[`Reputation.ComplaintRate ${set}`] = 0.0006;
    let report = await run();
    expect(byId(report, 'bounce-rate')).toMatchObject({ status: 'pass', summary: 'Bounce rate 1 %', detail: 'warns at 2 %, pauses at 4 %' });
    expect(byId(report, 'complaint-rate')).toMatchObject({ status: 'warn', summary: 'Complaint rate 0.06 %: over the warning threshold of 0.05 %' });
    world.metrics[`Reputation.BounceRate ${set}`] = 0.045;
    report = await run();
    expect(byId(report, 'bounce-rate')).toMatchObject({ status: 'fail', summary: 'Bounce rate 4.5 %: at or over the auto-pause threshold of 4 %' });
  });

  it('the event destination: disabled or missing fails; the dashboard one disabled warns', async () => {
    const set = outputs.ConfigurationSetName;
    const bridge: ses.EventDestination = { Name: 'eventbridge', Enabled: false, MatchingEventTypes: ['SEND', 'BOUNCE', 'COMPLAINT', 'DELIVERY'], EventBridgeDestination: { EventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` } };
    world.eventDestinations[set] = [bridge];
    let report = await run();
    expect(byId(report, 'event-destination')).toMatchObject({ status: 'fail' });
    expect(byId(report, 'event-destination').summary).toContain('is disabled');
    world.eventDestinations[set] = [];
    expect(byId(await run(), 'event-destination').status).toBe('fail');
    world.eventDestinations[set] = [{ ...bridge, Enabled: true }, { Name: 'cloudwatch', Enabled: false, MatchingEventTypes: ['SEND'], CloudWatchDestination: { DimensionConfigurations: [] } }];
    report = await run();
    expect(byId(report, 'event-destination').status).toBe('warn');
    expect(world.calls.find((c) => c.command === 'GetConfigurationSetEventDestinations')?.input).toEqual({ ConfigurationSetName: set });
  });

  it('templates in the bucket: one failing validation fails with file and line; none at all warns', async () => {
    const bucket = outputs.TemplatesBucketName;
    world.s3.put(bucket, 'templates/broken/metadata.json', TEMPLATE['metadata.json']);
    world.s3.put(bucket, 'templates/broken/template.html', '<p>Hello {{ userNam }}.</p>');
    world.s3.put(bucket, 'templates/broken/template.txt', TEMPLATE['template.txt']);
    let report = await run();
    expect(byId(report, 'templates')).toMatchObject({ status: 'fail', summary: '1 of 2 templates in the bucket fail validation: broken' });
    expect(byId(report, 'templates').detail).toMatch(/^broken:\n {2}templates\/broken\/template\.html:1:\d+: /);
    world.s3.buckets.get(bucket)!.versions = [];
    report = await run();
    expect(byId(report, 'templates')).toMatchObject({ status: 'warn' });
    expect(byId(report, 'templates').fix).toContain('mailengine templates push');
  });

  it('a part the credentials may not read fails alone, naming the permission; the rest is still checked', async () => {
    world.ses.accountError = new FakeServiceError('AccessDeniedException', `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: ses:GetAccount`, 403);
    const report = await run();
    expect(byId(report, 'ses-sandbox')).toMatchObject({ status: 'fail' });
    expect(byId(report, 'ses-sandbox').summary).toContain('ses:GetAccount');
    expect(byId(report, 'paused').status).toBe('pass');
  });
});
