import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DlqListReport, RedriveReport } from '../../../src/operations/dlq.js';
import { runInProcess } from '../../helpers/in-process.js';

/**
 * `dlq list` and `dlq redrive` against a deployed stack: SQS (ReceiveMessage, ChangeMessageVisibilityBatch,
 * GetQueueAttributes, ListMessageMoveTasks, StartMessageMoveTask) and the tracking table's reads are
 * played by aws-sdk-client-mock in the shapes the API references document.
 */
const cfn = mockClient(CloudFormationClient);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);
const cwd = mkdtempSync(join(tmpdir(), 'mailengine-dlq-'));

const STACK = 'shop-prod';
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const url = (name: string) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
const arn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const Q = { send: `${STACK}-send`, sendDlq: `${STACK}-send-dlq`, feedback: `${STACK}-feedback`, feedbackDlq: `${STACK}-feedback-dlq` };
const NOW = Date.now();
const HOUR = 3_600_000;

/** An "Email Request" event as the rule puts it in the send queue (the SQS body is the whole event). */
function request(detail: Record<string, unknown>, id = `evt-${Math.random().toString(16).slice(2)}`) {
  return JSON.stringify({ version: '0', id, 'detail-type': 'Email Request', source: 'shop.orders', account: ACCOUNT, time: new Date(NOW - 2 * HOUR).toISOString(), region: REGION, resources: [], detail });
}

/** An SES Bounce event as EventBridge delivers it (SES event publishing: eventType, mail, bounce). */
const sesBounce = JSON.stringify({
  version: '0',
  id: 'ses-evt-9',
  'detail-type': 'Email Bounced',
  source: 'aws.ses',
  account: ACCOUNT,
  time: new Date(NOW - HOUR).toISOString(),
  region: REGION,
  resources: [],
  detail: {
    eventType: 'Bounce',
    mail: { timestamp: new Date(NOW - HOUR).toISOString(), messageId: '0102018c-ghost', source: 'shop@shop.example', destination: ['gone@customer.example'], tags: { 'ses:configuration-set': [STACK], emailId: ['ghost-1'], template: ['receipt'] } },
    bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'gone@customer.example' }], timestamp: new Date(NOW - HOUR).toISOString(), feedbackId: 'fb-1' },
  },
});

/** ReceiveMessage Messages[]: system attributes are strings; message attributes carry DataType. */
function message(id: string, body: string, receives: number, sentAt: number, attributes: Record<string, string> = {}): Message {
  return {
    MessageId: id,
    ReceiptHandle: `handle-${id}-${receives}`,
    MD5OfBody: 'ignored',
    Body: body,
    Attributes: { SentTimestamp: String(sentAt), ApproximateReceiveCount: String(receives) },
    MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { StringValue: v, DataType: 'String' }])),
  };
}

