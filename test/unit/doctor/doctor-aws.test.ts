import * as ses from '@aws-sdk/client-sesv2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderDoctorReport } from '../../../commands/terminal/doctor-report.js';
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

/** Every check's id against a deployed stack whose identity has a custom MAIL FROM, in report order. */
const DOMAIN_IDS = ['identity', 'dkim', 'mail-from', 'dns-dkim-1', 'dns-dkim-2', 'dns-dkim-3', 'dns-mail-from-mx', 'dns-spf', 'dns-dmarc'];
const ALL_IDS = [
  'region', 'credentials',
  'stack', 'engine-version',
  'ses-sandbox', 'ses-sending', 'ses-quota',
  ...DOMAIN_IDS,
  'alarm-subscription', 'alarms',
  'paused', 'event-destination',
  'send-queue', 'send-dlq', 'feedback-queue', 'feedback-dlq',
  'bounce-rate', 'complaint-rate',
  'templates',
];

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
    expect(report.checks.map((c) => c.id)).toEqual(ALL_IDS);
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
    expect(report.checks.map((c) => c.id)).toEqual(ALL_IDS);
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
    expect(report.checks.map((c) => c.id)).toEqual(ALL_IDS);
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

  it('DKIM TEMPORARY_FAILURE and NOT_STARTED warn: SES is still checking', async () => {
    for (const [status, word] of [['TEMPORARY_FAILURE', 'temporarily failing'], ['NOT_STARTED', 'not started']] as const) {
      world.ses.identities['example.com'] = { ...VERIFIED_DOMAIN, DkimAttributes: { ...VERIFIED_DOMAIN.DkimAttributes, Status: status } };
      const dkim = byId(await run(), 'dkim');
      expect(dkim).toMatchObject({ status: 'warn', summary: `DKIM ${word}` });
      expect(dkim.fix).toContain('mailengine domain check example.com --wait');
    }
  });

  it('DKIM verified but signing off: a warning with a verified MAIL FROM (SPF still aligns), a failure without one (DMARC fails)', async () => {
    world.ses.identities['example.com'] = { ...VERIFIED_DOMAIN, DkimAttributes: { ...VERIFIED_DOMAIN.DkimAttributes, SigningEnabled: false } };
    let dkim = byId(await run(), 'dkim');
    expect(dkim).toMatchObject({ status: 'warn', summary: 'DKIM verified but signing is off: mail goes out without example.com\'s DKIM signature' });
    expect(dkim.fix).toBe(
      `Turn signing on: \`aws sesv2 put-email-identity-dkim-attributes --region ${REGION} --email-identity example.com --signing-enabled\`, or in the SES console: Identities → example.com → Authentication → DKIM → Edit → enable "DKIM signatures".`,
    );
    const { MailFromAttributes: _, ...noMailFrom } = VERIFIED_DOMAIN;
    world.ses.identities['example.com'] = { ...noMailFrom, DkimAttributes: { ...VERIFIED_DOMAIN.DkimAttributes, SigningEnabled: false } };
    dkim = byId(await run(), 'dkim');
    expect(dkim.status).toBe('fail');
    expect(dkim.detail).toContain('DMARC');
    expect(dkim.fix).toContain('--signing-enabled');
  });

  it('a domain without a custom MAIL FROM still lists every identity id: those about MAIL FROM skipped, saying why', async () => {
    const { MailFromAttributes: _, ...noMailFrom } = VERIFIED_DOMAIN;
    world.ses.identities['example.com'] = noMailFrom;
    const report = await run();
    expect(report.checks.filter((c) => c.group === 'domain').map((c) => c.id).sort()).toEqual([...DOMAIN_IDS].sort());
    expect(byId(report, 'mail-from').status).toBe('skip');
    expect(byId(report, 'dns-mail-from-mx')).toMatchObject({ status: 'skip', summary: 'Not checked: there is no custom MAIL FROM domain' });
    expect(byId(report, 'dns-dkim-1').status).toBe('pass');
  });

  it('a MAIL FROM MX missing from DNS fails dns-mail-from-mx with the record to add', async () => {
    dns.set('mail.example.com', { TXT: [['v=spf1 include:amazonses.com ~all']] });
    const report = await run();
    expect(byId(report, 'dns-mail-from-mx')).toMatchObject({ status: 'fail', summary: 'MX mail.example.com: no MX record', fix: `Add MX mail.example.com 10 feedback-smtp.${REGION}.amazonses.com` });
    expect(byId(report, 'dns-spf').status).toBe('pass');
    expect(report.ok).toBe(false);
  });

  it('an AWS-managed domain identity (MANAGED_DOMAIN) is checked as a domain: DKIM and its DNS records', async () => {
    world.ses.identities['example.com'] = { ...VERIFIED_DOMAIN, IdentityType: 'MANAGED_DOMAIN' };
    const report = await run();
    expect(byId(report, 'identity')).toMatchObject({ status: 'pass', summary: `example.com is verified for sending in ${REGION}` });
    expect(byId(report, 'dkim')).toMatchObject({ status: 'pass', summary: 'DKIM verified' });
    expect(report.checks.filter((c) => c.id.startsWith('dns-')).map((c) => `${c.id} ${c.status}`)).toEqual(['dns-dkim-1 pass', 'dns-dkim-2 pass', 'dns-dkim-3 pass', 'dns-mail-from-mx pass', 'dns-spf pass', 'dns-dmarc pass']);
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

  it('an email-address identity: verified passes, unverified fails with the verification email; no DNS looked up, every identity id listed', async () => {
    world.restore();
    world = createWorld();
    world.ses.identities['no-reply@example.com'] = { IdentityType: 'EMAIL_ADDRESS', VerifiedForSendingStatus: true, VerificationStatus: 'SUCCESS', DkimAttributes: { SigningEnabled: true, Status: 'SUCCESS', SigningAttributesOrigin: 'AWS_SES', Tokens: [] }, Policies: {}, Tags: [] };
    await install(world, { flagParameters: { SenderIdentity: 'no-reply@example.com', DefaultFromEmail: 'no-reply@example.com', AdminEmail: 'ops@example.com' } });
    let report = await run();
    expect(byId(report, 'identity')).toMatchObject({ status: 'pass', summary: 'no-reply@example.com (an email address) is verified for sending' });
    expect(byId(report, 'dkim').status).toBe('skip');
    expect(report.checks.filter((c) => c.group === 'domain').map((c) => c.id)).toEqual(DOMAIN_IDS);
    for (const c of report.checks.filter((c) => c.id.startsWith('dns-') || c.id === 'mail-from')) {
      expect(c, c.id).toMatchObject({ status: 'skip', summary: 'Not checked: an email-address identity has no DNS records of its own' });
    }
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
    // Redeploying the same AdminEmail changes nothing, so SNS would not subscribe it again: the fix subscribes it directly.
    expect(byId(report, 'alarm-subscription').fix).toBe(
      `Subscribe the admin address, then click the link in the email AWS sends it: \`aws sns subscribe --region ${REGION} --topic-arn ${topic} --protocol email --notification-endpoint ops@example.com\`. To use another address, deploy with it: \`mailengine deploy --parameters AdminEmail=you@example.com\`.`,
    );
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

  it('a switch that cannot be read: the other is still reported; on, the check warns naming the permission; off, it fails; neither readable fails', async () => {
    world.mappingError = new FakeServiceError('AccessDeniedException', `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: lambda:GetEventSourceMapping on resource: arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:${outputs.SenderEventSourceMappingId}`, 403);
    let report = await run();
    expect(byId(report, 'paused')).toMatchObject({ status: 'warn', summary: "Configuration set sending is on; the Sender's queue mapping could not be read, so a pause there would not show" });
    expect(byId(report, 'paused').detail).toContain('lambda:GetEventSourceMapping');
    expect(byId(report, 'paused').fix).toContain('Grant lambda:GetEventSourceMapping');
    expect(report.ok).toBe(true);
    world.ses.sending[outputs.ConfigurationSetName] = false;
    report = await run();
    expect(byId(report, 'paused')).toMatchObject({ status: 'fail', summary: "Sending is at least partly paused: configuration set sending is off (the Sender's queue mapping could not be read)" });
    expect(byId(report, 'paused').fix).toContain('mailengine resume');
    world.ses.configurationSetError = new FakeServiceError('AccessDeniedException', `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: ses:GetConfigurationSet`, 403);
    report = await run();
    expect(byId(report, 'paused')).toMatchObject({ status: 'fail', summary: 'Neither sending switch could be read' });
    expect(byId(report, 'paused').detail).toContain('ses:GetConfigurationSet');
    expect(byId(report, 'paused').fix).toBe('Grant ses:GetConfigurationSet to this identity, or use a profile that has it. Grant lambda:GetEventSourceMapping to this identity, or use a profile that has it.');
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
    const bridge: ses.EventDestination = { Name: 'eventbridge', Enabled: false, MatchingEventTypes: ['SEND', 'REJECT', 'BOUNCE', 'COMPLAINT', 'DELIVERY', 'DELIVERY_DELAY', 'RENDERING_FAILURE'], EventBridgeDestination: { EventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` } };
    world.eventDestinations[set] = [bridge];
    let report = await run();
    expect(byId(report, 'event-destination')).toMatchObject({ status: 'fail' });
    expect(byId(report, 'event-destination').summary).toContain('is disabled');
    world.eventDestinations[set] = [];
    expect(byId(await run(), 'event-destination').status).toBe('fail');
    world.eventDestinations[set] = [{ ...bridge, Enabled: true }, { Name: 'cloudwatch', Enabled: false, MatchingEventTypes: ['SEND'], CloudWatchDestination: { DimensionConfigurations: [] } }];
    report = await run();
    expect(byId(report, 'event-destination')).toMatchObject({ status: 'warn', summary: "Events reach the engine, but the CloudWatch destination cloudwatch is disabled, so the dashboard's counts stay empty" });
    expect(world.calls.find((c) => c.command === 'GetConfigurationSetEventDestinations')?.input).toEqual({ ConfigurationSetName: set });
  });

  it('an EventBridge destination that leaves out event types the engine records fails, naming them', async () => {
    const set = outputs.ConfigurationSetName;
    world.eventDestinations[set] = [{ Name: 'eventbridge', Enabled: true, MatchingEventTypes: ['SEND', 'DELIVERY'], EventBridgeDestination: { EventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` } }];
    const c = byId(await run(), 'event-destination');
    expect(c).toMatchObject({ status: 'fail', summary: 'The EventBridge event destination eventbridge does not forward BOUNCE, COMPLAINT events' });
    expect(c.fix).toContain('mailengine deploy');
  });

  it('an EventBridge destination without the other outcomes the engine records (rejected, delayed, not rendered) warns, naming them', async () => {
    const set = outputs.ConfigurationSetName;
    world.eventDestinations[set] = [{ Name: 'eventbridge', Enabled: true, MatchingEventTypes: ['SEND', 'BOUNCE', 'COMPLAINT', 'DELIVERY'], EventBridgeDestination: { EventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` } }];
    const c = byId(await run(), 'event-destination');
    expect(c).toMatchObject({
      status: 'warn',
      summary: 'Events reach the engine, but the EventBridge event destination eventbridge does not forward REJECT, DELIVERY_DELAY, RENDERING_FAILURE events, so rejections, delays, rendering failures go unrecorded',
    });
    expect(c.fix).toContain('mailengine deploy');
    // With the dashboard's destination disabled too, both are said.
    world.eventDestinations[set].push({ Name: 'cloudwatch', Enabled: false, MatchingEventTypes: ['SEND'], CloudWatchDestination: { DimensionConfigurations: [] } });
    expect(byId(await run(), 'event-destination').summary).toMatch(/go unrecorded; and the CloudWatch destination cloudwatch is disabled/);
  });

  it('templates in the bucket: one failing validation fails with file and line; none at all warns', async () => {
    const bucket = outputs.TemplatesBucketName;
    world.s3.put(bucket, 'templates/broken/metadata.json', TEMPLATE['metadata.json']);
    world.s3.put(bucket, 'templates/broken/template.html', '<p>Hello {{ userNam }}.</p>');
    world.s3.put(bucket, 'templates/broken/template.txt', TEMPLATE['template.txt']);
    let report = await run();
    expect(byId(report, 'templates')).toMatchObject({ status: 'fail', summary: '1 of 2 templates in the bucket fails validation: broken' });
    expect(byId(report, 'templates').detail).toMatch(/^broken:\n {2}templates\/broken\/template\.html:1:\d+: /);
    world.s3.buckets.get(bucket)!.versions = [];
    report = await run();
    expect(byId(report, 'templates')).toMatchObject({ status: 'warn' });
    expect(byId(report, 'templates').fix).toContain('mailengine templates push');
  });

  it('templates in the bucket: one breaking its contract fails; one with warnings only warns, counted in the singular', async () => {
    const bucket = outputs.TemplatesBucketName;
    const contract = { type: 'object', properties: { userName: { type: 'string' } }, required: ['userName'] };
    world.s3.put(bucket, 'templates/welcome/metadata.json', JSON.stringify({ subject: 'Hello {{ userName }}', variables: contract, version: '1.0.0', sampleData: { userName: 'Ada' } }));
    world.s3.put(bucket, 'templates/welcome/template.html', '<!doctype html><html><body><p>Hello {{ userName }}, your plan is {{ plan }}.</p></body></html>');
    let c = byId(await run(), 'templates');
    expect(c).toMatchObject({ status: 'fail', summary: '1 of 1 template in the bucket fails validation: welcome' });
    expect(c.detail).toContain('"plan" is used but not declared in variables.properties');

    world.s3.put(bucket, 'templates/welcome/metadata.json', JSON.stringify({ ...JSON.parse(TEMPLATE['metadata.json']), colour: 'blue' }));
    world.s3.put(bucket, 'templates/welcome/template.html', TEMPLATE['template.html']);
    c = byId(await run(), 'templates');
    expect(c).toMatchObject({ status: 'warn', summary: '1 template valid; 1 with warnings: welcome' });
    expect(c.detail).toContain('unknown key "colour"');
  });

  it('a part the credentials may not read fails alone, naming the permission; the rest is still checked', async () => {
    world.ses.accountError = new FakeServiceError('AccessDeniedException', `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: ses:GetAccount`, 403);
    const report = await run();
    expect(byId(report, 'ses-sandbox')).toMatchObject({ status: 'fail' });
    expect(byId(report, 'ses-sandbox').summary).toContain('ses:GetAccount');
    // The other checks of the same read keep their ids, as not checked.
    for (const id of ['ses-sending', 'ses-quota']) expect(byId(report, id)).toMatchObject({ status: 'skip', summary: 'Not checked: the SES account could not be read' });
    expect(byId(report, 'paused').status).toBe('pass');
    expect(report.ok).toBe(false);
  });

  it('the identity denied: identity fails, and DKIM, MAIL FROM and every DNS check are listed as not checked', async () => {
    world.ses.identityError = new FakeServiceError('AccessDeniedException', `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: ses:GetEmailIdentity`, 403);
    const report = await run();
    expect(byId(report, 'identity').status).toBe('fail');
    expect(byId(report, 'identity').summary).toContain('ses:GetEmailIdentity');
    const domain = report.checks.filter((c) => c.group === 'domain');
    expect(domain.map((c) => `${c.id} ${c.status}`)).toEqual(['identity fail', ...DOMAIN_IDS.slice(1).map((id) => `${id} skip`)]);
    expect(byId(report, 'dkim')).toMatchObject({ summary: 'Not checked: the SES identity example.com could not be read', detail: 'DKIM' });
    expect(renderDoctorReport(report)).toContain('  – Not checked: the SES identity example.com could not be read (DMARC record)\n');
  });

  it('no identity at all: the checks that need it are not checked, with their ids', async () => {
    delete world.ses.identities['example.com'];
    const report = await run();
    expect(report.checks.filter((c) => c.group === 'domain').map((c) => c.id)).toEqual(DOMAIN_IDS);
    expect(byId(report, 'dns-dmarc')).toMatchObject({ status: 'skip', summary: 'Not checked: there is no identity' });
  });

  it('the stack denied: the stack check fails naming the permission; the SES account is still checked; every other id is listed as not checked', async () => {
    world.stackError = new FakeServiceError('AccessDenied', `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: cloudformation:DescribeStacks on resource: arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK}/*`, 403);
    const report = await run();
    expect(byId(report, 'stack').status).toBe('fail');
    expect(byId(report, 'stack').summary).toContain('cloudformation:DescribeStacks');
    expect(byId(report, 'stack').fix).toContain('Grant cloudformation:DescribeStacks');
    expect(byId(report, 'ses-sandbox').status).toBe('pass');
    expect(report.checks.map((c) => c.id)).toEqual(ALL_IDS);
    expect(report.checks.filter((c) => !['region', 'credentials', 'stack', 'ses-sandbox', 'ses-sending', 'ses-quota'].includes(c.id)).every((c) => c.status === 'skip' && c.summary === 'Not checked: the stack could not be read')).toBe(true);
    expect(report.ok).toBe(false);
  });
});
