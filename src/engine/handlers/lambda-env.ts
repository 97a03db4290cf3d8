import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ENGINE_DEFAULTS } from '../defaults.js';
import type { EngineSettings } from '../deps.js';
import { SqsRequeue } from '../requeue.js';
import { lazyClient } from '../lazy-client.js';
import { EventBridgeSchedules, lazyScheduler } from '../schedule.js';
import type { EngineLogger, StatusChange, StatusEventPublisher } from '../status-events.js';
import { embeddedMetrics, METRIC_NAMESPACE, type EngineMetrics } from '../metrics.js';

/** One JSON object per line on stdout: what CloudWatch Logs and Logs Insights read best. */
export const jsonLogger: EngineLogger = {
  info: (event, fields) => write('INFO', event, fields),
  warn: (event, fields) => write('WARN', event, fields),
  error: (event, fields) => write('ERROR', event, fields),
};

function write(level: string, event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level, event, ...fields })}\n`);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set (it comes from the CloudFormation template)`);
  return value;
}

/** The engine's metrics in the embedded metric format, at no API cost; the stack's name is the configuration set's. */
function stackMetrics(stack: string): EngineMetrics {
  return embeddedMetrics({ namespace: METRIC_NAMESPACE, dimensions: { Stack: stack }, write: (line) => process.stdout.write(line) });
}

/** The queue's maxReceiveCount from MAX_RECEIVE_COUNT, when the template sets it for this function. */
function maxReceiveCount(): Pick<EngineSettings, 'maxReceiveCount'> {
  const count = Number(process.env.MAX_RECEIVE_COUNT);
  return Number.isInteger(count) && count > 0 ? { maxReceiveCount: count } : {};
}

/**
 * Wraps a publisher so every status change is also counted (metric Emails, dimensions Stack and
 * Status): the dashboard's "outcomes by status" widget reads it.
 */
function withMetrics(inner: StatusEventPublisher | undefined, stack: string): StatusEventPublisher {
  const metrics = stackMetrics(stack);
  return {
    async publish(change: StatusChange) {
      metrics.count('Emails', 1, { Status: change.status });
      await inner?.publish(change);
    },
  };
}

/**
 * The Sender's pacing and requeue settings: each concurrent instance takes MAX_SEND_RATE /
 * SEND_CONCURRENCY sends a second (MaximumConcurrency bounds how many run at once), and throttled
 * requests go back to SEND_QUEUE_URL. A MAX_SEND_RATE of 0 or unset turns pacing off.
 */
function sendPacing(): Pick<EngineSettings, 'sendRatePerInstance' | 'requeue'> {
  const rate = Number(process.env.MAX_SEND_RATE ?? 0);
  const concurrency = Math.max(1, Number(process.env.SEND_CONCURRENCY ?? 1) || 1);
  return {
    ...(Number.isFinite(rate) && rate > 0 ? { sendRatePerInstance: rate / concurrency } : {}),
    requeue: new SqsRequeue(lazySqs(), process.env.SEND_QUEUE_URL || undefined),
  };
}

/**
 * The Sender needs SQS only when SES throttles (to give requests back, delayed), so the SQS client
 * is loaded on that first use rather than in every cold start. The bundle keeps it in a chunk of
 * its own that is read only then.
 */
function lazySqs(): Pick<SQSClient, 'send'> {
  return lazyClient<SQSClient>(() => import('@aws-sdk/client-sqs').then(({ SQSClient }) => new SQSClient({})));
}

/**
 * Scheduled sends more than 15 minutes ahead: one-time schedules in SCHEDULE_GROUP that put a
 * wake-up on SEND_QUEUE_ARN as SCHEDULER_ROLE_ARN. The Scheduler client loads on the first one.
 */
function sendSchedules(): Pick<EngineSettings, 'schedules'> {
  const groupName = process.env.SCHEDULE_GROUP;
  const queueArn = process.env.SEND_QUEUE_ARN;
  const roleArn = process.env.SCHEDULER_ROLE_ARN;
  if (!groupName || !queueArn || !roleArn) return {};
  return { schedules: new EventBridgeSchedules(lazyScheduler(), { groupName, queueArn, roleArn }) };
}

/**
 * The suppression hash key from Secrets Manager. Only the Sender needs it (to find the hashes an
 * erasure left); the Secrets Manager client is loaded only when there is a secret to read.
 */
async function readHashKey(secretArn: string): Promise<Buffer> {
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
  return Buffer.from(secret.SecretString ?? '', 'utf8');
}

/**
 * Reads the function's environment (set by cfn/mailengine.yaml) and the suppression hash key: the
 * Sender's suppression check also looks for the hashes erasures keep, and Feedback keeps a bounce
 * or complaint for an erased address as its hash.
 */
export async function engineSettingsFromEnvironment(): Promise<EngineSettings> {
  const secretArn = process.env.SUPPRESSION_HASH_SECRET_ARN;
  const hashKey = secretArn ? await readHashKey(secretArn) : undefined;
  // Made on the first status event: the Sender publishes only for requests that end in it.
  const eventbridge = lazyClient<EventBridgeClient>(() => import('@aws-sdk/client-eventbridge').then(({ EventBridgeClient }) => new EventBridgeClient({})));
  const eventBusName = required('EVENT_BUS_NAME');
  const configurationSet = required('CONFIGURATION_SET');
  const { EventBridgeStatusPublisher } = await import('../status-events.js');
  return {
    clients: { dynamodb: new DynamoDBClient({}), s3: new S3Client({}), sesv2: new SESv2Client({}), eventbridge },
    trackingTable: required('TRACKING_TABLE'),
    suppressionTable: required('SUPPRESSION_TABLE'),
    templatesBucket: required('TEMPLATES_BUCKET'),
    configurationSet,
    eventBusName,
    defaultFrom: { email: required('DEFAULT_FROM_EMAIL'), name: process.env.DEFAULT_FROM_NAME || undefined },
    softBounceThreshold: Number(process.env.SOFT_BOUNCE_THRESHOLD ?? ENGINE_DEFAULTS.softBounceThreshold),
    retentionDays: Number(process.env.DATA_RETENTION_DAYS ?? ENGINE_DEFAULTS.dataRetentionDays),
    hashKey,
    ...sendPacing(),
    ...sendSchedules(),
    statusEvents: withMetrics(new EventBridgeStatusPublisher(eventbridge, eventBusName), configurationSet),
    log: jsonLogger,
    metrics: stackMetrics(configurationSet),
    ...maxReceiveCount(),
  };
}
