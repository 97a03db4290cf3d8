import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplate } from '../../../src/cfn/template.js';
import { createMailer } from '../../../src/client/index.js';
import { runnerSends, runnerState } from '../../../src/local/runner/client.js';
import { listScheduled } from '../../../src/operations/schedule/list.js';
import { parseSubJson } from '../../helpers/cfn-sub.js';
import { useAppClients, useTestStack } from '../../helpers/local-stack.js';

/**
 * Scheduled sends through the whole local stack: the client publishes a request with sendAt to
 * the runner, the real Sender schedules it, the runner's delayed queue or one-time schedules wake
 * the Sender, and the client's cancel and reschedule write the record in DynamoDB Local.
 */
const STACK = 'schedshop';

describe('scheduled sends on the local stack, through mailengine/client', () => {
  const stack = useTestStack('sched', STACK, { sesEventDelayMs: 50 });
  const app = useAppClients(stack);
  const mailer = () => createMailer({ busName: `${STACK}-bus`, eventBridgeClient: app.events, trackingTable: stack.names.TrackingTable, dynamoDbClient: app.dynamodb });

  async function statusOf(emailId: string, wanted: (status: string | undefined) => boolean, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await app.tracking.get(emailId);
      if (wanted(record?.status)) return record;
      if (Date.now() > deadline) throw new Error(`${emailId} is ${record?.status ?? 'missing'}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const inSeconds = (s: number) => new Date(Date.now() + s * 1000);
  const welcome = (emailId: string, sendAt: Date | string) => ({ template: 'welcome', to: `success+${emailId}@simulator.amazonses.com`, data: { userName: 'Ann' }, emailId, sendAt });

  it('sendAt a few seconds ahead: scheduled and listed first, sent at its time, not before', async () => {
    const sendAt = inSeconds(4);
    expect(await mailer().send(welcome('sched-soon', sendAt))).toMatchObject({ ok: true });
    const scheduled = await statusOf('sched-soon', (s) => s === 'scheduled');
    expect(scheduled?.sendAt).toBe(sendAt.toISOString());
    expect((await listScheduled(app.tracking, { limit: 50 })).records.map((r) => r.emailId)).toContain('sched-soon');

    const sent = await statusOf('sched-soon', (s) => s === 'sent' || s === 'delivered');
    expect(Date.parse(sent!.sentAt!)).toBeGreaterThanOrEqual(sendAt.getTime());
    expect(await runnerSends(stack.handle.endpoints.eventbridge, 'sched-soon')).toHaveLength(1);
    expect((await listScheduled(app.tracking, { limit: 50 })).records.map((r) => r.emailId)).not.toContain('sched-soon');
  });

  it('cancel: the email ends cancelled and its wake-up sends nothing; cancelling a sent email says it was sent', async () => {
    expect(await mailer().send(welcome('sched-cancel', inSeconds(3)))).toMatchObject({ ok: true });
    await statusOf('sched-cancel', (s) => s === 'scheduled');
    expect(await mailer().cancel('sched-cancel')).toMatchObject({ ok: true, emailId: 'sched-cancel', status: 'cancelled' });
    // Past its time, and the wake-up has come and gone: still cancelled, never sent.
    await new Promise((r) => setTimeout(r, 5000));
    expect((await app.tracking.get('sched-cancel'))?.status).toBe('cancelled');
    expect(await runnerSends(stack.handle.endpoints.eventbridge, 'sched-cancel')).toHaveLength(0);

    expect(await mailer().cancel('sched-soon')).toMatchObject({ ok: false, status: expect.stringMatching(/^(sent|delivered)$/), error: { code: 'not_scheduled', retryable: false } });
    expect(await mailer().cancel('sched-nobody')).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('reschedule to an earlier time: the wake-up it publishes brings the send forward', async () => {
    expect(await mailer().send(welcome('sched-move', inSeconds(600)))).toMatchObject({ ok: true });
    await statusOf('sched-move', (s) => s === 'scheduled');
    const earlier = inSeconds(2);
    expect(await mailer().reschedule('sched-move', earlier)).toMatchObject({ ok: true, status: 'scheduled', sendAt: earlier.toISOString() });
    const sent = await statusOf('sched-move', (s) => s === 'sent' || s === 'delivered');
    expect(sent?.sendAt).toBe(earlier.toISOString());
    expect(await mailer().reschedule('sched-move', inSeconds(60))).toMatchObject({ ok: false, error: { code: 'not_scheduled' } });
  });

  it('more than 15 minutes ahead: a one-time schedule of the runner, kept in its data directory', async () => {
    const before = (await runnerState(stack.handle.endpoints.eventbridge)).schedules;
    expect(await mailer().send(welcome('sched-far', inSeconds(3600)))).toMatchObject({ ok: true });
    await statusOf('sched-far', (s) => s === 'scheduled');
    const deadline = Date.now() + 10_000;
    while ((await runnerState(stack.handle.endpoints.eventbridge)).schedules === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await runnerState(stack.handle.endpoints.eventbridge)).schedules).toBe(before + 1);
    // The runner's schedules file, wherever under the state directory its data lives.
    const files = (readdirSync(stack.handle.stateDir, { recursive: true }) as string[]).filter((f) => f.endsWith(join('schedules', `${STACK}.json`)));
    expect(files).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(stack.handle.stateDir, files[0]), 'utf8')).schedules).toHaveLength(before + 1);
  });

  it('cancel and reschedule call DynamoDB only as the stack\'s ScheduledSendsPolicy output allows', async () => {
    const template = await loadTemplate(resolve(import.meta.dirname, '../../../cfn/mailengine.yaml'));
    const allowed = (parseSubJson(template.Outputs?.ScheduledSendsPolicy.Value) as { Statement: Array<{ Action: string[] }> }).Statement.flatMap((st) => st.Action);
    const called = new Set<string>();
    const dynamodb = new DynamoDBClient({ region: stack.handle.region, credentials: stack.handle.credentials, endpoint: stack.handle.endpoints.dynamodb });
    dynamodb.middlewareStack.add((next, context) => (args) => (called.add(`dynamodb:${String(context.commandName).replace(/Command$/, '')}`), next(args)), { step: 'initialize', name: 'recordCalls' });
    try {
      const app2 = createMailer({ busName: `${STACK}-bus`, eventBridgeClient: app.events, trackingTable: stack.names.TrackingTable, dynamoDbClient: dynamodb });
      expect(await app2.send(welcome('sched-policy', inSeconds(600)))).toMatchObject({ ok: true });
      await statusOf('sched-policy', (s) => s === 'scheduled');
      expect(await app2.reschedule('sched-policy', inSeconds(900))).toMatchObject({ ok: true });
      expect(await app2.cancel('sched-policy')).toMatchObject({ ok: true, status: 'cancelled' });
    } finally {
      dynamodb.destroy();
    }
    expect([...called].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    for (const action of called) expect(allowed).toContain(action);
  });

  it('cancel and reschedule need the tracking table: a mailer without it says so', async () => {
    const plain = createMailer({ busName: `${STACK}-bus`, eventBridgeClient: app.events });
    await expect(plain.cancel('x')).rejects.toThrow(/trackingTable/);
  });
});
