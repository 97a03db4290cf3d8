import { ChangeMessageVisibilityBatchCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ListMessageMoveTasksCommand, ReceiveMessageCommand, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../src/aws/clients.js';
import { FakeAws, TEST_CREDENTIALS, type FakeReply, type RecordedRequest } from '../helpers/fake-aws.js';

/**
 * The SQS client sends a call carrying a QueueUrl to that URL's host unless told otherwise. Queue
 * URLs from CloudFormation name the real AWS host, so with an endpoint override every call must
 * still reach the override (here a loopback server answering in the SQS JSON protocol).
 */
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/mailengine-send';
const DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:mailengine-send-dlq';

// Response shapes from the SQS API reference (awsJson1.0).
function answer(req: RecordedRequest): FakeReply {
  const op = String(req.headers['x-amz-target'] ?? '').replace('AmazonSQS.', '');
  const bodies: Record<string, unknown> = {
    GetQueueAttributes: { Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '1', ApproximateNumberOfMessagesDelayed: '0' } },
    GetQueueUrl: { QueueUrl: QUEUE },
    ReceiveMessage: { Messages: [] },
    ChangeMessageVisibilityBatch: { Successful: [{ Id: 'm1' }], Failed: [] },
    ListMessageMoveTasks: { Results: [] },
    StartMessageMoveTask: { TaskHandle: 'task-1' },
  };
  const known = op in bodies;
  const body = known ? bodies[op] : { __type: 'com.amazonaws.sqs#InvalidAction', message: op };
  return { status: known ? 200 : 400, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify(body) };
}

const fake = new FakeAws(answer);
const savedEnv = { ...process.env };
beforeAll(async () => {
  await fake.start();
});
afterEach(() => {
  fake.requests.length = 0;
  process.env = { ...savedEnv };
});
afterAll(async () => {
  process.env = savedEnv;
  await fake.stop();
});

async function everySqsCall(): Promise<void> {
  const sqs = await new AwsClientFactory({ region: 'eu-west-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 }).sqs();
  await sqs.send(new GetQueueAttributesCommand({ QueueUrl: QUEUE, AttributeNames: ['ApproximateNumberOfMessages'] }));
  await sqs.send(new GetQueueUrlCommand({ QueueName: 'mailengine-send' }));
  await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
  await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: QUEUE, Entries: [{ Id: 'm1', ReceiptHandle: 'r1', VisibilityTimeout: 0 }] }));
  await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: DLQ_ARN }));
  await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: DLQ_ARN }));
}

const OPERATIONS = ['GetQueueAttributes', 'GetQueueUrl', 'ReceiveMessage', 'ChangeMessageVisibilityBatch', 'ListMessageMoveTasks', 'StartMessageMoveTask'];

describe('SQS calls honour the endpoint override, whatever host the queue URL names', () => {
  it.each(['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SQS'])('%s: every call reaches the loopback endpoint', async (variable) => {
    process.env[variable] = fake.url;
    await everySqsCall();
    expect(fake.requests.map((r) => String(r.headers['x-amz-target']).replace('AmazonSQS.', ''))).toEqual(OPERATIONS);
    expect(new Set(fake.requests.map((r) => r.headers.host))).toEqual(new Set([new URL(fake.url).host]));
  });
});
