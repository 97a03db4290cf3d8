import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import type { AwsClientFactory } from '../../src/aws/clients.js';
import { buildFeedbackDeps, buildSenderDeps, type EngineSettings } from '../../src/engine/deps.js';
import type { SqsEvent } from '../../src/engine/sqs.js';
import type { StatusChange, StatusEventPublisher } from '../../src/engine/status-events.js';
import type { LocalStackHandle } from '../../src/local/index.js';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { clearReceivedEmails } from '../../src/local/index.js';
import { startTestStack } from './local-stack.js';

export const STACK = 'enginetest';

/** Records "Email Status Changed" events instead of publishing them. */
export class RecordingPublisher implements StatusEventPublisher {
  readonly events: StatusChange[] = [];
  async publish(change: StatusChange): Promise<void> {
    this.events.push(change);
  }
}

export interface EngineFixture {
  stack: LocalStackHandle;
  aws: AwsClientFactory;
  settings: EngineSettings;
  published: RecordingPublisher;
  stop(): Promise<void>;
}

/**
 * One local stack (DynamoDB Local, s3rver, the SES emulator) provisioned from cfn/mailengine.yaml,
 * and engine settings pointing at it: the real Sender and Feedback run against real emulators.
 */
export async function startEngineFixture(label: string): Promise<EngineFixture> {
  const { handle: stack, names, aws } = await startTestStack(label, STACK);
  const published = new RecordingPublisher();
  const settings: EngineSettings = {
    clients: { dynamodb: await aws.dynamodb(), s3: await aws.s3(), sesv2: await aws.sesv2() },
    trackingTable: names.TrackingTable,
    suppressionTable: names.SuppressionTable,
    templatesBucket: names.TemplatesBucket,
    configurationSet: STACK,
    defaultFrom: { email: 'orders@shop.example', name: 'Example Shop' },
    softBounceThreshold: 3,
    retentionDays: 90,
    hashKey: Buffer.from('test-hash-key'),
    statusEvents: published,
  };
  return { stack, aws, settings, published, stop: async () => void (await stack.stop()) };
}

/**
 * One engine fixture for the whole test file: started before the file's first test (with the
 * `receipt` template in its bucket unless `receipt` is false), stopped after its last. The returned
 * object is filled in once the stack has started; hooks the file registers after this call run
 * after it. `clearInboxEachTest` empties the SES emulator's store of sent emails before each test.
 */
export function useEngineFixture(label: string, options: { receipt?: boolean; clearInboxEachTest?: boolean; timeoutMs?: number } = {}): EngineFixture {
  const fixture = {} as EngineFixture;
  let started: EngineFixture | undefined;
  beforeAll(async () => {
    started = await startEngineFixture(label);
    Object.assign(fixture, started);
    if (options.receipt !== false) await putTemplate(fixture, 'receipt', RECEIPT);
  }, options.timeoutMs ?? 60_000);
  afterAll(async () => started?.stop());
  if (options.clearInboxEachTest) beforeEach(async () => clearReceivedEmails(fixture.stack.endpoints.sesv2));
  return fixture;
}

/** Puts a stand-alone template (as `templates push` leaves it) into the bucket. */
export async function putTemplate(f: EngineFixture, name: string, files: { html: string; text: string; metadata: Record<string, unknown> }): Promise<void> {
  const s3 = await f.aws.s3();
  const put = (file: string, body: string) => s3.send(new PutObjectCommand({ Bucket: f.settings.templatesBucket, Key: `templates/${name}/${file}`, Body: body }));
  await put('template.html', files.html);
  await put('template.txt', files.text);
  await put('metadata.json', JSON.stringify(files.metadata));
}

export const RECEIPT = {
  html: '<html><body><p>Hello {{ name }},</p><p>Order {{ orderId }} total {{ total }}</p></body></html>',
  text: 'Hello {{ name }},\nOrder {{ orderId }} total {{ total }}',
  metadata: { subject: 'Your order {{ orderId }}', requiredVariables: ['name', 'orderId', 'total'], version: '1.0.0' },
};

let counter = 0;

/** An SQS message as an EventBridge rule delivers an "Email Request" event to the send queue. */
export function requestMessage(detail: unknown, options: { eventId?: string; messageId?: string; detailType?: string } = {}) {
  counter += 1;
  const eventId = options.eventId ?? `evt-${process.pid}-${counter}-${Date.now()}`;
  return {
    messageId: options.messageId ?? `msg-${counter}`,
    body: JSON.stringify({ version: '0', id: eventId, 'detail-type': options.detailType ?? 'Email Request', source: 'shop.orders', account: '123456789012', time: new Date().toISOString(), region: 'us-east-1', resources: [], detail }),
    eventId,
  };
}

export function batch(...messages: Array<{ messageId: string; body: string }>): SqsEvent {
  return { Records: messages.map(({ messageId, body }) => ({ messageId, body })) };
}

export const plentyOfTime = { getRemainingTimeInMillis: () => 30_000 };

export function senderFor(f: EngineFixture, overrides: Partial<EngineSettings> = {}) {
  return buildSenderDeps({ ...f.settings, ...overrides });
}

export function feedbackFor(f: EngineFixture, overrides: Partial<EngineSettings> = {}) {
  return buildFeedbackDeps({ ...f.settings, ...overrides });
}

/** SES's Send event for a message the Sender sent, tagged as it tagged it, as the default bus brings it to the feedback queue. */
export function sesSendEvent(input: SendEmailCommandInput, messageId: string): SqsEvent {
  const tags: Record<string, string[]> = { 'ses:configuration-set': [STACK] };
  for (const tag of input.EmailTags ?? []) tags[tag.Name!] = [tag.Value!];
  const time = new Date().toISOString();
  const detail = { eventType: 'Send', mail: { timestamp: time, messageId, source: 'orders@shop.example', destination: input.Destination?.ToAddresses ?? [], tags }, send: {} };
  return { Records: [{ messageId: `send-${messageId}`, body: JSON.stringify({ version: '0', id: `send-evt-${messageId}`, 'detail-type': 'Email Sent', source: 'aws.ses', time, region: 'us-east-1', resources: [], detail }) }] };
}

/** An error shaped as the AWS SDK throws it: a name and an HTTP status. */
export const awsError = (name: string, status: number) => Object.assign(new Error(`${name} (injected)`), { name, $metadata: { httpStatusCode: status } });

/** A DynamoDB client on the fixture's stack whose calls `fault` may fail before they are sent (one try, no SDK retries). */
export function faultyDynamo(f: EngineFixture, fault: (command: string, input: Record<string, unknown>) => Error | undefined): DynamoDBClient {
  const client = new DynamoDBClient({ endpoint: f.stack.endpoints.dynamodb, region: f.stack.region, credentials: f.stack.credentials, maxAttempts: 1 });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const err = fault(String(context.commandName), (args as { input: Record<string, unknown> }).input);
      if (err) throw err;
      return next(args);
    },
    { step: 'initialize', name: 'injectFault' },
  );
  return client;
}
