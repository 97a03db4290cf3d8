import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand, type PutEventsCommandInput, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMailer } from '../../../src/client/index.js';
import { EMAIL_ID_PATTERN, REQUEST_DETAIL_TYPE } from '../../../src/model/request.js';

/**
 * The mailer against a mocked EventBridge, answering as the PutEvents API reference documents:
 * `FailedEntryCount`, and one `Entries` item per request entry, in order, with `EventId` or
 * `ErrorCode` and `ErrorMessage`; request-level errors as service exceptions.
 */
const eventBridge = mockClient(EventBridgeClient);
let nextId = 0;

beforeEach(() => {
  eventBridge.reset();
  nextId = 0;
});
afterEach(() => eventBridge.reset());

const accepted = () => ({ EventId: `evt-${++nextId}` });
const failed = (ErrorCode: string, ErrorMessage = `${ErrorCode} happened`) => ({ ErrorCode, ErrorMessage });
/** A PutEvents answer: the listed outcomes by position, every other entry accepted. */
function answer(input: PutEventsCommandInput, outcomes: Record<number, ReturnType<typeof failed>> = {}): PutEventsCommandOutput {
  const Entries = (input.Entries ?? []).map((_, i) => outcomes[i] ?? accepted());
  return { FailedEntryCount: Entries.filter((e) => 'ErrorCode' in e).length, Entries, $metadata: { httpStatusCode: 200 } };
}
const serviceError = (name: string, httpStatusCode: number, message: string) =>
  new EventBridgeServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message });

/** The entries of every PutEvents call made, in order. */
const calls = () => eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
const details = (entries: ReadonlyArray<{ Detail?: string }>) => entries.map((e) => JSON.parse(e.Detail!) as Record<string, unknown>);

function mailer(options: { maxAttempts?: number } = {}) {
  return createMailer({ busName: 'shop-bus', eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }), backoff: { baseMs: 0, maxMs: 0 }, ...options });
}

const order = (i: number) => ({ template: 'order-confirmation', to: `buyer${i}@example.com`, data: { orderId: String(i) } });

describe('send', () => {
  it('publishes one "Email Request" entry in the engine’s request shape, with a generated emailId', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => answer(input));
    const result = await mailer().send({ template: 'welcome', to: 'ann@example.com', data: { userName: 'Ann' } });

    expect(result).toEqual({ ok: true, emailId: expect.stringMatching(EMAIL_ID_PATTERN), eventId: 'evt-1' });
    const [[entry]] = calls();
    expect(entry).toMatchObject({ EventBusName: 'shop-bus', Source: 'mailengine.client', DetailType: REQUEST_DETAIL_TYPE });
    expect(JSON.parse(entry.Detail!)).toEqual({ to: 'ann@example.com', templateName: 'welcome', templateData: { userName: 'Ann' }, emailId: result.ok && result.emailId });
  });

  it('keeps the caller’s emailId and passes the overrides on as the engine names them', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => answer(input));
    const result = await createMailer({ busName: 'arn:aws:events:eu-west-1:123456789012:event-bus/shop-bus', source: 'shop.orders', eventBridgeClient: new EventBridgeClient({ region: 'eu-west-1' }) }).send({
      template: 'order-confirmation',
      to: 'ann@example.com',
      emailId: 'order-1234-confirmation',
      data: { orderId: '1234' },
      cc: ['team@example.com'],
      from: { email: 'shop@example.com', name: 'Shop' },
      replyTo: 'help@example.com',
      subject: 'Your order',
      headers: { 'X-Order': '1234' },
      tags: { campaign: 'spring' },
      metadata: { customer: 7 },
    });
    expect(result).toMatchObject({ ok: true, emailId: 'order-1234-confirmation' });
    const [[entry]] = calls();
    expect(entry).toMatchObject({ EventBusName: 'arn:aws:events:eu-west-1:123456789012:event-bus/shop-bus', Source: 'shop.orders' });
    expect(JSON.parse(entry.Detail!)).toEqual({
      to: 'ann@example.com',
      templateName: 'order-confirmation',
      templateData: { orderId: '1234' },
      emailId: 'order-1234-confirmation',
      cc: ['team@example.com'],
      from: { email: 'shop@example.com', name: 'Shop' },
      replyTo: 'help@example.com',
      subject: 'Your order',
      headers: { 'X-Order': '1234' },
      tags: { campaign: 'spring' },
      metadata: { customer: 7 },
    });
  });

  it('makes its own client from the environment when given none', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => answer(input));
    const result = await createMailer({ busName: 'shop-bus', region: 'eu-west-1' }).send({ template: 'welcome', to: 'ann@example.com' });
    expect(result).toMatchObject({ ok: true, eventId: 'evt-1' });
    expect(calls()).toHaveLength(1);
  });
});

