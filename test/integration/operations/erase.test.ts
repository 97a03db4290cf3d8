import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteSuppressedDestinationCommand, GetAccountCommand, GetSuppressedDestinationCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { documentClient } from '../../../src/engine/deps.js';
import { createFeedback } from '../../../src/engine/feedback.js';
import { createWakeUps } from '../../../src/engine/schedule.js';
import { createSender } from '../../../src/engine/sender.js';
import { listReceivedEmails } from '../../../src/local/index.js';
import { MailengineError } from '../../../src/errors.js';
import type { MessageCode } from '../../../src/io/message-codes.js';
import { RecordingIoHost } from '../../helpers/recording-io-host.js';
import { batchDelete } from '../../../src/operations/batch-delete.js';
import { eraseAddress, type EraseDeps, type ErasureReceipt } from '../../../src/operations/erase.js';
import { localHashKeyFile } from '../../../src/local/hash-key.js';
import { SuppressionStore } from '../../../src/suppression/suppression-store.js';
import { TrackingStore } from '../../../src/tracking/tracking-store.js';
import { STACK, batch, feedbackFor, plentyOfTime, requestMessage, senderFor, useEngineFixture } from '../../helpers/engine-fixture.js';
import { cfn, mockDeployedStack, secrets } from '../../helpers/deployed-stack.js';
import { awsWithLocalDynamoDb, runInProcess } from '../../helpers/in-process.js';

/**
 * GDPR erasure on DynamoDB Local, with data written by the real Sender and Feedback. What must
 * hold: every item for the address is gone, a suppressed address stays blocked through its keyed
 * hash (the real Sender refuses it), a second run finds nothing, and throttled batches are retried.
 */
const f = useEngineFixture('erase', { timeoutMs: 90_000 });
const HASH_KEY = Buffer.from('erase-test-hash-key');

beforeEach(() => {
  cfn.reset();
  secrets.reset();
});

const tracking = () => senderFor(f).tracking;
const store = (hashKey?: Buffer) => new SuppressionStore(documentClient(f.settings.clients.dynamodb), { tableName: f.settings.suppressionTable, hashKey });

function deps(overrides: Partial<EraseDeps> = {}, answers: Partial<Record<MessageCode, boolean>> = { 'erase.confirm': true }): EraseDeps & { io: RecordingIoHost } {
  const io = new RecordingIoHost(answers);
  return {
    tracking: tracking(),
    db: documentClient(f.settings.clients.dynamodb),
    trackingTable: f.settings.trackingTable,
    suppressionTable: f.settings.suppressionTable,
    hashKey: async () => HASH_KEY,
    account: { skipped: 'local', note: 'The local stack has no SES account-level suppression list.' },
    engine: { stackName: STACK, facts: () => ({ target: 'local', backups: { pointInTimeRecovery: false, windowDays: 0, note: 'The local stack keeps no backups.' }, notes: [] }) },
    batch: { sleep: async () => undefined },
    ...overrides,
    io,
  };
}
const erase = (address: string, options: { dryRun?: boolean; forgetSuppression?: boolean; force?: boolean; pageSize?: number } = {}, d = deps()) =>
  eraseAddress(d, { address, dryRun: options.dryRun ?? false, forgetSuppression: options.forgetSuppression ?? false, force: options.force, pageSize: options.pageSize });

let n = 0;
type SesEventType = 'Delivery' | 'Bounce' | 'Complaint' | 'Open' | 'SoftBounce';

