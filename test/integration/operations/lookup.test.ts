import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../src/engine/deps.js';
import { createFeedback } from '../../../src/engine/feedback.js';
import { createSender } from '../../../src/engine/sender.js';
import { MailengineError } from '../../../src/errors.js';
import { lookupEmails, planLookup, type LookupOptions, type LookupResult } from '../../../src/operations/lookup.js';
import { TrackingStore } from '../../../src/tracking/tracking-store.js';
import { STACK, batch, feedbackFor, plentyOfTime, requestMessage, senderFor, useEngineFixture } from '../../helpers/engine-fixture.js';
import { runInProcess } from '../../helpers/in-process.js';

/**
 * `status lookup` on DynamoDB Local: records written by the real Sender and Feedback (and, for
 * volume and exact times, by the TrackingStore the Sender uses), read back through the indexes.
 */
const f = useEngineFixture('lookup', { timeoutMs: 90_000 });
let tracking: TrackingStore;
/** Every DynamoDB operation the lookups make, to prove none of them is a Scan. */
const operations: string[] = [];

beforeAll(async () => {
  const db = new DynamoDBClient({ endpoint: f.stack.endpoints.dynamodb, region: f.stack.region, credentials: f.stack.credentials });
  db.middlewareStack.add((next, context) => async (args) => (operations.push(String(context.commandName)), next(args)), { step: 'initialize', name: 'recordOperations' });
  tracking = new TrackingStore(documentClient(db), { tableName: f.settings.trackingTable, retentionDays: 90 });
  await seed();
}, 90_000);

const WHERE = 'on the local stack (test)';
const find = (options: LookupOptions, now?: Date) => lookupEmails(tracking, planLookup(options, now), WHERE);
const writer = () => senderFor(f).tracking;

/** A record in a final state with a chosen creation time: the Sender's own write path for rejected requests. */
async function record(emailId: string, recipient: string, requestedAt: string): Promise<void> {
  await writer().recordFinal({ emailId, eventId: `evt-${emailId}`, recipient, templateName: 'receipt', requestedAt }, 'failed', 'template_not_found', 'no such template');
}

async function seed(): Promise<void> {
  // One email through the real path: sent by the Sender, delivered per the Feedback handler.
  await createSender(senderFor(f))(batch(requestMessage({ to: 'Ada@Customer.example', templateName: 'receipt', emailId: 'order-1', templateData: { name: 'Ada', orderId: '1', total: '9' } })), plentyOfTime);
  const sent = await writer().get('order-1');
  const delivery = {
    version: '0', id: 'ses-evt-1', 'detail-type': 'Email Delivered', source: 'aws.ses', time: new Date().toISOString(), region: 'us-east-1', resources: [],
    detail: { eventType: 'Delivery', mail: { messageId: sent?.sesMessageId, destination: ['ada@customer.example'], tags: { 'ses:configuration-set': [STACK], emailId: ['order-1'] } }, delivery: { recipients: ['ada@customer.example'], timestamp: new Date().toISOString(), smtpResponse: '250 ok' } },
  };
  await createFeedback(feedbackFor(f))({ Records: [{ messageId: 'fb-1', body: JSON.stringify(delivery) }] });

  // A first (cold) send: the Sender wrote `sent` after SES had already stamped its delivery, in the
  // same second; SES's own Send event carries only whole seconds (the EventBridge envelope time).
  await record('cold-1', 'cold@customer.example', '2026-03-06T10:00:00.000Z');
  const entries: Array<[string, string | undefined, string]> = [
    ['retry_scheduled', undefined, '2026-03-06T10:00:00.400Z'],
    ['sent', 'sent', '2026-03-06T10:00:01.900Z'],
    ['delivery', 'delivered', '2026-03-06T10:00:01.300Z'],
    ['send', 'sent', '2026-03-06T10:00:01Z'],
    ['open', 'opened', '2026-03-06T10:00:07.000Z'],
  ];
  for (const [event, status, time] of entries) {
    const details = event === 'delivery' ? { smtpResponse: LONG_SMTP_RESPONSE, remoteMtaIp: '192.0.2.25' } : { note: event };
    await writer().addHistory({ emailId: 'cold-1', event, status: status as 'sent' | undefined, time, eventId: `cold-${event}`, details });
  }

  // Seven emails to one recipient; three share one second, as a burst of requests does.
  for (const [i, at] of ['2026-03-01T10:00:00.000Z', '2026-03-02T10:00:00.000Z', '2026-03-03T10:00:00.000Z', '2026-03-03T10:00:00.000Z', '2026-03-03T10:00:00.000Z', '2026-03-04T09:00:00.000Z', '2026-03-05T08:00:00.000Z'].entries()) {
    await record(`many-${i}`, 'many@customer.example', at);
  }
  // Twenty-five emails over three days to different people, spread over the day shards, with ties.
  for (let i = 0; i < 25; i += 1) {
    const day = ['2026-04-10', '2026-04-11', '2026-04-12'][i % 3];
    const at = `${day}T${String(8 + (i % 4)).padStart(2, '0')}:00:00.000Z`;
    await record(`day-${String(i).padStart(2, '0')}`, `p${i}@customer.example`, at);
  }
  // Outside the range asked for below.
  await record('day-before', 'early@customer.example', '2026-04-09T23:59:59.999Z');
  await record('day-after', 'late@customer.example', '2026-04-13T00:00:00.000Z');
}

