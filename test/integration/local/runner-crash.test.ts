import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../src/engine/deps.js';
import { listReceivedEmails } from '../../../src/local/index.js';
import { findFreePorts } from '../../../src/local/ports.js';
import { spawnRunner, type RunnerProcess } from '../../../src/local/parts/eventbridge.js';
import { runnerSends, runnerState } from '../../../src/local/runner/client.js';
import { parseRunnerConfig, type RunnerConfig } from '../../../src/local/runner/config.js';
import { queueJournalFile } from '../../../src/local/runner/runner.js';
import { TrackingStore } from '../../../src/tracking/tracking-store.js';
import { putStarterTemplate, useTestStack } from '../../helpers/local-stack.js';

const STACK = 'crash';
const REQUESTS = 30;

/**
 * The runner is killed (SIGKILL: no chance to flush or close anything) while the Sender is in the
 * middle of its batches, then started again on the same data directory. Its queues are kept on
 * disk, so every request still reaches its record: the ones that were waiting right away, the
 * ones that were in flight after their visibility timeout, as SQS hands back a message whose
 * consumer died.
 */
describe('the local runner killed mid-batch and started again', () => {
  const stack = useTestStack('runner-crash', STACK, { sesEventDelayMs: 50 });
  let config: RunnerConfig;
  let configFile: string;
  let runner: RunnerProcess | undefined;
  let tracking: TrackingStore;
  let dynamodb: DynamoDBClient;

  beforeAll(async () => {
    await putStarterTemplate(stack, 'welcome');
    // The stack's own runner config, on a port, bus and data directory of this test's own, with
    // slow sends (SES takes 5 a second) so that batches are surely in flight when the kill comes.
    const base = parseRunnerConfig(readFileSync(join(stack.handle.stateDir, 'eventbridge', 'config.json'), 'utf8'));
    const [port] = await findFreePorts(1);
    config = {
      ...base,
      port,
      dataDir: mkdtempSync(join(tmpdir(), 'mailengine-runner-crash-')),
      engineBus: `${STACK}-crash-bus`,
      sesMaxSendRate: 5,
      // The Sender's claim on a record outlives its invocation by a few seconds: the visibility
      // timeout must be longer (as in the template, several times the function timeout).
      send: { ...base.send, functionTimeoutMs: 2_000, visibilityTimeoutMs: 8_000, maxConcurrency: 2 },
      // A request SES throttles waits 2 s, then 4 s, … instead of the engine's 30 s, 60 s, ….
      requeuePolicy: { firstDelayMs: 2_000, maxDelayMs: 8_000, giveUpAfterMs: 600_000 },
    };
    configFile = join(config.dataDir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    dynamodb = new DynamoDBClient({ region: stack.handle.region, credentials: stack.handle.credentials, endpoint: stack.handle.endpoints.dynamodb });
    tracking = new TrackingStore(documentClient(dynamodb), { tableName: stack.names.TrackingTable, retentionDays: 30 });
  }, 120_000);

  afterAll(async () => {
    await runner?.kill();
    dynamodb?.destroy();
  });

  it('loses no request, and sends one twice only when SES had accepted it just as the kill came', async (ctx) => {
    ctx.onTestFailed(() => console.error(`runner output:\n${runner?.output().slice(-6000)}`));
    runner = await spawnRunner(config, configFile);
    const url = runner.url;
    const events = new EventBridgeClient({ region: stack.handle.region, credentials: stack.handle.credentials, endpoint: url });
    const emailIds = Array.from({ length: REQUESTS }, (_, i) => `crash-${i}`);
    const recipient = (i: number) => `success+crash-${i}@simulator.amazonses.com`;
    for (let i = 0; i < REQUESTS; i += 10) {
      const entries = emailIds.slice(i, i + 10).map((emailId, j) => ({
        EventBusName: config.engineBus,
        Source: 'shop.orders',
        DetailType: 'Email Request',
        Detail: JSON.stringify({ to: recipient(i + j), templateName: 'welcome', templateData: { userName: 'Ann' }, emailId }),
      }));
      expect((await events.send(new PutEventsCommand({ Entries: entries }))).FailedEntryCount).toBe(0);
    }
    events.destroy();

    // Mid-batch: a few sent, batches in flight, the rest waiting.
    const deadline = Date.now() + 30_000;
    // Between two batches nothing is in flight for a moment: wait for a moment when some are.
    let inFlightAtKill = 0;
    for (;;) {
      const sent = (await runnerSends(url)).length;
      const state = await runnerState(url);
      inFlightAtKill = state.queues.send.inFlight;
      if (sent >= 4 && inFlightAtKill > 0) break;
      if (Date.now() > deadline) throw new Error(`the runner was never mid-batch (${sent} sent, ${state.queues.send.inFlight} in flight)`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await runner.kill();
    const killedAt = Date.now();
    expect(readFileSync(queueJournalFile(config, `${STACK}-send`), 'utf8').length).toBeGreaterThan(0);

    runner = await spawnRunner(config, configFile);
    const after = await runnerState(url);
    // What was in flight is back, hidden until its visibility timeout runs out (its consumer died).
    expect(after.queues.send.inFlight).toBeGreaterThan(0);

    const done = new Set(['sent', 'delivered']);
    const waitUntil = Date.now() + 90_000;
    for (;;) {
      const records = await Promise.all(emailIds.map((id) => tracking.get(id)));
      if (records.every((r) => r && done.has(r.status))) break;
      if (Date.now() > waitUntil) throw new Error(`not every request reached a record: ${records.map((r, i) => `${emailIds[i]}=${r?.status ?? 'none'}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const state = await runnerState(url);
    expect(state.queues.sendDlq.visible + state.queues.sendDlq.inFlight).toBe(0);

    // Each email reached SES. A second copy is possible only for a send SES had accepted when the
    // kill came, before its record said so (the crash window the README documents): never for
    // one whose copies were all made after the restart. (The emulator keeps whole seconds.)
    const received = await listReceivedEmails(stack.handle.endpoints.sesv2);
    const copies = emailIds.map((_, i) =>
      received
        .filter((e) => e.to.includes(recipient(i)))
        .map((e) => e.sentAt.getTime())
        .sort((a, b) => a - b),
    );
    expect(copies.every((c) => c.length >= 1)).toBe(true);
    const duplicated = copies.filter((c) => c.length > 1);
    for (const c of duplicated) {
      expect(c).toHaveLength(2);
      expect(c[0]).toBeLessThanOrEqual(Math.ceil(killedAt / 1000) * 1000);
    }
    console.info(`runner killed mid-batch: ${REQUESTS} requests, ${inFlightAtKill} in flight at the kill, ${duplicated.length} sent twice (accepted by SES just before the kill)`);
  }, 240_000);
});
