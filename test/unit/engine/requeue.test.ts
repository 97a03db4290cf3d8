import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REQUEUE_POLICY, queueUrlFromArn, requeueDelayMs, requeueStateOf, SqsRequeue } from '../../../src/engine/requeue.js';
import type { SqsRecord } from '../../../src/engine/sqs.js';

const record = (overrides: Partial<SqsRecord> = {}): SqsRecord => ({
  messageId: 'm-1',
  body: '{"detail":{}}',
  eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:shop-send',
  ...overrides,
});

describe('requeueing a throttled request', () => {
  it('waits 30 s, then twice as long each time, never more than SQS’s 15 minutes', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((n) => requeueDelayMs(DEFAULT_REQUEUE_POLICY, n) / 1000)).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
    expect(requeueDelayMs({ firstDelayMs: 50, maxDelayMs: 400, giveUpAfterMs: 1 }, 4)).toBe(400);
  });

  it('reads the count and waiting time a requeued copy carries, in the Lambda event shape', () => {
    expect(requeueStateOf(record())).toEqual({ requeues: 0 });
    const attrs = {
      'mailengine-requeues': { stringValue: '3', stringListValues: [], binaryListValues: [], dataType: 'Number' },
      'mailengine-waiting-since': { stringValue: '1764680000000', stringListValues: [], binaryListValues: [], dataType: 'Number' },
    };
    expect(requeueStateOf(record({ messageAttributes: attrs }))).toEqual({ requeues: 3, waitingSince: 1764680000000 });
    // Caller-supplied nonsense is ignored, not trusted.
    expect(requeueStateOf(record({ messageAttributes: { 'mailengine-requeues': { stringValue: '-2', dataType: 'Number' } } }))).toEqual({ requeues: 0 });
  });

  it('derives the queue URL from the record’s queue ARN', () => {
    expect(queueUrlFromArn('arn:aws:sqs:eu-west-1:123456789012:shop-send')).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/shop-send');
    expect(queueUrlFromArn('arn:aws-cn:sqs:cn-north-1:123456789012:shop-send')).toBe('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/shop-send');
    expect(() => queueUrlFromArn('arn:aws:sns:eu-west-1:123456789012:topic')).toThrow(/not an SQS queue ARN/);
  });

  it('sends the body again with DelaySeconds (whole seconds, at most 900) and the count as message attributes', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: 'copy-1', MD5OfMessageBody: 'x' });
    const client = new SQSClient({ region: 'eu-west-1' });
    await new SqsRequeue(client).requeue(record(), 30_000, { requeues: 1, waitingSince: 1764680000000 });
    await new SqsRequeue(client, 'https://sqs.eu-west-1.amazonaws.com/123456789012/configured').requeue(record(), 1_200_500, { requeues: 7, waitingSince: 5 });
    await new SqsRequeue(client).requeue(record(), 50, { requeues: 0, waitingSince: 5 });
    const inputs = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toEqual({
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/shop-send',
      MessageBody: '{"detail":{}}',
      DelaySeconds: 30,
      MessageAttributes: {
        'mailengine-requeues': { DataType: 'Number', StringValue: '1' },
        'mailengine-waiting-since': { DataType: 'Number', StringValue: '1764680000000' },
      },
    });
    expect(inputs[1]).toMatchObject({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/configured', DelaySeconds: 900 });
    expect(inputs[2]).toMatchObject({ DelaySeconds: 1 });
    sqs.restore();
  });

  it('fails when SQS refuses the copy, so the caller can fall back to a batch item failure', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('Access to the resource is denied.'), { name: 'AccessDenied' }));
    await expect(new SqsRequeue(new SQSClient({ region: 'eu-west-1' })).requeue(record(), 30_000, { requeues: 0, waitingSince: 1 })).rejects.toThrow(/denied/);
    await expect(new SqsRequeue(new SQSClient({ region: 'eu-west-1' })).requeue(record({ eventSourceARN: undefined }), 30_000, { requeues: 0, waitingSince: 1 })).rejects.toThrow(/SEND_QUEUE_URL/);
    sqs.restore();
  });
});
