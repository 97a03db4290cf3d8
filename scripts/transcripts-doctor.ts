/**
 * `doctor` against a deployed stack: the CLI's own entry in this process, AWS answered by the
 * in-memory stand-ins of the stack tests (test/fixtures/stack/aws-world.ts) in the shapes the API
 * references give, and DNS by a real DNS server on loopback (test/helpers/fake-dns.ts) holding
 * example.com's records. Two moments of one engine: just installed (still in the SES sandbox, the
 * alarm email not yet confirmed), and later, paused by its bounce-rate alarm.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { inProcessRunner } from './transcripts-deploy.js';
import { ROOT } from './transcripts-lib.js';
import { Session, pathSubstitutions, scratchDir, type Log } from './transcripts-session.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

export async function doctorScene(out: Map<string, string>, log: Log): Promise<void> {
  const { AwsClientFactory } = await import('../src/aws/clients.js');
  const { ACCOUNT, REGION, createWorld } = await import('../test/fixtures/stack/aws-world.js');
  const { STACK, install } = await import('../test/fixtures/stack/harness.js');
  const { FakeDns } = await import('../test/helpers/fake-dns.js');
  const { autoPauseAlarm } = await import('../test/helpers/cloudwatch-alarms.js');

  const dns = new FakeDns();
  for (const token of ['token1', 'token2', 'token3']) dns.set(`${token}._domainkey.example.com`, { CNAME: `${token}.dkim.amazonses.com` });
  dns.set('mail.example.com', { MX: [{ exchange: `feedback-smtp.${REGION}.amazonses.com`, priority: 10 }], TXT: [['v=spf1 include:amazonses.com ~all']] });
  dns.set('_dmarc.example.com', { TXT: [['v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com']] });
  const resolver = await dns.start();

  const world = createWorld({ production: false, cfn: { stepsPerPoll: 100_000, changeSetPolls: 1 } });
  const cwd = scratchDir('doctor');
  try {
    await install(world, { version: pkg.version });
    const outputs = world.cfn.liveStack(STACK)?.outputs ?? {};
    const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:${STACK}-alarms`;
    // The fake CloudFormation names the topic by its name; the docs show the ARN SNS gives.
    const shownTopic = outputs.AlarmTopicArn;
    world.subscriptions[shownTopic] = [{ SubscriptionArn: 'PendingConfirmation', Owner: ACCOUNT, Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: shownTopic }];
    world.alarms = [autoPauseAlarm(STACK, 'bounce', 'OK', 0, 0.04), autoPauseAlarm(STACK, 'complaint', 'OK', 0, 0.0008)];
    const runner = await inProcessRunner(cwd, (settings) => new AwsClientFactory({ ...settings, region: settings.region ?? REGION, credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'transcripts' }, maxAttempts: 1 }));
    const s = new Session(cwd, runner, out, [...pathSubstitutions(cwd), [resolver, '127.0.0.1:5353'], [new RegExp(`\\b${shownTopic}\\b`, 'g'), topic]], log);

    world.s3.buckets.set(outputs.TemplatesBucketName, { owner: ACCOUNT, region: REGION, versioning: true, versions: [], settings: {} });
    await s.run('mailengine templates init', { hidden: true });
    await s.run(`mailengine templates push --region ${REGION} --yes`, { hidden: true });

    s.begin('doctor');
    await s.run(`mailengine doctor --region ${REGION} --resolver ${resolver}`, { exit: true });
    s.end();

    // Weeks later: production access, the alarm email confirmed, and an import of old addresses.
    world.ses.account = { ...world.ses.account, ProductionAccessEnabled: true, SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: 9120 } };
    world.subscriptions[shownTopic] = [{ SubscriptionArn: `${shownTopic}:0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0`, Owner: ACCOUNT, Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: shownTopic }];
    world.alarms = [autoPauseAlarm(STACK, 'bounce', 'ALARM', 0.046, 0.04), autoPauseAlarm(STACK, 'complaint', 'OK', 0, 0.0008)];
    world.metrics[`Reputation.BounceRate ${outputs.ConfigurationSetName}`] = 0.046;
    world.metrics[`Reputation.ComplaintRate ${outputs.ConfigurationSetName}`] = 0.0002;
    world.ses.sending[outputs.ConfigurationSetName] = false;
    world.mappings[outputs.SenderEventSourceMappingId] = 'Disabled';
    world.queueDepths[outputs.SendQueueUrl] = { waiting: 1840 };
    world.metrics[`ApproximateAgeOfOldestMessage ${outputs.SendQueueUrl.split('/').at(-1)}`] = 1500;
    world.queueDepths[outputs.SendDeadLetterQueueUrl] = 2;

    s.begin('doctor-paused');
    await s.run(`mailengine doctor --region ${REGION} --resolver ${resolver}`, { expect: 1, exit: true });
    s.end();
  } finally {
    world.restore();
    await dns.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}
