import type { AwsClientFactory } from '../../aws/clients.js';
import { readStackAlarms } from '../../stack/alarms.js';
import { compareEngineToCli, stackEngineVersion } from '../../stack/engine-version.js';
import { queueDepth } from '../../stack/queue-depth.js';
import { readSesAccount } from '../../stack/ses-account.js';
import { describeStack } from '../../stack/stack-status.js';
import { VERSION } from '../../version.js';
import { accessChecks, sesAccountChecks } from './account.js';
import { alarmsCheck, readSubscriptions, subscriptionCheck } from './alerts.js';
import { IDENTITY_DEPENDENTS, identityChecks, readSenderIdentity, type DnsOptions } from './domain.js';
import { latestValues, type MetricQuery } from './metrics.js';
import { queueCheck, type QueueFacts } from './queues.js';
import { attempt, check, doctorReport, skipped, type CheckRef, type DoctorCheck, type DoctorGroup, type DoctorReport } from './report.js';
import { rateCheck, reputationThresholds } from './reputation.js';
import { eventDestinationCheck, pausedCheck, readEventDestinations, readPausedFacts } from './sending.js';
import { stackCheck, versionCheck } from './stack.js';
import { templatesCheck } from './templates.js';

export interface AwsDoctorInput {
  aws: AwsClientFactory;
  stackName: string;
  dns?: DnsOptions;
  /** Tests: the CLI version compared with the engine's. */
  version?: string;
  /** Tests: the clock the metric window ends at. */
  now?: number;
}

/**
 * The checks that need the account (after credentials) and those that need the stack too. Every
 * id is always in the report: a check that cannot run is listed as not checked, saying why.
 */
const ACCOUNT_CHECKS: CheckRef[] = [
  ['ses-sandbox', 'ses'],
  ['ses-sending', 'ses', 'account sending status'],
  ['ses-quota', 'ses', '24-hour quota'],
];
const STACK_CHECKS: CheckRef[] = [
  ['engine-version', 'stack'],
  ['identity', 'domain'],
  ...IDENTITY_DEPENDENTS,
  ['alarm-subscription', 'alerts'],
  ['alarms', 'alerts'],
  ['paused', 'sending'],
  ['event-destination', 'sending'],
  ['send-queue', 'queues'],
  ['send-dlq', 'queues'],
  ['feedback-queue', 'queues'],
  ['feedback-dlq', 'queues'],
  ['bounce-rate', 'reputation'],
  ['complaint-rate', 'reputation'],
  ['templates', 'templates'],
];

const QUEUE_OUTPUTS: Array<[QueueFacts['name'], string]> = [
  ['send', 'SendQueueUrl'],
  ['send-dlq', 'SendDeadLetterQueueUrl'],
  ['feedback', 'FeedbackQueueUrl'],
  ['feedback-dlq', 'FeedbackDeadLetterQueueUrl'],
];

/** A queue's name is the last part of its URL (https://sqs.<region>.amazonaws.com/<account>/<name>). */
const queueName = (url: string) => url.split('/').at(-1) ?? url;
/** GetMetricData ids: a lower-case letter first, then letters, digits and underscores. */
const metricId = (name: string) => `age_${name.replace(/-/g, '_')}`;

/** Age of the oldest message is read over the last 15 minutes, reputation over the last day (SES publishes it as it changes). */
const AGE_WINDOW_SECONDS = 900;
const REPUTATION_WINDOW_SECONDS = 86_400;

/**
 * `doctor` against a deployed stack: every check, each part read on its own, so one that cannot
 * be read fails alone. Without credentials only the access checks run; without the stack, only
 * those and the SES account's.
 */