/** One SES event for an email, through the real Feedback (with the given hash key). */
async function feed(to: string, emailId: string, messageId: string | undefined, eventType: SesEventType, i: number, hashKey = f.settings.hashKey): Promise<void> {
  const body = {
    Delivery: { delivery: { recipients: [to], timestamp: new Date().toISOString(), smtpResponse: '250 ok' } },
    Bounce: { bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: to, diagnosticCode: 'smtp; 550 5.1.1 user unknown' }] } },
    SoftBounce: { bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', bouncedRecipients: [{ emailAddress: to, diagnosticCode: 'smtp; 452 4.2.2 mailbox full' }] } },
    Complaint: { complaint: { complainedRecipients: [{ emailAddress: to }], complaintFeedbackType: 'abuse' } },
    Open: { open: { userAgent: 'Mail', ipAddress: '192.0.2.1' } },
  }[eventType];
  const sesType = eventType === 'SoftBounce' ? 'Bounce' : eventType;
  const detail = { eventType: sesType, mail: { messageId, destination: [to], tags: { 'ses:configuration-set': [STACK], emailId: [emailId] } }, ...body };
  const detailType = { Delivery: 'Email Delivered', Bounce: 'Email Bounced', Complaint: 'Email Complaint Received', Open: 'Email Opened' }[sesType];
  const event = { version: '0', id: `ses-${emailId}-${i}`, 'detail-type': detailType, source: 'aws.ses', time: new Date(Date.now() + i).toISOString(), region: 'us-east-1', resources: [], detail };
  await createFeedback(feedbackFor(f, { hashKey }))({ Records: [{ messageId: `m-${emailId}-${i}`, body: JSON.stringify(event) }] });
}

/** One email through the real Sender, then the SES events for it through the real Feedback. */
async function sendWithEvents(to: string, events: SesEventType[], hashKey = f.settings.hashKey): Promise<string> {
  n += 1;
  const emailId = `er-${n}`;
  await createSender(senderFor(f, { hashKey }))(batch(requestMessage({ to, templateName: 'receipt', emailId, templateData: { name: 'A', orderId: emailId, total: '1' } })), plentyOfTime);
  const messageId = (await tracking().get(emailId))?.sesMessageId;
  for (const [i, eventType] of events.entries()) await feed(to, emailId, messageId, eventType, i, hashKey);
  return emailId;
}

/** Emails written the way the Sender records them, each with `history` entries. */
async function emailsWithHistory(to: string, count: number, history: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    n += 1;
    const emailId = `bulk-${n}`;
    await tracking().recordFinal({ emailId, eventId: `evt-${emailId}`, recipient: to, requestedAt: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString() }, 'failed', 'template_not_found', 'no such template');
    for (let h = 0; h < history; h += 1) await tracking().addHistory({ emailId, event: `step_${h}`, time: new Date(Date.UTC(2026, 2, 1, 0, i, h)).toISOString(), eventId: `h-${emailId}-${h}` });
  }
}

const remaining = async (to: string) => (await tracking().listByRecipient(to, { limit: 100 })).records.length;

