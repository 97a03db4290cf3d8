import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineSettingsFromEnvironment } from '../../../src/engine/handlers/lambda-env.js';

// The functions' environment as cfn/mailengine.yaml sets it (AWS services mocked: no network).
const ENV: Record<string, string> = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  TRACKING_TABLE: 'shop-tracking',
  SUPPRESSION_TABLE: 'shop-suppression',
  TEMPLATES_BUCKET: 'shop-templates',
  CONFIGURATION_SET: 'shop',
  EVENT_BUS_NAME: 'shop-bus',
  DEFAULT_FROM_EMAIL: 'noreply@example.com',
  SUPPRESSION_HASH_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-hash-AbCdEf',
  SEND_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/shop-send',
};

describe('the Lambda handlers\' settings', () => {
  const saved: Record<string, string | undefined> = {};
  const secrets = mockClient(SecretsManagerClient);
  const sqs = mockClient(SQSClient);
  // PutEvents answers as the EventBridge API reference shows it: FailedEntryCount and one entry per event.
  const events = mockClient(EventBridgeClient);
  beforeEach(() => {
    events.reset();
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] });
    for (const [name, value] of Object.entries(ENV)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    secrets.reset();
    sqs.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'the-hash-key' });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('reads the suppression hash key from the secret (the Sender checks hashes, Feedback writes them for erased addresses)', async () => {
    const settings = await engineSettingsFromEnvironment();
    expect(settings.hashKey?.toString('utf8')).toBe('the-hash-key');
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: ENV.SUPPRESSION_HASH_SECRET_ARN }]);
  });

  it('without a secret configured, no key and no call', async () => {
    delete process.env.SUPPRESSION_HASH_SECRET_ARN;
    expect((await engineSettingsFromEnvironment()).hashKey).toBeUndefined();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('requests given back to the queue go through SQS, whose client is made on that first use', async () => {
    const settings = await engineSettingsFromEnvironment();
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    const message = { messageId: 'r-1', receiptHandle: 'h', body: '{"detail":{}}', attributes: {}, messageAttributes: {}, eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:shop-send' };
    await settings.requeue?.requeue(message as never, 30_000, { requeues: 0, waitingSince: 1 });
    await settings.requeue?.requeue(message as never, 60_000, { requeues: 1, waitingSince: 1 });
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toMatchObject([
      { QueueUrl: ENV.SEND_QUEUE_URL, DelaySeconds: 30 },
      { QueueUrl: ENV.SEND_QUEUE_URL, DelaySeconds: 60 },
    ]);
  });

  it('status events go to the engine bus through an EventBridge client made on the first one', async () => {
    const settings = await engineSettingsFromEnvironment();
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
    await settings.statusEvents?.publish({ emailId: 'order-1', status: 'failed', time: '2026-12-03T10:00:00.000Z', cause: 'template_not_found' });
    await settings.statusEvents?.publish({ emailId: 'order-2', status: 'suppressed', time: '2026-12-03T10:00:01.000Z', cause: 'suppressed' });
    expect(events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0])).toMatchObject([
      { EventBusName: 'shop-bus', Source: 'mailengine', DetailType: 'Email Status Changed', Detail: expect.stringContaining('"emailId":"order-1"') },
      { EventBusName: 'shop-bus', Detail: expect.stringContaining('"status":"suppressed"') },
    ]);
  });

  it('a refused status event is an error the caller sees', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    const settings = await engineSettingsFromEnvironment();
    await expect(settings.statusEvents?.publish({ emailId: 'order-3', status: 'failed', time: '2026-12-03T10:00:00.000Z', cause: 'x' })).rejects.toThrow(/PutEvents refused the status event: InternalFailure/);
  });
});
