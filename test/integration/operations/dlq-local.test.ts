import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqsEvent } from '../../../src/engine/sqs.js';
import { runnerQueues } from '../../../src/local/runner/client.js';
import { DEFAULT_FEEDBACK_QUEUE, DEFAULT_SEND_QUEUE, type RunnerConfig } from '../../../src/local/runner/config.js';
import { startRunner, type LocalRunner } from '../../../src/local/runner/runner.js';
import type { DlqListReport, RedriveReport } from '../../../src/operations/dlq.js';
import { testRunnerConfig } from '../../helpers/local-stack.js';
import { runInProcess } from '../../helpers/in-process.js';

/**
 * `dlq list --local` and `dlq redrive --local` against an engine runner (the real queues, redrive
 * policy and control endpoints) whose Sender and Feedback fail until told otherwise, so messages
 * reach the DLQs the way they do in AWS: by running out of receives. The tracking table's reads
 * (for the reasons) are mocked; everything between the CLI and the runner is real HTTP.
 */
const STACK = 'dlqlocal';
const MAX_RECEIVES = 3;
const ddb = mockClient(DynamoDBDocumentClient);
let runner: LocalRunner;
let events: EventBridgeClient;
let healthy = false;
const handled: string[] = [];
const cwd = mkdtempSync(join(tmpdir(), 'mailengine-dlq-local-'));

function config(): RunnerConfig {
  // A short wait between receives, and few of them: a failing message reaches its DLQ at once.
  // (Not 0: a message visible again at once is received again before its first invocation ends.)
  const fast = { visibilityTimeoutMs: 50, maxReceiveCount: MAX_RECEIVES, batchSize: 1 };
  return testRunnerConfig('dlq-runner', { stackName: STACK, send: { ...DEFAULT_SEND_QUEUE, ...fast }, feedback: { ...DEFAULT_FEEDBACK_QUEUE, ...fast } });
}