describe('erase (core, on DynamoDB Local)', () => {
  it('one bounced email with history: everything goes, the bounce stays as a keyed hash, and the real Sender then refuses the address', async () => {
    const to = 'bounced@customer.example';
    const emailId = await sendWithEvents(to, ['Delivery', 'Bounce']);
    expect((await store().get(to))?.reason).toBe('bounce');

    const d = deps();
    const receipt = await erase(to, {}, d);
    expect(receipt).toMatchObject({
      address: to,
      dryRun: false,
      nothingFound: false,
      found: { emails: 1, trackingRecords: 1, historyEntries: 3, suppressionEntries: 1 },
      deleted: { emails: 1, trackingRecords: 1, historyEntries: 3, suppressionEntries: 1 },
      suppression: { suppressed: true, reason: 'bounce', kept: 'keyed-hash' },
      accountList: { status: 'skipped' },
    });
    expect(d.io.requests.map((r) => r.code)).toEqual(['erase.confirm']);
    expect(await tracking().getWithHistory(emailId)).toBeUndefined();
    expect(await remaining(to)).toBe(0);
    expect(await store().get(to)).toBeUndefined();

    const hash = await store(HASH_KEY).getHash(to);
    expect(hash).toMatchObject({ reason: 'bounce', source: 'erasure', hashed: true });
    expect(JSON.stringify(hash)).not.toContain('customer.example');

    // The Sender, holding the same key, refuses a new request to the erased address.
    const again = await createSender(senderFor(f, { hashKey: HASH_KEY }))(batch(requestMessage({ to, templateName: 'receipt', emailId: 'after-erase-1', templateData: { name: 'A', orderId: '1', total: '1' } })), plentyOfTime);
    expect(again.batchItemFailures).toEqual([]);
    expect(await tracking().get('after-erase-1')).toMatchObject({ status: 'suppressed', errorType: 'suppressed' });
  });

  it('an email scheduled for the address goes with the rest: its request is erased, and its wake-up later sends nothing', async () => {
    const to = 'scheduled-erased@customer.example';
    const emailId = `scheduled-erase-${process.pid}`;
    const schedules: Array<{ body: string }> = [];
    const wakeUps = createWakeUps({ schedules: { create: async (schedule) => void schedules.push(schedule) } });
    const sender = createSender({ ...senderFor(f), wakeUps });
    const sendAt = new Date(Date.now() + 3 * 3_600_000).toISOString();
    await sender(batch(requestMessage({ to, templateName: 'receipt', emailId, sendAt, templateData: { name: 'A', orderId: '1', total: '1' } })), plentyOfTime);
    expect(await tracking().get(emailId)).toMatchObject({ status: 'scheduled', recipient: to });
    expect(schedules).toHaveLength(1);

    const receipt = await erase(to);
    expect(receipt).toMatchObject({ found: { emails: 1, trackingRecords: 1 }, deleted: { emails: 1, trackingRecords: 1 } });
    expect(await tracking().getWithHistory(emailId)).toBeUndefined();

    // The schedule fires as planned: with no record left there is nothing to send, and nothing to retry.
    expect((await sender(batch({ messageId: 'wake-after-erase', body: schedules[0].body }), plentyOfTime)).batchItemFailures).toEqual([]);
    expect(await tracking().getWithHistory(emailId)).toBeUndefined();
    expect((await listReceivedEmails(f.stack.endpoints.sesv2)).filter((m) => m.to.includes(to))).toEqual([]);
  });

  it('running it twice is safe: the second run finds nothing, asks nothing and changes nothing', async () => {
    const to = 'twice@customer.example';
    await sendWithEvents(to, ['Complaint']);
    await erase(to);
    const d = deps();
    const second = await erase(to, {}, d);
    expect(second).toMatchObject({ nothingFound: true, found: { emails: 0, suppressionEntries: 1 }, deleted: { emails: 0, suppressionEntries: 0 }, suppression: { suppressed: true, reason: 'complaint', kept: 'keyed-hash' } });
    expect(d.io.requests).toEqual([]);
    expect((await store(HASH_KEY).check(to))?.hashed).toBe(true);
  });

  it('many emails with history, read in pages of 2 and deleted in batches of 25; other recipients are untouched', async () => {
    const to = 'many@customer.example';
    await emailsWithHistory(to, 7, 3);
    await emailsWithHistory('neighbour@customer.example', 2, 1);
    const receipt = await erase(to, { pageSize: 2 });
    expect(receipt.found).toEqual({ emails: 7, trackingRecords: 7, historyEntries: 21, suppressionEntries: 0 });
    expect(receipt.deleted).toEqual(receipt.found);
    expect(receipt.suppression).toEqual({ suppressed: false, kept: 'none' });
    expect(await remaining(to)).toBe(0);
    expect(await remaining('neighbour@customer.example')).toBe(2);
  });

  it('UnprocessedItems from BatchWriteItem are sent again with backoff until every item is gone', async () => {
    const to = 'throttled@customer.example';
    await emailsWithHistory(to, 6, 4);
    let injected = 0;
    const throttling = new DynamoDBClient({ endpoint: f.stack.endpoints.dynamodb, region: f.stack.region, credentials: f.stack.credentials, maxAttempts: 1 });
    // DynamoDB accepts part of a batch and hands the rest back as UnprocessedItems: do that twice.
    throttling.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'BatchWriteItemCommand' || injected >= 2) return next(args);
        injected += 1;
        const input = args.input as { RequestItems: Record<string, unknown[]> };
        const [table, requests] = Object.entries(input.RequestItems)[0];
        const keep = Math.max(1, requests.length - 5);
        const held = requests.slice(keep);
        input.RequestItems = { [table]: requests.slice(0, keep) };
        const out = await next(args);
        (out.output as { UnprocessedItems?: Record<string, unknown[]> }).UnprocessedItems = { [table]: held };
        return out;
      },
      { step: 'initialize', name: 'partialBatch' },
    );
    const pauses: number[] = [];
    const d = deps({
      db: documentClient(throttling),
      tracking: new TrackingStore(documentClient(throttling), { tableName: f.settings.trackingTable, retentionDays: 90 }),
      batch: { sleep: async (ms) => void pauses.push(ms), random: () => 1 },
    });
    const receipt = await erase(to, {}, d);
    expect(injected).toBe(2);
    expect(pauses).toEqual([100, 200]);
    expect(receipt.deleted).toMatchObject({ emails: 6, trackingRecords: 6, historyEntries: 24 });
    expect(await remaining(to)).toBe(0);
    expect(d.io.progressLog.find((p) => p.code === 'erase.delete')?.messages).toContain('DynamoDB left 5 deletes unprocessed; retrying (try 2)');
  });

  it('a batch that stays unprocessed fails with exit 1 and says it is safe to run again', async () => {
    const never = { send: async (command: { input: { RequestItems: Record<string, unknown[]> } }) => ({ UnprocessedItems: command.input.RequestItems }) };
    const err = await batchDelete(never as never, 'table', [{ pk: 'a', sk: 'b' }], { maxAttempts: 3, sleep: async () => undefined }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailengineError);
    expect(err).toMatchObject({ code: 'BATCH_DELETE_INCOMPLETE', exitCode: 1 });
    expect((err as MailengineError).suggestion).toContain('safe to repeat');
  });

  it('--dry-run counts what would go and changes nothing, without asking', async () => {
    const to = 'dry@customer.example';
    await sendWithEvents(to, ['Bounce']);
    const d = deps();
    const receipt = await erase(to, { dryRun: true }, d);
    expect(receipt).toMatchObject({ dryRun: true, found: { emails: 1, suppressionEntries: 1 }, deleted: { emails: 0, trackingRecords: 0, historyEntries: 0, suppressionEntries: 0 }, suppression: { kept: 'keyed-hash' } });
    expect(d.io.requests).toEqual([]);
    expect(await remaining(to)).toBe(1);
    expect(await store(HASH_KEY).getHash(to)).toBeUndefined();
  });

  it('declining the confirmation erases nothing (exit 1)', async () => {
    const to = 'declined@customer.example';
    await sendWithEvents(to, []);
    const err = await erase(to, {}, deps({}, { 'erase.confirm': false })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERASE_DECLINED', exitCode: 1 });
    expect(await remaining(to)).toBe(1);
  });

  it('a bounce SES reports after the erasure is kept as the keyed hash, never as the address; the mark alone blocks nothing', async () => {
    const to = 'late-bounce@customer.example';
    const emailId = await sendWithEvents(to, ['Delivery'], HASH_KEY);
    const messageId = (await tracking().get(emailId))?.sesMessageId;
    const erasedAt = Date.now();
    const receipt = await erase(to);
    expect(receipt).toMatchObject({ found: { emails: 1, suppressionEntries: 0 }, suppression: { suppressed: false, kept: 'none' } });
    expect(receipt.notes.join('\n')).toMatch(/A keyed hash of the address, which blocks nothing, stays until \d{4}-\d{2}-\d{2}, so that a bounce or complaint/);
    const mark = await store(HASH_KEY).getHash(to);
    expect(mark?.reason).toBeUndefined();
    // Expires with the late-feedback window (90 days), through the table's TTL.
    expect(mark?.expiresAt).toBeGreaterThan(erasedAt / 1000 + 89 * 86_400);
    expect(mark?.expiresAt).toBeLessThan(erasedAt / 1000 + 91 * 86_400);
    expect(await store(HASH_KEY).check(to)).toBeUndefined();

    await feed(to, emailId, messageId, 'Bounce', 5, HASH_KEY);
    expect(await store().get(to)).toBeUndefined();
    expect(await remaining(to)).toBe(0);
    const hash = await store(HASH_KEY).getHash(to);
    expect(hash).toMatchObject({ reason: 'bounce', source: 'erasure', hashed: true });
    // Kept for good now: the mark's expiry is gone, and no detail quotes the address.
    expect(hash?.expiresAt).toBeUndefined();
    expect(JSON.stringify(hash)).not.toContain('customer.example');
    expect((await store(HASH_KEY).check(to))?.hashed).toBe(true);

    // A second erase finds the hash that keeps it suppressed, and nothing else.
    expect(await erase(to)).toMatchObject({ nothingFound: true, found: { emails: 0, suppressionEntries: 1 }, suppression: { suppressed: true, reason: 'bounce', kept: 'keyed-hash' } });
  });

  it('a late complaint raises the kept hash to a complaint; a late soft bounce stores nothing; an address never erased is suppressed by name as before', async () => {
    const bounced = 'late-complaint@customer.example';
    const emailId = await sendWithEvents(bounced, ['Bounce'], HASH_KEY);
    const messageId = (await tracking().get(emailId))?.sesMessageId;
    await erase(bounced);
    await feed(bounced, emailId, messageId, 'Complaint', 5, HASH_KEY);
    expect(await store().get(bounced)).toBeUndefined();
    expect(await store(HASH_KEY).getHash(bounced)).toMatchObject({ reason: 'complaint', hashed: true });

    const soft = 'late-soft@customer.example';
    const softId = await sendWithEvents(soft, ['Delivery'], HASH_KEY);
    const softMessage = (await tracking().get(softId))?.sesMessageId;
    await erase(soft);
    await feed(soft, softId, softMessage, 'SoftBounce', 5, HASH_KEY);
    expect(await store().get(soft)).toBeUndefined();
    expect((await store(HASH_KEY).getHash(soft))?.reason).toBeUndefined();

    const never = 'never-erased@customer.example';
    await sendWithEvents(never, ['Bounce'], HASH_KEY);
    expect(await store().get(never)).toMatchObject({ reason: 'bounce' });
    expect(await store(HASH_KEY).getHash(never)).toBeUndefined();
  });

  it('after the mark expires, feedback for the address is stored by name again', async () => {
    const to = 'expired-mark@customer.example';
    const emailId = await sendWithEvents(to, ['Delivery'], HASH_KEY);
    const messageId = (await tracking().get(emailId))?.sesMessageId;
    // An erasure 91 days ago: its mark has expired, though DynamoDB may not have deleted it yet.
    await erase(to, {}, deps({ now: () => new Date(Date.now() - 91 * 86_400_000) }));
    expect(await store(HASH_KEY).getHash(to)).toBeDefined();
    await feed(to, emailId, messageId, 'Bounce', 5, HASH_KEY);
    expect(await store().get(to)).toMatchObject({ reason: 'bounce' });
  });

  it('--forget-suppression of a complaint needs --force, as `suppression remove` does: without it nothing is read away, asked or erased', async () => {
    const to = 'forget-complaint@customer.example';
    await sendWithEvents(to, ['Complaint']);
    const before = await remaining(to);
    for (const dryRun of [false, true]) {
      const d = deps();
      const err = await erase(to, { forgetSuppression: true, dryRun }, d).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MailengineError);
      expect(err).toMatchObject({ code: 'COMPLAINT_NEEDS_FORCE', exitCode: 2 });
      expect((err as MailengineError).message).toContain('the recipient marked your email as spam');
      expect((err as MailengineError).suggestion).toContain('--force');
      expect(d.io.codes()).not.toContain('erase.confirm');
    }
    expect(await remaining(to)).toBe(before);
    expect((await store().get(to))?.reason).toBe('complaint');
    // A complaint is kept as a keyed hash by a plain erase, which needs no --force.
    expect(await erase(to)).toMatchObject({ suppression: { reason: 'complaint', kept: 'keyed-hash' } });
    // The hash an erasure kept for a complaint is a complaint too.
    await expect(erase(to, { forgetSuppression: true })).rejects.toMatchObject({ code: 'COMPLAINT_NEEDS_FORCE' });
    expect(await erase(to, { forgetSuppression: true, force: true })).toMatchObject({ suppression: { kept: 'none' } });
    expect(await store(HASH_KEY).check(to)).toBeUndefined();
  });

  it('--forget-suppression --force keeps no hash: the address becomes mailable again, and the run warns about it', async () => {
    const to = 'forget@customer.example';
    await sendWithEvents(to, ['Complaint']);
    const d = deps();
    const receipt = await erase(to, { forgetSuppression: true, force: true }, d);
    expect(receipt.suppression).toEqual({ suppressed: true, reason: 'complaint', kept: 'none' });
    expect(await store(HASH_KEY).check(to)).toBeUndefined();
    expect(d.io.codes()).toContain('erase.suppression-forgotten');
    await createSender(senderFor(f, { hashKey: HASH_KEY }))(batch(requestMessage({ to, templateName: 'receipt', emailId: 'after-forget-1', templateData: { name: 'A', orderId: '1', total: '1' } })), plentyOfTime);
    expect((await tracking().get('after-forget-1'))?.status).toBe('sent');
  });

  it('--forget-suppression later drops the hash an earlier erasure kept', async () => {
    const to = 'later@customer.example';
    await sendWithEvents(to, ['Bounce']);
    await erase(to);
    expect(await store(HASH_KEY).getHash(to)).toBeDefined();
    const receipt = await erase(to, { forgetSuppression: true });
    expect(receipt).toMatchObject({ nothingFound: false, deleted: { suppressionEntries: 1 }, suppression: { kept: 'none' } });
    expect(await store(HASH_KEY).getHash(to)).toBeUndefined();
  });

  it('a malformed address is exit 2 before anything is read', async () => {
    const err = await erase('not an address').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_ADDRESS', exitCode: 2 });
  });
});

