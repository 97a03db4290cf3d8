import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
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
  beforeEach(() => {
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
});