const LONG_SMTP_RESPONSE = '250 2.0.0 OK 1764669601 d75a77b69052e-4f0c2b5a8a1si123456789qtb.412 - gsmtp (queued as 7F3A2B1C0D)';

/** Follows `next` tokens to the end, as a user pasting "More:" lines (`--next` alone) would. */
async function allPages(first: LookupOptions): Promise<{ pages: LookupResult[]; ids: string[] }> {
  const pages = [await find(first)];
  while (pages.at(-1)?.next) pages.push(await find({ next: pages.at(-1)?.next }));
  return { pages, ids: pages.flatMap((p) => p.emails.map((e) => e.emailId)) };
}

async function failure(run: () => Promise<unknown>): Promise<MailengineError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof MailengineError) return err;
    throw err;
  }
  throw new Error('expected a MailengineError');
}

describe('status lookup (core, on DynamoDB Local)', () => {
  it('by --email-id: the record and its timeline, oldest event first', async () => {
    const { emails } = await find({ emailId: 'order-1' });
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ emailId: 'order-1', recipient: 'ada@customer.example', status: 'delivered', templateName: 'receipt', attempts: 1 });
    expect(emails[0].history.map((h) => [h.event, h.status])).toEqual([
      ['sent', 'sent'],
      ['delivery', 'delivered'],
    ]);
    expect(emails[0]).not.toHaveProperty('pk');
    expect(emails[0]).not.toHaveProperty('dayShard');
  });

  it("a cold send's timeline: by event time, and the Sender's `sent` before SES's events in the same second", async () => {
    const { emails } = await find({ emailId: 'cold-1' });
    expect(emails[0].history.map((h) => h.event)).toEqual(['retry_scheduled', 'sent', 'send', 'delivery', 'open']);
  });

  it('by --message-id: the same email, found through the by-message-id index', async () => {
    const messageId = (await writer().get('order-1'))?.sesMessageId as string;
    const { emails } = await find({ messageId });
    expect(emails.map((e) => e.emailId)).toEqual(['order-1']);
  });

  it('by --recipient (any case): newest first', async () => {
    const { emails, next } = await find({ recipient: 'MANY@customer.example' });
    expect(emails.map((e) => e.createdAt)).toEqual([...emails.map((e) => e.createdAt)].sort().reverse());
    expect(emails).toHaveLength(7);
    expect(emails[0].emailId).toBe('many-6');
    expect(next).toBeUndefined();
  });

  it('by --recipient with --limit 2: the --next tokens walk every email once, and the last page has no token', async () => {
    const { pages, ids } = await allPages({ recipient: 'many@customer.example', limit: 2 });
    expect(pages.map((p) => p.emails.length)).toEqual([2, 2, 2, 1]);
    expect(new Set(ids).size).toBe(7);
    expect(ids.slice(0, 2)).toEqual(['many-6', 'many-5']);
    expect(pages.at(-1)?.next).toBeUndefined();
  });

  it('by --since/--until: every shard of every day merged newest first; the range bounds are kept', async () => {
    const { emails } = await find({ since: '2026-04-10', until: '2026-04-12', limit: 200 });
    expect(emails.map((e) => e.emailId).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `day-${String(i).padStart(2, '0')}`));
    const times = emails.map((e) => e.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    const shards = new Set((await Promise.all(emails.map((e) => writer().get(e.emailId)))).map((r) => r?.dayShard));
    expect(shards.size).toBeGreaterThan(8);
  });

  it('by --since/--until with --limit 4: pages resume exactly, even where many emails share one time', async () => {
    const { pages, ids } = await allPages({ since: '2026-04-10', until: '2026-04-12', limit: 4 });
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    expect(pages).toHaveLength(7);
    const times = pages.flatMap((p) => p.emails.map((e) => e.createdAt));
    expect(times).toEqual([...times].sort().reverse());
  });

  it('a relative --since pages on with the range the first page resolved, and --next keeps the page size', async () => {
    const start = Date.parse('2026-04-13T00:00:00.000Z');
    const pages = [await find({ since: '3d', limit: 4 }, new Date(start))];
    // Each later page minutes later, with the same flags as typed: `3d` then means another range.
    for (let i = 1; pages.at(-1)?.next; i++) pages.push(await find({ since: '3d', limit: 4, next: pages.at(-1)?.next }, new Date(start + i * 60_000)));
    const ids = pages.flatMap((p) => p.emails.map((e) => e.emailId));
    const whole = await find({ since: '2026-04-10T00:00:00.000Z', until: '2026-04-13T00:00:00.000Z', limit: 200 });
    expect(whole.emails.length).toBeGreaterThan(20);
    expect(ids).toEqual(whole.emails.map((e) => e.emailId));
    expect(pages.map((p) => p.query)).toEqual(pages.map(() => ({ by: 'time', since: '2026-04-10T00:00:00.000Z', until: '2026-04-13T00:00:00.000Z', limit: 4 })));
    // `--next` alone: the page size and the range come from the token.
    const alone = await find({ next: pages[0].next }, new Date(start + 3_600_000));
    expect(alone.query).toEqual(pages[1].query);
    expect(alone.emails.map((e) => e.emailId)).toEqual(pages[1].emails.map((e) => e.emailId));
    // An explicit --limit still wins, and other flags than the token's are refused.
    expect((await find({ next: pages[0].next, limit: 2 })).emails).toHaveLength(2);
    expect(() => planLookup({ since: '2d', next: pages[0].next }, new Date(start))).toThrow(/belongs to a different lookup/);
  });

  it('--since as an age is relative to now', async () => {
    const { emails } = await find({ since: '1h' });
    expect(emails.map((e) => e.emailId)).toContain('order-1');
  });

  it('every lookup is a GetItem or a Query: nothing scans', async () => {
    operations.length = 0;
    await find({ emailId: 'order-1' });
    await find({ recipient: 'many@customer.example', limit: 3 });
    await find({ since: '2026-04-10', until: '2026-04-12', limit: 5 });
    expect(operations.length).toBeGreaterThan(0);
    expect(new Set(operations)).toEqual(new Set(['QueryCommand']));
  });

  it('not found is exit 4: an unknown emailId, an unknown message id, a recipient or a range with no emails', async () => {
    for (const options of [{ emailId: 'no-such-email' }, { messageId: '0100018c-nope' }, { recipient: 'nobody@customer.example' }, { since: '2025-01-01', until: '2025-01-02' }]) {
      const err = await failure(() => find(options));
      expect(err.exitCode).toBe(4);
    }
    expect((await failure(() => find({ emailId: 'no-such-email' }))).message).toBe(`No email with emailId "no-such-email" ${WHERE}.`);
  });

  it.each([
    [{ recipient: 'not-an-address' }, 'INVALID_ADDRESS'],
    [{ emailId: 'has spaces' }, 'INVALID_EMAIL_ID'],
    [{ emailId: 'order-1', recipient: 'a@b.example' }, 'LOOKUP_AMBIGUOUS'],
    [{}, 'LOOKUP_MISSING'],
    [{ until: '2026-01-01' }, 'SINCE_MISSING'],
    [{ since: 'yesterday' }, 'INVALID_TIME'],
    [{ since: '2026-02-01', until: '2026-01-01' }, 'RANGE_EMPTY'],
    [{ since: '2020-01-01', until: '2026-01-01' }, 'RANGE_TOO_LONG'],
    [{ next: 'bm90LWEtdG9rZW4' }, 'PAGE_TOKEN_INVALID'],
    [{ emailId: 'order-1', next: 'x' }, 'PAGE_TOKEN_INVALID'],
    [{ next: Buffer.from(JSON.stringify({ v: 1, by: 'recipient', recipient: 'a@b.example', after: 5 })).toString('base64url') }, 'PAGE_TOKEN_INVALID'],
  ])('bad input %j is exit 2 (%s), found before any read', (options, code) => {
    let error: unknown;
    try {
      planLookup(options);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MailengineError);
    expect((error as MailengineError).code).toBe(code);
    expect((error as MailengineError).exitCode).toBe(2);
  });

  it('a --next token used with another lookup is refused', async () => {
    const first = await find({ recipient: 'many@customer.example', limit: 2 });
    expect(() => planLookup({ recipient: 'other@customer.example', limit: 2, next: first.next })).toThrow(/belongs to a different lookup/);
  });
});