describe('mailengine erase (in process)', () => {
  const local = (...argv: string[]) => runInProcess([...argv, '--local', '--stack', STACK], { cwd: f.stack.dir });

  it('--local --yes --receipt: erases, writes the receipt, and the local Sender key keeps the address blocked', async () => {
    const to = 'cli-erase@customer.example';
    await sendWithEvents(to, ['Delivery', 'Bounce']);
    const out = await local('erase', to, '--yes', '--json', '--receipt', 'receipt-1.json');
    expect(out.code).toBe(0);
    const printed = out.json<ErasureReceipt>();
    expect(JSON.parse(readFileSync(join(f.stack.dir, 'receipt-1.json'), 'utf8'))).toEqual(printed);
    expect(printed).toMatchObject({ receipt: 'mailengine-erasure', version: 1, target: 'local', stack: STACK, deleted: { emails: 1, historyEntries: 3 }, suppression: { kept: 'keyed-hash' }, backups: { pointInTimeRecovery: false } });

    expect((await local('status', 'lookup', '--recipient', to)).code).toBe(4);
    const check = await local('suppression', 'check', to, '--json');
    expect(check.code).toBe(0);
    expect(check.json()).toMatchObject({ address: to, suppressed: true, engine: { reason: 'bounce', hashed: true } });

    const again = await local('erase', to, '--yes');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Nothing is stored about ${to} (only the keyed hash that keeps it suppressed); nothing to erase.`);

    const existing = await local('erase', to, '--yes', '--receipt', 'receipt-1.json');
    expect(existing.code).toBe(2);
    expect(existing.stderr).toContain('receipt-1.json already exists; it is not overwritten without --force.');
    expect(JSON.parse(readFileSync(join(f.stack.dir, 'receipt-1.json'), 'utf8'))).toEqual(printed);
    // The same rule as every command that writes a file: --force replaces it.
    const replaced = await local('erase', to, '--yes', '--force', '--receipt', 'receipt-1.json');
    expect(replaced.code).toBe(0);
    expect(JSON.parse(readFileSync(join(f.stack.dir, 'receipt-1.json'), 'utf8'))).toMatchObject({ nothingFound: true });

    // The key `erase` used is the file the local engine runner reads: a Sender built with it refuses.
    const key = Buffer.from(readFileSync(localHashKeyFile(f.stack.dir), 'utf8').trim(), 'utf8');
    await createSender(senderFor(f, { hashKey: key }))(batch(requestMessage({ to, templateName: 'receipt', emailId: 'cli-after-1', templateData: { name: 'A', orderId: '1', total: '1' } })), plentyOfTime);
    expect((await tracking().get('cli-after-1'))?.status).toBe('suppressed');
  });

  it('without --yes in CI: exit 2 naming --yes, and nothing is erased; --dry-run needs no --yes', async () => {
    const to = 'cli-noyes@customer.example';
    await sendWithEvents(to, []);
    const out = await local('erase', to);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--yes');
    expect(await remaining(to)).toBe(1);
    const dry = await local('erase', to, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`Dry run: this would be erased for ${to}. Nothing was changed.`);
    expect(dry.stdout).toContain('would delete      1 email (1 record, 1 history entry)');
    expect(dry.stdout.split('\n').filter((line) => /\s$/.test(line))).toEqual([]);
  });

  it('--forget-suppression of a complaint: exit 2 naming --force, and nothing is erased', async () => {
    const to = 'cli-complaint@customer.example';
    await sendWithEvents(to, ['Complaint']);
    const out = await local('erase', to, '--forget-suppression', '--yes');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('marked your email as spam');
    expect(out.stderr).toContain('--force');
    expect(await remaining(to)).toBeGreaterThan(0);
    const forced = await local('erase', to, '--forget-suppression', '--force', '--yes', '--json');
    expect(forced.code).toBe(0);
    expect(forced.json()).toMatchObject({ suppression: { reason: 'complaint', kept: 'none' } });
  });

  it('a malformed address: exit 2', async () => {
    const out = await local('erase', 'ada.example.com', '--yes');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('"ada.example.com" is not an email address.');
  });

  it('on AWS: the stack secret is the hash key, the address leaves the SES account list too, and the receipt states the 35-day PITR window', async () => {
    const to = 'aws-erase@customer.example';
    await sendWithEvents(to, ['Bounce'], HASH_KEY);
    // Mocked only now: the Sender above talks to the real SES emulator through the same client class.
    const ses = mockClient(SESv2Client);
    onTestFinished(() => ses.restore());
    mockDeployedStack('shop-prod', 'eu-west-1', { trackingTable: f.settings.trackingTable, suppressionTable: f.settings.suppressionTable }, HASH_KEY.toString('utf8'));
    // SESv2 GetAccount (production access), GetSuppressedDestination and DeleteSuppressedDestination, as the API reference shapes them.
    ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true, SendingEnabled: true, EnforcementStatus: 'HEALTHY', SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: 12 } });
    ses.on(GetSuppressedDestinationCommand).resolves({ SuppressedDestination: { EmailAddress: to, Reason: 'BOUNCE', LastUpdateTime: new Date('2026-03-01T10:00:00Z'), Attributes: { MessageId: '0100018e-aaaa', FeedbackId: '0100018e-bbbb' } } });
    ses.on(DeleteSuppressedDestinationCommand).resolves({});
    const out = await runInProcess(['erase', to, '--yes', '--json', '--stack', 'shop-prod', '--region', 'eu-west-1'], { cwd: f.stack.dir, awsFactory: awsWithLocalDynamoDb(f.stack.endpoints) });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const receipt = out.json<ErasureReceipt>();
    expect(receipt).toMatchObject({ target: 'aws', region: 'eu-west-1', stack: 'shop-prod', accountList: { status: 'removed', reason: 'BOUNCE' }, suppression: { kept: 'keyed-hash' }, backups: { pointInTimeRecovery: true, windowDays: 35 } });
    expect(Date.parse(receipt.backups.deletedDataRecoverableUntil as string) - Date.parse(receipt.finishedAt)).toBe(35 * 86_400_000);
    expect(ses.commandCalls(DeleteSuppressedDestinationCommand)[0].args[0].input).toEqual({ EmailAddress: to });
    // The hash was written under the secret's key: the Sender with that key refuses.
    expect((await store(HASH_KEY).check(to))?.hashed).toBe(true);
    expect(existsSync(localHashKeyFile(f.stack.dir)) ? readFileSync(localHashKeyFile(f.stack.dir), 'utf8').trim() : '').not.toBe(HASH_KEY.toString('utf8'));
  });
});