/** A handler that fails every record until `healthy`, as a Sender facing an outage does. */
const handler = (name: string) => async (event: SqsEvent) => {
  if (!healthy) return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
  for (const r of event.Records) handled.push(`${name}:${JSON.parse(r.body).id}`);
  return { batchItemFailures: [] };
};

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  runner = await startRunner({ config: config(), engine: () => ({ sender: handler('sender'), feedback: handler('feedback') }) });
  // The project files `local up` writes: where each part listens, and what it provisioned.
  const state = join(cwd, '.mailengine', 'local');
  mkdirSync(state, { recursive: true });
  writeFileSync(join(state, 'endpoints.json'), JSON.stringify({ dynamodb: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9', sesv2: 'http://127.0.0.1:9', eventbridge: runner.url, inbox: 'http://127.0.0.1:9/' }));
  const names = (stack: string) => ({ TrackingTable: `${stack}-tracking`, SuppressionTable: `${stack}-suppression`, TemplatesBucket: `${stack}-templates` });
  writeFileSync(join(state, 'resources.json'), JSON.stringify({ [STACK]: names(STACK), other: names('other') }));

  const order1 = { pk: 'EMAIL#order-1', sk: 'RECORD', emailId: 'order-1', status: 'queued', recipient: 'ada@customer.example', templateName: 'receipt', attempts: 3, lastError: 'TimeoutError: connect ETIMEDOUT', createdAt: new Date().toISOString() };
  ddb.on(GetCommand).callsFake(async (input: { Key: { pk: string } }) => (input.Key.pk === order1.pk ? { Item: order1 } : {}));
  ddb.on(QueryCommand).resolves({ Items: [] });

  events = new EventBridgeClient({ region: 'us-east-1', endpoint: runner.url, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const out = await events.send(
    new PutEventsCommand({
      Entries: [
        { EventBusName: `${STACK}-bus`, Source: 'shop.orders', DetailType: 'Email Request', Detail: JSON.stringify({ to: 'ada@customer.example', templateName: 'receipt', emailId: 'order-1' }) },
        { EventBusName: `${STACK}-bus`, Source: 'shop.orders', DetailType: 'Email Request', Detail: JSON.stringify({ to: 'bob@customer.example', templateName: 'welcome', emailId: 'order-2' }) },
      ],
    }),
  );
  expect(out.FailedEntryCount).toBe(0);
  // Only SES publishes aws.ses events, on the default bus: put one there the way the runner's SES side does.
  runner.bus.put('default', {
    version: '0',
    id: 'ses-evt-1',
    'detail-type': 'Email Delivered',
    source: 'aws.ses',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: { eventType: 'Delivery', mail: { messageId: 'ses-msg-1', destination: ['cy@customer.example'], tags: { 'ses:configuration-set': [STACK], emailId: ['order-3'] } }, delivery: { recipients: ['cy@customer.example'], timestamp: new Date().toISOString() } },
  });
  await until(async () => {
    const q = await runnerQueues(runner.url);
    return q.sendDlq.visible === 2 && q.feedbackDlq.visible === 1;
  }, 'three messages in the DLQs');
});

afterAll(async () => {
  events?.destroy();
  await runner?.close();
});

const run = (...argv: string[]) => runInProcess([...argv, '--local', '--stack', STACK], { cwd });

describe('dlq list --local', () => {
  it('shows each dead letter with its receive count and the reason from its record; reading moves nothing', async () => {
    const out = await run('dlq', 'list', '--json');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const report = out.json<DlqListReport>();
    expect(report).toMatchObject({ stackName: STACK, local: true, total: 3 });
    expect(report.queues[0]).toMatchObject({ queue: 'send', name: `${STACK}-send-dlq`, approximate: 2, more: false });
    expect(report.queues[0].messages).toEqual([
      expect.objectContaining({ kind: 'email-request', emailId: 'order-1', recipient: 'ada@customer.example', template: 'receipt', receiveCount: MAX_RECEIVES, status: 'queued', reason: 'TimeoutError: connect ETIMEDOUT', reasonFrom: 'tracking' }),
      expect.objectContaining({ kind: 'email-request', emailId: 'order-2', receiveCount: MAX_RECEIVES, reasonFrom: 'none', reason: "the Sender recorded nothing for it: see the Sender function's logs" }),
    ]);
    expect(report.queues[1].messages).toEqual([expect.objectContaining({ kind: 'ses-event', sesEventType: 'Delivery', emailId: 'order-3', sesMessageId: 'ses-msg-1', recipient: 'cy@customer.example' })]);
    expect(report.queues[0].messages[0].ageSeconds).toBeGreaterThanOrEqual(0);
    const q = await runnerQueues(runner.url);
    expect([q.sendDlq.visible, q.sendDlq.inFlight, q.feedbackDlq.visible]).toEqual([2, 0, 1]);
  });

  it('a runner that serves another stack: exit 4 naming both', async () => {
    const out = await runInProcess(['dlq', 'list', '--local', '--stack', 'other'], { cwd });
    expect(out.code).toBe(4);
    expect(out.stderr).toContain(`The local engine runner serves stack ${STACK}, not other.`);
  });
});

describe('dlq redrive --local', () => {
  it('--dry-run moves nothing', async () => {
    const out = await run('dlq', 'redrive', '--queue', 'send', '--dry-run', '--json');
    expect(out.code).toBe(0);
    expect(out.json<RedriveReport>().items).toEqual([{ queue: 'send', from: `${STACK}-send-dlq`, to: `${STACK}-send`, messages: 2, action: 'would-move' }]);
    expect((await runnerQueues(runner.url)).sendDlq.visible).toBe(2);
  });

  it('--yes moves the send DLQ back to the send queue, where the (now healthy) Sender takes them; the feedback DLQ is left alone', async () => {
    healthy = true;
    const out = await run('dlq', 'redrive', '--queue', 'send', '--yes');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/│ send +│ dlqlocal-send-dlq +│ dlqlocal-send +│ 2 +│ moved 2 +│/);
    await until(async () => handled.filter((h) => h.startsWith('sender:')).length === 2, 'the Sender to take both');
    const q = await runnerQueues(runner.url);
    expect([q.sendDlq.visible, q.send.visible, q.send.inFlight, q.feedbackDlq.visible]).toEqual([0, 0, 0, 1]);

    const rest = await run('dlq', 'redrive', '--yes', '--json');
    expect(rest.json<RedriveReport>().items.map((i) => [i.queue, i.action, i.moved])).toEqual([
      ['send', 'empty', undefined],
      ['feedback', 'moved', 1],
    ]);
    await until(async () => handled.includes('feedback:ses-evt-1'), 'the Feedback function to take the event');
  });
});
