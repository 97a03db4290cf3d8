import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../src/engine/deps.js';
import { waitForReceivedEmail, type LocalStackHandle } from '../../../src/local/index.js';
import { pauseRunner, resumeRunner, runnerEvents, runnerSends, runnerState, waitForRunnerIdle } from '../../../src/local/runner/client.js';
import { SuppressionStore } from '../../../src/suppression/suppression-store.js';
import { TrackingStore } from '../../../src/tracking/tracking-store.js';
import { putStarterTemplate, startTestStack, stopTestStack, type TestStack } from '../../helpers/local-stack.js';

const STACK = 'e2e';

describe('the engine runner on the local stack: PutEvents → real Sender → SES emulator → synthesised events → real Feedback', () => {
  let local: TestStack | undefined;
  let stack: LocalStackHandle;
  let events: EventBridgeClient;
  let dynamodb: DynamoDBClient;
  let tracking: TrackingStore;
  let suppression: SuppressionStore;

  beforeAll(async () => {
    local = await startTestStack('local-runner', STACK, { sesEventDelayMs: 50 });
    stack = local.handle;
    const common = { region: stack.region, credentials: stack.credentials };
    events = new EventBridgeClient({ ...common, endpoint: stack.endpoints.eventbridge });
    dynamodb = new DynamoDBClient({ ...common, endpoint: stack.endpoints.dynamodb });
    tracking = new TrackingStore(documentClient(dynamodb), { tableName: local.names.TrackingTable, retentionDays: 30 });
    suppression = new SuppressionStore(documentClient(dynamodb), { tableName: local.names.SuppressionTable });
    await putStarterTemplate(local, 'welcome');
  }, 120_000);

  afterAll(async () => {
    for (const client of [events, dynamodb]) client?.destroy();
    const down = await stopTestStack(local);
    if (!down) return;
    // The runner ends on SIGTERM by itself (no SIGKILL needed) and says so in its log.
    expect(down.parts.find((p) => p.name === 'eventbridge')).toMatchObject({ state: 'stopped', signal: 'SIGTERM' });
    expect(readFileSync(`${stack.stateDir}/logs/eventbridge.log`, 'utf8')).toMatch(/runner\.stopped/);
  }, 60_000);

  const request = (to: string, emailId: string) => ({
    EventBusName: `${STACK}-bus`,
    Source: 'shop.accounts',
    DetailType: 'Email Request',
    Detail: JSON.stringify({ to, templateName: 'welcome', templateData: { userName: 'Ann' }, emailId }),
  });

  async function waitForStatus(emailId: string, status: string, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await tracking.get(emailId);
      if (record?.status === status) return record;
      if (Date.now() > deadline) throw new Error(`${emailId} is ${record?.status ?? 'missing'}, not ${status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('runs as the fourth part, configured from the engine template and the provisioned names', async () => {
    expect(stack.up.parts.map((p) => [p.name, p.state])).toEqual([
      ['dynamodb', 'started'],
      ['s3', 'started'],
      ['sesv2', 'started'],
      ['eventbridge', 'started'],
    ]);
    const state = await runnerState(stack.endpoints.eventbridge);
    expect(state).toMatchObject({
      runner: 'mailengine-local-runner',
      paused: false,
      engine: { configured: true, stackName: STACK, configurationSet: STACK, bus: `${STACK}-bus` },
      // cfn/mailengine.yaml: VisibilityTimeout 180, maxReceiveCount 8.
      queues: { send: { name: `${STACK}-send`, visibilityTimeoutMs: 180_000, maxReceiveCount: 8 }, feedback: { maxReceiveCount: 8 } },
    });
    const config = JSON.parse(readFileSync(`${stack.stateDir}/eventbridge/config.json`, 'utf8'));
    expect(config.send).toMatchObject({ batchSize: 10, maxConcurrency: 10, functionTimeoutMs: 30_000 });
    expect(config.sesEventDelayMs).toBe(50);
    expect(readFileSync(`${stack.stateDir}/logs/eventbridge.log`, 'utf8')).toMatch(/runner\.started/);
  });

  it('PutEvents → sent → delivered, with the email in the SES emulator’s store and the status events on the bus', async () => {
    const out = await events.send(new PutEventsCommand({ Entries: [request('success+e2e@simulator.amazonses.com', 'e2e-welcome-1')] }));
    expect(out.FailedEntryCount).toBe(0);
    const record = await waitForStatus('e2e-welcome-1', 'delivered');
    expect(record).toMatchObject({ recipient: 'success+e2e@simulator.amazonses.com', templateName: 'welcome', sesMessageId: expect.any(String), eventId: out.Entries![0].EventId });

    const email = await waitForReceivedEmail(stack.endpoints.sesv2, (e) => e.messageId === record.sesMessageId);
    expect(email.to).toEqual(['success+e2e@simulator.amazonses.com']);
    expect(email.subject).toMatch(/Ann/);
    expect(email.html).toMatch(/Ann/);

    // The record reaches `delivered` a moment before Feedback publishes the event: wait for it.
    // EventBridge promises no order between two publishers (the Sender's `sent`, Feedback's
    // `delivered`; under load the second can land first), so the events are compared sorted.
    const statuses = async () => {
      const { events: changes } = await runnerEvents(stack.endpoints.eventbridge, { detailType: 'Email Status Changed', emailId: 'e2e-welcome-1' });
      return changes.map((e) => [e.bus, e.event.source, (e.event.detail as { status: string }).status]).sort((a, b) => a[2]!.localeCompare(b[2]!));
    };
    await expect.poll(statuses, { timeout: 5_000 }).toEqual([
      [`${STACK}-bus`, 'mailengine', 'delivered'],
      [`${STACK}-bus`, 'mailengine', 'sent'],
    ]);
    const history = (await tracking.getWithHistory('e2e-welcome-1'))!.history.map((h) => h.event);
    expect(history).toEqual(expect.arrayContaining(['sent', 'send', 'delivery']));
  });

  it('a simulator bounce ends bounced and suppresses the address', async () => {
    await events.send(new PutEventsCommand({ Entries: [request('bounce@simulator.amazonses.com', 'e2e-bounce-1')] }));
    await waitForStatus('e2e-bounce-1', 'bounced');
    expect(await suppression.check('bounce@simulator.amazonses.com')).toMatchObject({ reason: 'bounce' });
  });

  it('the same emailId published twice sends once', async () => {
    await events.send(new PutEventsCommand({ Entries: [request('success+dup@simulator.amazonses.com', 'e2e-dup-1'), request('success+dup@simulator.amazonses.com', 'e2e-dup-1')] }));
    await waitForStatus('e2e-dup-1', 'delivered');
    await waitForRunnerIdle(stack.endpoints.eventbridge);
    expect(await runnerSends(stack.endpoints.eventbridge, 'e2e-dup-1')).toHaveLength(1);
    expect((await tracking.getWithHistory('e2e-dup-1'))!.history.map((h) => h.event)).toContain('duplicate_ignored');
  });

  it('pause → requests wait in the queue → resume → they go out', async () => {
    await pauseRunner(stack.endpoints.eventbridge);
    await events.send(new PutEventsCommand({ Entries: [request('success+paused@simulator.amazonses.com', 'e2e-paused-1')] }));
    await new Promise((r) => setTimeout(r, 500));
    expect(await tracking.get('e2e-paused-1')).toBeUndefined();
    expect((await runnerState(stack.endpoints.eventbridge)).queues.send.visible).toBe(1);
    await resumeRunner(stack.endpoints.eventbridge);
    await waitForStatus('e2e-paused-1', 'delivered');
  });
});