export async function doctorAws(input: AwsDoctorInput): Promise<DoctorReport> {
  const { aws, stackName } = input;
  const now = input.now ?? Date.now();
  const access = await accessChecks(aws);
  const head = { target: 'aws' as const, stackName, region: access.region };
  if (!access.ok) {
    return doctorReport(head, [...access.checks, ...skipped([['stack', 'stack'], ...ACCOUNT_CHECKS, ...STACK_CHECKS], 'Not checked: it needs working AWS access')]);
  }
  const region = access.region ?? '';
  const checks: DoctorCheck[] = [...access.checks];
  const [stackRead, account] = await Promise.all([
    describeStack(aws, stackName).then(
      (stack) => ({ stack }),
      (err: unknown) => ({ error: err }),
    ),
    attempt('ses-sandbox', 'ses', 'the SES account', async () => sesAccountChecks(await readSesAccount(aws), region), ACCOUNT_CHECKS.slice(1)),
  ]);
  checks.push(...account);
  if ('error' in stackRead) {
    checks.push(...(await attempt('stack', 'stack', `stack ${stackName}`, () => Promise.reject(stackRead.error))));
    checks.push(...skipped(STACK_CHECKS, 'Not checked: the stack could not be read'));
    return doctorReport(head, checks);
  }
  const stack = stackRead.stack;
  if (!stack) {
    checks.push(check('stack', 'stack', 'fail', `No stack named ${stackName} in ${region}`, { fix: 'Run `mailengine deploy` to install it, or point at the right one with --stack, --region or --env.' }));
    checks.push(...skipped(STACK_CHECKS, 'Not checked: there is no stack'));
    return doctorReport(head, checks);
  }
  checks.push(stackCheck(stack, region), versionCheck(compareEngineToCli(stackEngineVersion(stack), input.version ?? VERSION)));
  const outputs = stack.outputs;
  const missingOutput = (id: string, group: DoctorGroup, key: string) =>
    check(id, group, 'fail', `Stack ${stackName} has no output ${key}, so this cannot be checked`, { fix: 'Upgrade the stack with `mailengine deploy`; the current template has that output.' });

  const identityName = stack.parameters.SenderIdentity;
  const configurationSet = outputs.ConfigurationSetName;
  const queues = QUEUE_OUTPUTS.filter(([, key]) => outputs[key]);
  const thresholds = reputationThresholds(stack.parameters);

  const parts = await Promise.all([
    identityName
      ? attempt('identity', 'domain', `the SES identity ${identityName}`, async () => identityChecks(region, identityName, await readSenderIdentity(await aws.sesv2(), identityName), input.dns ?? {}), IDENTITY_DEPENDENTS)
      : Promise.resolve([
          check('identity', 'domain', 'fail', `Stack ${stackName} has no SenderIdentity parameter`, { fix: 'Set it: `mailengine deploy --parameters SenderIdentity=example.com`.' }),
          ...skipped(IDENTITY_DEPENDENTS, 'Not checked: the stack names no sending identity'),
        ]),
    outputs.AlarmTopicArn
      ? attempt('alarm-subscription', 'alerts', 'the alarm topic subscriptions', async () => subscriptionCheck(outputs.AlarmTopicArn, await readSubscriptions(aws, outputs.AlarmTopicArn), region, stack.parameters.AdminEmail))
      : Promise.resolve([missingOutput('alarm-subscription', 'alerts', 'AlarmTopicArn')]),
    attempt('alarms', 'alerts', "the stack's alarms", async () => alarmsCheck(await readStackAlarms(aws, stackName))),
    configurationSet && outputs.SenderEventSourceMappingId
      ? attempt('paused', 'sending', 'the sending switches', async () => pausedCheck(await readPausedFacts(aws, outputs)))
      : Promise.resolve([missingOutput('paused', 'sending', configurationSet ? 'SenderEventSourceMappingId' : 'ConfigurationSetName')]),
    configurationSet
      ? attempt('event-destination', 'sending', `the event destinations of ${configurationSet}`, async () => eventDestinationCheck(configurationSet, await readEventDestinations(aws, configurationSet)))
      : Promise.resolve([missingOutput('event-destination', 'sending', 'ConfigurationSetName')]),
    queueAndReputationChecks(),
    outputs.TemplatesBucketName
      ? attempt('templates', 'templates', 'the templates bucket', async () => templatesCheck(await aws.s3(), outputs.TemplatesBucketName))
      : Promise.resolve([missingOutput('templates', 'templates', 'TemplatesBucketName')]),
  ]);
  checks.push(...parts.flat());
  return doctorReport(head, checks);

  /** Queue depths (SQS) with the oldest message's age, and the reputation rates: the ages and rates in one GetMetricData call. */
  async function queueAndReputationChecks(): Promise<DoctorCheck[]> {
    const ageQueries: MetricQuery[] = queues.map(([name, key]) => ({ id: metricId(name), namespace: 'AWS/SQS', metric: 'ApproximateAgeOfOldestMessage', dimensions: { QueueName: queueName(outputs[key]) }, period: 60, stat: 'Maximum' }));
    const rateQueries: MetricQuery[] = configurationSet
      ? (['Bounce', 'Complaint'] as const).map((k) => ({ id: k.toLowerCase(), namespace: 'AWS/SES', metric: `Reputation.${k}Rate`, dimensions: { 'ses:configuration-set': configurationSet }, period: 900, stat: 'Maximum' }))
      : [];
    const [ages, rates] = await Promise.all([
      latestValues(aws, ageQueries, AGE_WINDOW_SECONDS, now).catch((err: unknown) => err),
      latestValues(aws, rateQueries, REPUTATION_WINDOW_SECONDS, now).catch((err: unknown) => err),
    ]);
    const out: DoctorCheck[] = [];
    for (const [name, key] of QUEUE_OUTPUTS) {
      const id = name.endsWith('-dlq') ? name : `${name}-queue`;
      if (!outputs[key]) {
        out.push(missingOutput(id, 'queues', key));
        continue;
      }
      out.push(
        ...(await attempt(id, 'queues', `queue ${queueName(outputs[key])}`, async () => {
          const depth = await queueDepth(aws, name, outputs[key]);
          const oldest = ages instanceof Map ? ages.get(metricId(name)) : undefined;
          const unknown = ages instanceof Map ? undefined : ages instanceof Error ? ages.message : String(ages);
          return queueCheck({ name, waiting: depth.waiting, inFlight: depth.inFlight, delayed: depth.delayed, ...(oldest !== undefined ? { oldestAgeSeconds: oldest } : {}), ...(unknown ? { ageUnknown: unknown } : {}) });
        })),
      );
    }
    if (!configurationSet) {
      out.push(missingOutput('bounce-rate', 'reputation', 'ConfigurationSetName'), missingOutput('complaint-rate', 'reputation', 'ConfigurationSetName'));
      return out;
    }
    if (!(rates instanceof Map)) {
      for (const kind of ['bounce', 'complaint'] as const) out.push(...(await attempt(`${kind}-rate`, 'reputation', 'the reputation metrics', () => Promise.reject(rates))));
      return out;
    }
    out.push(rateCheck('bounce', rates.get('bounce'), thresholds.bounce), rateCheck('complaint', rates.get('complaint'), thresholds.complaint));
    return out;
  }
}