describe('a request the engine would refuse is returned with its problems and never published', () => {
  const cases: Array<[string, Record<string, unknown>, { code: string; message: RegExp; emailId?: string }]> = [
    ['a bad address', { template: 'welcome', to: 'not-an-address', emailId: 'w-1' }, { code: 'invalid_address', message: /^to: is not a valid email address$/, emailId: 'w-1' }],
    ['a misspelt field', { template: 'welcome', to: 'ann@example.com', replyto: 'x@example.com' }, { code: 'invalid_request', message: /unknown field replyto/ }],
    ['several problems at once', { template: 'bad name!', to: 'ann@example.com', emailId: '-x', subject: '' }, { code: 'invalid_request', message: /templateName: is not a template name.*; emailId: must be 1-200.*; subject: must not be empty/ }],
    ['a header injection', { template: 'welcome', to: 'ann@example.com', subject: 'Hi\r\nBcc: all@example.com' }, { code: 'header_injection', message: /subject: must not contain CR or LF/ }],
    ['the engine’s own field names', { template: 'welcome', to: 'ann@example.com', templateData: { a: 1 } }, { code: 'invalid_request', message: /templateData: the client takes it as `data`/ }],
    ['data that is not an object', { template: 'welcome', to: 'ann@example.com', data: ['Ann'] }, { code: 'invalid_request', message: /templateData/ }],
    ['data that is not JSON', { template: 'welcome', to: 'ann@example.com', data: { count: 10n } }, { code: 'invalid_request', message: /cannot be written as JSON/ }],
    ['nesting deeper than the engine reads', { template: 'welcome', to: 'ann@example.com', data: JSON.parse(`${'{"a":'.repeat(70)}1${'}'.repeat(70)}`) }, { code: 'invalid_request', message: /nested deeper than 64/ }],
    ['data over the engine’s 256 KB', { template: 'welcome', to: 'ann@example.com', data: { text: 'x'.repeat(256 * 1024) } }, { code: 'payload_too_large', message: /templateData: is larger than 256 KB/ }],
  ];
  for (const [name, request, expected] of cases) {
    it(name, async () => {
      eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => answer(input));
      const result = await mailer().send(request as never);
      expect(result).toEqual({ ok: false, ...(expected.emailId ? { emailId: expected.emailId } : {}), error: { code: expected.code, message: expect.stringMatching(expected.message), retryable: false } });
      expect(calls()).toEqual([]);
    });
  }

  it('a request whose entry is over PutEvents’ 256 KB, though its data is under the engine’s limit', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => answer(input));
    const result = await mailer().send({ template: 'welcome', to: 'ann@example.com', data: { text: 'x'.repeat(250 * 1024) }, metadata: { note: 'y'.repeat(7 * 1024) } });
    expect(result).toMatchObject({ ok: false, error: { code: 'payload_too_large', message: expect.stringMatching(/PutEvents takes at most 256 KB/), retryable: false } });
    expect(calls()).toEqual([]);
  });

  it('in a batch, the valid requests go and each result stays in its place', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => answer(input));
    const results = await mailer().sendBatch([order(0), { template: 'welcome', to: 'nope', emailId: 'bad-1' }, order(2)]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]).toMatchObject({ emailId: 'bad-1', error: { code: 'invalid_address' } });
    expect(details(calls().flat()).map((d) => d.to)).toEqual(['buyer0@example.com', 'buyer2@example.com']);
  });
});

describe('sendBatch', () => {
  it('sends 25 requests in calls of 10, 10 and 5 and answers in input order', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => answer(input));
    const requests = Array.from({ length: 25 }, (_, i) => order(i));
    const results = await mailer().sendBatch(requests);
    expect(calls().map((c) => c.length)).toEqual([10, 10, 5]);
    expect(results).toHaveLength(25);
    const published = new Map(calls().flat().map((entry) => [JSON.parse(entry.Detail!).emailId as string, JSON.parse(entry.Detail!).to as string]));
    results.forEach((result, i) => {
      expect(result.ok).toBe(true);
      expect(published.get(result.emailId!)).toBe(`buyer${i}@example.com`);
    });
    expect(new Set(results.map((r) => r.ok && r.eventId)).size).toBe(25);
  });

  it('keeps each call under PutEvents’ 256 KB in all', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => answer(input));
    const big = (i: number) => ({ template: 'report', to: `r${i}@example.com`, data: { text: 'x'.repeat(100 * 1024) } });
    const results = await mailer().sendBatch([big(0), big(1), big(2), big(3), big(4)]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(calls().map((c) => c.length)).toEqual([2, 2, 1]);
    for (const call of calls()) expect(call.reduce((n, e) => n + 14 + e.Source!.length + e.DetailType!.length + Buffer.byteLength(e.Detail!), 0)).toBeLessThanOrEqual(256 * 1024);
  });

  it('refuses a second request with an emailId already in the batch (the engine would drop it) and sends the first', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => answer(input));
    const results = await mailer().sendBatch([{ ...order(0), emailId: 'order-7' }, order(1), { ...order(2), emailId: 'order-7' }]);
    expect(results[0]).toMatchObject({ ok: true, emailId: 'order-7' });
    expect(results[1]).toMatchObject({ ok: true });
    expect(results[2]).toEqual({ ok: false, emailId: 'order-7', error: { code: 'invalid_request', message: expect.stringContaining('order-7 is also the emailId of request 1 of this batch'), retryable: false } });
    expect(details(calls().flat()).map((d) => d.to)).toEqual(['buyer0@example.com', 'buyer1@example.com']);
  });

  it('answers an empty batch without a call', async () => {
    expect(await mailer().sendBatch([])).toEqual([]);
    expect(calls()).toEqual([]);
  });

  it('refuses what is not an array', async () => {
    await expect(mailer().sendBatch({} as never)).rejects.toThrow('sendBatch takes an array of requests');
  });
});