const SEND_DLQ_MESSAGES = [
  message('m-1', request({ to: 'ada@customer.example', templateName: 'receipt', emailId: 'order-1' }), 9, NOW - 2 * HOUR),
  message('m-2', request({ to: 'bob@customer.example', templateName: 'welcome', emailId: 'order-2' }), 9, NOW - 3 * HOUR),
  // Put there by the rule's DeadLetterConfig: EventBridge adds the error as message attributes.
  message('m-3', request({ to: 'cy@customer.example', templateName: 'welcome' }, 'evt-abc'), 1, NOW - 7 * HOUR, {
    ERROR_CODE: 'SDK_CLIENT_ERROR',
    ERROR_MESSAGE: 'Unable to invoke Sqs: AccessDenied',
    RULE_ARN: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${STACK}-bus/${STACK}-email-request`,
    TARGET_ARN: arn(Q.send),
  }),
];

/** Tracking records by emailId, as GetItem returns them (unmarshalled by the document client). */
const RECORDS: Record<string, Record<string, unknown>> = {
  'order-1': { pk: 'EMAIL#order-1', sk: 'RECORD', emailId: 'order-1', status: 'queued', recipient: 'ada@customer.example', templateName: 'receipt', attempts: 8, lastError: 'ThrottlingException: Maximum sending rate exceeded.', createdAt: new Date(NOW - 2 * HOUR).toISOString() },
  'order-2': { pk: 'EMAIL#order-2', sk: 'RECORD', emailId: 'order-2', status: 'sent', recipient: 'bob@customer.example', templateName: 'welcome', attempts: 1, sesMessageId: '0102018c-bob', createdAt: new Date(NOW - 3 * HOUR).toISOString() },
};

let released: Array<{ QueueUrl?: string; Entries?: Array<{ ReceiptHandle?: string; VisibilityTimeout?: number }> }>;

beforeEach(() => {
  for (const m of [cfn, sqs, ddb]) m.reset();
  released = [];
  cfn.on(DescribeStacksCommand, { StackName: STACK }).resolves({
    Stacks: [
      {
        StackName: STACK,
        StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK}/0b6f2c10-8a1b-11f0-9b5c-0a1b2c3d4e5f`,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date('2026-01-05T09:00:00Z'),
        Outputs: Object.entries({
          TrackingTableName: `${STACK}-tracking`,
          SuppressionTableName: `${STACK}-suppression`,
          TemplatesBucketName: `${STACK}-templates-abc123`,
          ConfigurationSetName: STACK,
          EventBusName: `${STACK}-bus`,
          SendQueueUrl: url(Q.send),
          SendDeadLetterQueueUrl: url(Q.sendDlq),
          FeedbackQueueUrl: url(Q.feedback),
          FeedbackDeadLetterQueueUrl: url(Q.feedbackDlq),
        }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
  // GetQueueAttributes: Attributes is a map of strings.
  const depth: Record<string, string> = { [Q.sendDlq]: '3', [Q.feedbackDlq]: '1', [Q.send]: '0', [Q.feedback]: '0' };
  sqs.on(GetQueueAttributesCommand).callsFake(async (input: { QueueUrl: string }) => {
    const name = input.QueueUrl.split('/').pop() as string;
    return { Attributes: { QueueArn: arn(name), ApproximateNumberOfMessages: depth[name], ApproximateNumberOfMessagesNotVisible: '0' } };
  });
  // Each page once, then an empty answer (SQS: an empty receive has no Messages).
  sqs.on(ReceiveMessageCommand, { QueueUrl: url(Q.sendDlq) }).resolvesOnce({ Messages: SEND_DLQ_MESSAGES.slice(0, 2) }).resolvesOnce({ Messages: SEND_DLQ_MESSAGES.slice(2) }).resolves({});
  sqs.on(ReceiveMessageCommand, { QueueUrl: url(Q.feedbackDlq) }).resolvesOnce({ Messages: [message('f-1', sesBounce, 9, NOW - HOUR)] }).resolves({});
  sqs.on(ChangeMessageVisibilityBatchCommand).callsFake(async (input: (typeof released)[number]) => {
    released.push(input);
    return { Successful: (input.Entries ?? []).map((_, i) => ({ Id: `m${i}` })), Failed: [] };
  });
  sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
  sqs.on(StartMessageMoveTaskCommand).callsFake(async (input: { SourceArn: string }) => ({ TaskHandle: `task-${input.SourceArn.split(':').pop()}` }));
  ddb.on(GetCommand).callsFake(async (input: { Key: { pk: string } }) => ({ Item: RECORDS[input.Key.pk.replace(/^EMAIL#/, '')] }));
  // The by-message-id index: no email has the ghost's SES message id.
  ddb.on(QueryCommand).resolves({ Items: [], Count: 0, ScannedCount: 0 });
});

const run = (...argv: string[]) => runInProcess([...argv, '--stack', STACK, '--region', REGION], { cwd });

describe('dlq list (deployed stack)', () => {
  it('reads every message of both DLQs with its reason, and makes each visible again at once', async () => {
    const out = await run('dlq', 'list', '--json');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const report = out.json<DlqListReport>();
    expect(report.total).toBe(4);
    const [send, feedback] = report.queues;
    expect(send).toMatchObject({ queue: 'send', name: Q.sendDlq, approximate: 3, more: false });
    expect(send.messages).toEqual([
      expect.objectContaining({ messageId: 'm-1', kind: 'email-request', emailId: 'order-1', recipient: 'ada@customer.example', template: 'receipt', receiveCount: 8, status: 'queued', reason: 'ThrottlingException: Maximum sending rate exceeded.', reasonFrom: 'tracking' }),
      expect.objectContaining({ messageId: 'm-2', emailId: 'order-2', status: 'sent', note: 'the engine already has this email as sent: a redrive sends nothing (it is a duplicate)' }),
      // No emailId in the request: the one the Sender would have given it.
      expect.objectContaining({ messageId: 'm-3', emailId: 'evt-evt-abc', receiveCount: 0, reasonFrom: 'eventbridge', reason: 'EventBridge could not deliver it to the send queue: SDK_CLIENT_ERROR: Unable to invoke Sqs: AccessDenied' }),
    ]);
    expect(send.messages[0].ageSeconds).toBeGreaterThanOrEqual(7200);
    expect(send.messages[0].queuedAt).toBe(new Date(NOW - 2 * HOUR).toISOString());
    expect(feedback.messages).toEqual([
      expect.objectContaining({ messageId: 'f-1', kind: 'ses-event', sesEventType: 'Bounce', sesMessageId: '0102018c-ghost', emailId: 'ghost-1', recipient: 'gone@customer.example', template: 'receipt', reasonFrom: 'none', reason: 'no tracking record matches this SES event, so the Feedback function kept retrying it' }),
    ]);

    // The peek: hidden for 30 s at most, long-polled briefly, all attributes asked for.
    const receive = sqs.commandCalls(ReceiveMessageCommand)[0].args[0].input;
    expect(receive).toEqual({ QueueUrl: url(Q.sendDlq), MaxNumberOfMessages: 10, VisibilityTimeout: 30, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'], MessageAttributeNames: ['All'] });
    // …and every handle given back with VisibilityTimeout 0.
    const handles = released.flatMap((r) => (r.Entries ?? []).map((e) => [r.QueueUrl, e.ReceiptHandle, e.VisibilityTimeout]));
    expect(handles).toEqual([
      [url(Q.sendDlq), 'handle-m-1-9', 0],
      [url(Q.sendDlq), 'handle-m-2-9', 0],
      [url(Q.sendDlq), 'handle-m-3-1', 0],
      [url(Q.feedbackDlq), 'handle-f-1-9', 0],
    ]);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  it('prints a table per queue and a next step', async () => {
    const out = await run('dlq', 'list');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^send DLQ shop-prod-send-dlq: 3 messages$/m);
    expect(out.stdout).toMatch(/│ emailId +│ what +│ recipient +│ template +│ receives +│ age +│ status +│ reason +│/);
    expect(out.stdout).toMatch(/│ order-1 +│ request +│ ada@customer\.example +│ receipt +│ 8 +│ 2h 0m +│ queued +│ ThrottlingException: Maximum sending rate exceeded\. +│/);
    expect(out.stdout).toMatch(/│ ghost-1 +│ SES Bounce +│ gone@customer\.example/);
    // The next step carries the flags that chose the stack, so it can be pasted as printed.
    expect(out.stdout).toContain(`4 messages in all. \`mailengine dlq redrive --stack ${STACK} --region ${REGION}\` moves them back to be processed again.`);
  });

  it('--queue send --limit 2: only that queue, at most two, and says there are more', async () => {
    const out = await run('dlq', 'list', '--queue', 'send', '--limit', '2', '--json');
    const report = out.json<DlqListReport>();
    expect(report.queues.map((q) => q.queue)).toEqual(['send']);
    expect(report.queues[0]).toMatchObject({ more: true });
    expect(report.queues[0].messages).toHaveLength(2);
    expect(sqs.commandCalls(ReceiveMessageCommand).every((c) => c.args[0].input.QueueUrl === url(Q.sendDlq))).toBe(true);
    expect(sqs.commandCalls(ReceiveMessageCommand)[0].args[0].input.MaxNumberOfMessages).toBe(2);
  });

  it('a failed receive still gives back what was peeked before it', async () => {
    sqs.on(ReceiveMessageCommand, { QueueUrl: url(Q.sendDlq) }).resolvesOnce({ Messages: SEND_DLQ_MESSAGES.slice(0, 2) }).rejects(Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503 } }));
    const out = await run('dlq', 'list', '--queue', 'send');
    expect(out.code).toBe(1);
    expect(released.flatMap((r) => r.Entries ?? []).map((e) => e.ReceiptHandle)).toEqual(['handle-m-1-9', 'handle-m-2-9']);
  });

  it('bad flags: exit 2 naming the flag', async () => {
    for (const argv of [['--queue', 'sender'], ['--limit', '0'], ['--limit', 'many']]) {
      const out = await run('dlq', 'list', ...argv);
      expect(out.code).toBe(2);
      expect(out.stderr).toContain(argv[0]);
    }
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe('dlq redrive (deployed stack)', () => {
  it('--dry-run: counts per queue, starts nothing', async () => {
    const out = await run('dlq', 'redrive', '--dry-run', '--json');
    expect(out.code).toBe(0);
    expect(out.json<RedriveReport>().items).toEqual([
      { queue: 'send', from: arn(Q.sendDlq), to: arn(Q.send), messages: 3, action: 'would-move' },
      { queue: 'feedback', from: arn(Q.feedbackDlq), to: arn(Q.feedback), messages: 1, action: 'would-move' },
    ]);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  it('--yes: one StartMessageMoveTask per DLQ, back to the queue it serves', async () => {
    const out = await run('dlq', 'redrive', '--yes');
    expect(out.code).toBe(0);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand).map((c) => c.args[0].input)).toEqual([
      { SourceArn: arn(Q.sendDlq), DestinationArn: arn(Q.send) },
      { SourceArn: arn(Q.feedbackDlq), DestinationArn: arn(Q.feedback) },
    ]);
    expect(sqs.commandCalls(ListMessageMoveTasksCommand)[0].args[0].input).toEqual({ SourceArn: arn(Q.sendDlq), MaxResults: 1 });
    expect(out.stdout).toMatch(/│ send +│ arn:aws:sqs:eu-west-1:123456789012:shop-prod-send-dlq +│ arn:aws:sqs:eu-west-1:123456789012:shop-prod-send +│ 3 +│ moving 3 \(task task-shop-prod-send-dlq\) +│/);
    expect(out.stdout).toContain('SQS moves the messages in the background');
  });

  it('a move task already RUNNING on a DLQ is left to finish; only the other queue is started', async () => {
    // ListMessageMoveTasks Results[]: Status, SourceArn, DestinationArn, ApproximateNumberOfMessagesMoved/ToMove, StartedTimestamp (epoch ms).
    sqs.on(ListMessageMoveTasksCommand, { SourceArn: arn(Q.sendDlq) }).resolves({
      Results: [{ TaskHandle: 'running-1', Status: 'RUNNING', SourceArn: arn(Q.sendDlq), DestinationArn: arn(Q.send), ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 3, StartedTimestamp: NOW - 60_000 }],
    });
    const out = await run('dlq', 'redrive', '--yes', '--json');
    expect(out.code).toBe(0);
    const [send, feedback] = out.json<RedriveReport>().items;
    expect(send).toMatchObject({ action: 'already-running', runningTask: { status: 'RUNNING', moved: 1, toMove: 3 } });
    expect(feedback).toMatchObject({ action: 'started', taskHandle: 'task-shop-prod-feedback-dlq' });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(1);
  });

  it('without --yes and no terminal: exit 2, nothing started', async () => {
    const out = await run('dlq', 'redrive', '--queue', 'send');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--yes');
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  it('empty DLQs: nothing to do, exit 0, nothing asked', async () => {
    sqs.on(GetQueueAttributesCommand).callsFake(async (input: { QueueUrl: string }) => ({ Attributes: { QueueArn: arn(input.QueueUrl.split('/').pop() as string), ApproximateNumberOfMessages: '0' } }));
    const out = await run('dlq', 'redrive');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^The dead-letter queues are empty; nothing to redrive\.$/m);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });
});