describe('mailengine status lookup (in process, --local)', () => {
  const run = (...argv: string[]) => runInProcess(['status', 'lookup', '--local', '--stack', STACK, ...argv], { cwd: f.stack.dir });

  it('--email-id prints the email and a timeline table', async () => {
    const out = await run('--email-id', 'order-1');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^order-1 {2}delivered · ada@customer\.example · template receipt · created /);
    expect(out.stdout).toMatch(/│ time +│ event +│ status +│ details +│/);
    expect(out.stdout).toMatch(/│ \S+ +│ delivery +│ delivered +│ smtpResponse=250 ok/);
  });

  it('details longer than the table shows are cut with …, with a line saying --wide shows them whole; --wide does', async () => {
    const whole = `smtpResponse=${LONG_SMTP_RESPONSE} remoteMtaIp=192.0.2.25`;
    const cut = await run('--email-id', 'cold-1');
    expect(cut.code).toBe(0);
    expect(cut.stdout).toContain(`│ ${whole.slice(0, 89)}… │`);
    expect(cut.stdout).not.toContain(whole);
    expect(cut.stdout).toContain('Details longer than 90 characters are cut (…); --wide shows them whole.');
    const wide = await run('--email-id', 'cold-1', '--wide');
    expect(wide.code).toBe(0);
    expect(wide.stdout).toContain(`│ ${whole} │`);
    expect(wide.stdout).not.toContain('…');
    expect(wide.stdout).not.toContain('--wide');
    // The order a person reads: the Sender's `sent` before SES's events of the same second.
    expect([...wide.stdout.matchAll(/^│ \S+ +│ (\w+) +│/gm)].map((m) => m[1]).slice(1)).toEqual(['retry_scheduled', 'sent', 'send', 'delivery', 'open']);
    // Short details are never cut, and no note is printed for them.
    expect((await run('--email-id', 'order-1')).stdout).not.toContain('--wide');
  });

  it('--recipient --limit 3 --json: one JSON document with the emails and the next token; --next continues', async () => {
    const first = await run('--recipient', 'many@customer.example', '--limit', '3', '--json');
    expect(first.code).toBe(0);
    const page = first.json<LookupResult>();
    expect(page.query).toEqual({ by: 'recipient', recipient: 'many@customer.example', limit: 3 });
    expect(page.emails).toHaveLength(3);
    expect(page.emails[0].history).toEqual([]);
    const human = await run('--recipient', 'many@customer.example', '--limit', '3');
    expect(human.stdout).toContain(`More: mailengine status lookup --next ${page.next}`);
    const second = await run('--next', page.next as string, '--limit', '3', '--json');
    expect(second.json<LookupResult>().emails.map((e) => e.emailId)).not.toContain(page.emails[0].emailId);
  });

  it('an unknown email id: exit 4 with the reason on stderr and nothing on stdout', async () => {
    const out = await run('--email-id', 'nope-1');
    expect(out.code).toBe(4);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('No email with emailId "nope-1" on the local stack (enginetest).');
  });

  it('a malformed address: exit 2; a bad --limit: exit 2 naming the flag', async () => {
    expect((await run('--recipient', 'ada-at-example')).code).toBe(2);
    const limit = await run('--recipient', 'ada@customer.example', '--limit', '0');
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('--limit');
  });
});