describe('retries', () => {
  it('sends again only the entries that failed retryably (ThrottlingException, InternalFailure), never those accepted', async () => {
    eventBridge
      .on(PutEventsCommand)
      .callsFakeOnce((input: PutEventsCommandInput) => answer(input, { 1: failed('ThrottlingException', 'Rate exceeded'), 3: failed('InternalFailure') }))
      .callsFake((input: PutEventsCommandInput) => answer(input));
    const results = await mailer().sendBatch([order(0), order(1), order(2), order(3), order(4)]);

    expect(calls().map((c) => details(c).map((d) => d.to))).toEqual([
      ['buyer0@example.com', 'buyer1@example.com', 'buyer2@example.com', 'buyer3@example.com', 'buyer4@example.com'],
      ['buyer1@example.com', 'buyer3@example.com'],
    ]);
    expect(results.map((r) => r.ok && r.eventId)).toEqual(['evt-1', 'evt-4', 'evt-2', 'evt-5', 'evt-3']);
    // The retry carries the same emailId, so the engine sends the email once whatever happened.
    expect(details(calls()[1]).map((d) => d.emailId)).toEqual([results[1].emailId, results[3].emailId]);
  });

  it('does not retry an entry refused for good (NotAuthorizedForSourceException) and says so', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => answer(input, { 0: failed('NotAuthorizedForSourceException', 'Not authorized for the source.') }));
    const results = await mailer().sendBatch([order(0), order(1)]);
    expect(calls()).toHaveLength(1);
    expect(results[0]).toEqual({ ok: false, emailId: expect.stringMatching(EMAIL_ID_PATTERN), error: { code: 'NotAuthorizedForSourceException', message: 'Not authorized for the source.', retryable: false } });
    expect(results[1]).toMatchObject({ ok: true, eventId: 'evt-1' });
  });

  it('retries a whole call that was throttled or failed on the server', async () => {
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(serviceError('ThrottlingException', 400, 'Rate exceeded'))
      .rejectsOnce(serviceError('InternalException', 500, 'Internal error'))
      .callsFake((input: PutEventsCommandInput) => answer(input));
    const results = await mailer().sendBatch([order(0), order(1)]);
    expect(calls()).toHaveLength(3);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
  });

  it('gives up after maxAttempts with a retryable failure that keeps the emailId', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => answer(input, { 0: failed('ThrottlingException', 'Rate exceeded') }));
    const result = await mailer({ maxAttempts: 3 }).send({ ...order(0), emailId: 'order-0' });
    expect(calls()).toHaveLength(3);
    expect(result).toEqual({ ok: false, emailId: 'order-0', error: { code: 'ThrottlingException', message: 'Rate exceeded (after 3 attempts)', retryable: true } });
  });

  it('retries a call the network failed and names the network’s error', async () => {
    const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4513'), { code: 'ECONNREFUSED' });
    eventBridge.on(PutEventsCommand).rejects(refused());
    const result = await mailer({ maxAttempts: 2 }).send(order(0));
    expect(calls()).toHaveLength(2);
    expect(result).toMatchObject({ ok: false, error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:4513 (after 2 attempts)', retryable: true } });
  });

  it('does not retry a call refused for good (AccessDeniedException)', async () => {
    eventBridge.on(PutEventsCommand).rejects(serviceError('AccessDeniedException', 400, 'User is not authorized to perform: events:PutEvents'));
    const results = await mailer().sendBatch([order(0), order(1)]);
    expect(calls()).toHaveLength(1);
    for (const result of results) expect(result).toMatchObject({ ok: false, error: { code: 'AccessDeniedException', message: expect.stringContaining('events:PutEvents'), retryable: false } });
  });

  it('does not send again an entry whose outcome EventBridge did not report', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-a' }] });
    const results = await mailer().sendBatch([order(0), order(1)]);
    expect(calls()).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: true, eventId: 'evt-a' });
    expect(results[1]).toMatchObject({ ok: false, error: { code: 'unknown_outcome', retryable: true } });
  });
});

describe('createMailer', () => {
  it('refuses options that would fail every send', () => {
    expect(() => createMailer({} as never)).toThrow('busName is required');
    expect(() => createMailer({ busName: 'b', source: 'aws.ses' })).toThrow('source "aws.ses" is reserved');
    expect(() => createMailer({ busName: 'b', maxAttempts: 0 })).toThrow('maxAttempts must be a whole number of at least 1');
    expect(() => createMailer({ busName: 'b', backoff: { baseMs: -1 } })).toThrow('backoff.baseMs must be a number of milliseconds');
  });
});
