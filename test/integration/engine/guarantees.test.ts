import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { SendEmailCommandInput, SESv2Client } from '@aws-sdk/client-sesv2';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../src/engine/deps.js';
import { RecordingMetrics } from '../../../src/engine/metrics.js';
import { createFeedback } from '../../../src/engine/feedback.js';
import { createSender, type SenderDeps } from '../../../src/engine/sender.js';
import { listReceivedEmails } from '../../../src/local/index.js';
import { TrackingStore } from '../../../src/tracking/tracking-store.js';
import { awsError, batch, faultyDynamo, feedbackFor, plentyOfTime, putTemplate, requestMessage, senderFor, sesSendEvent, useEngineFixture } from '../../helpers/engine-fixture.js';

/**
 * The engine's promises, each with the fault that used to break it: every request that reaches
 * the Sender ends as a record, a redelivery never drops a live request, suppression holds for
 * every recipient, and once SES accepted a message nothing sends it again.
 */
const f = useEngineFixture('guarantees', { clearInboxEachTest: true });
beforeAll(async () => {
  await putTemplate(f, 'reply-from-data', { html: '<p>Hi {{ name }}</p>', text: 'Hi {{ name }}', metadata: { subject: 'Hi', replyTo: '{{ replyTo }}', requiredVariables: ['name', 'replyTo'] } });
}, 60_000);

const noSleep = { sleep: async () => undefined };
const order = (emailId: string, extra: Record<string, unknown> = {}) => ({ to: `${emailId.replace(/[^a-z0-9-]/gi, '-')}@customer.example`, templateName: 'receipt', emailId, templateData: { name: 'Ada', orderId: emailId, total: '1' }, ...extra });
const tracking = () => senderFor(f).tracking;
const inbox = () => listReceivedEmails(f.stack.endpoints.sesv2);

/** The real SES emulator client, remembering every SendEmail input and able to run code after each accepted send. */
function recordingSes(after?: (input: SendEmailCommandInput, messageId: string) => Promise<void>) {
  const real = f.settings.clients.sesv2;
  const inputs: SendEmailCommandInput[] = [];
  const ses = {
    async send(command: { input: SendEmailCommandInput }) {
      inputs.push(command.input);
      const out = (await real.send(command as never)) as { MessageId?: string };
      await after?.(command.input, out.MessageId ?? '');
      return out;
    },
  };
  return { ses: ses as unknown as Pick<SESv2Client, 'send'>, inputs };
}

describe('every consumed request ends as a record', () => {
  // As bytes on the wire: JSON can say 9007199254740993 or 1e400, which JavaScript cannot hold.
  it.each([
    ['a 64-bit order id', '{"orderId": 9007199254740993}'],
    ['a number DynamoDB cannot hold', '{"big": 1e200}'],
    ['a number that overflows to Infinity', '{"huge": 1e400}'],
    ['an empty key', '{"": "x"}'],
    ['nesting deeper than allowed', `${'{"a":'.repeat(17)}1${'}'.repeat(17)}`],
  ])('metadata with %s: a failed record with the path, nothing sent, nothing retried', async (label, metadata) => {
    const emailId = `meta-${label.replace(/[^a-z0-9]+/gi, '-')}`;
    const message = requestMessage(order(emailId, { metadata: 'PLACEHOLDER' }));
    const body = message.body.replace('"PLACEHOLDER"', metadata);
    const out = await createSender(senderFor(f))(batch({ ...message, body }), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    const record = await tracking().get(emailId);
    expect(record).toMatchObject({ status: 'failed', errorType: 'invalid_request' });
    expect(record?.errorMessage).toMatch(/metadata/);
    expect(await inbox()).toEqual([]);
  });

  it.each([['empty', ''], ['blank', '   ']])('`to` %s: invalid_address, recorded without a recipient key DynamoDB would refuse', async (_label, to) => {
    const emailId = `blank-to-${to.length}`;
    const out = await createSender(senderFor(f))(batch(requestMessage({ ...order(emailId), to })), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    const record = await tracking().get(emailId);
    expect(record).toMatchObject({ status: 'failed', errorType: 'invalid_address' });
    expect(record?.recipient).toBeUndefined();
  });

  it('a table that refuses the record as it is: a minimal `unstorable_request` record, not a DLQ entry', async () => {
    // The claim carries the metadata; refuse exactly that write, as DynamoDB does for an item it cannot take.
    const dynamodb = faultyDynamo(f, (command, input) => (command === 'PutItemCommand' && (input.Item as Record<string, unknown>)?.metadata ? awsError('ValidationException', 400) : undefined));
    const out = await createSender(senderFor(f, { clients: { ...f.settings.clients, dynamodb } }))(batch(requestMessage(order('refused-1', { metadata: { note: 'fine to us' } }))), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    const stored = await tracking().getWithHistory('refused-1');
    expect(stored?.record).toMatchObject({ status: 'failed', errorType: 'unstorable_request', recipient: 'refused-1@customer.example' });
    expect(stored?.record.metadata).toBeUndefined();
    expect(stored?.history.map((h) => h.event)).toEqual(['failed']);
    expect(await inbox()).toEqual([]);
  });

  it('a hostile event id and source still land on one record, redelivery included', async () => {
    const message = requestMessage({ to: 'hostile-id@customer.example', templateName: 'receipt', templateData: { name: 'A', orderId: '1', total: '1' } }, { eventId: `x y/${'#'.repeat(2000)}` });
    const body = message.body.replace('"shop.orders"', JSON.stringify('s'.repeat(5000)));
    await createSender(senderFor(f))(batch({ ...message, body }), plentyOfTime);
    await createSender(senderFor(f))(batch({ ...message, body }), plentyOfTime);
    const page = await tracking().listByRecipient('hostile-id@customer.example', { limit: 10 });
    expect(page.records).toHaveLength(1);
    expect(page.records[0]).toMatchObject({ status: 'sent' });
    expect(page.records[0].emailId).toMatch(/^evt-h-[0-9a-f]{40}$/);
    expect(page.records[0].source).toHaveLength(256);
    expect((await inbox()).length).toBe(1);
  });
});

describe('a redelivery never drops a live request', () => {
  it('a second delivery while the first holds the claim goes back to the queue; when the first hands it back, the second sends once', async () => {
    const message = requestMessage(order('overlap-1'));
    let secondOutcome: Awaited<ReturnType<ReturnType<typeof createSender>>> | undefined;
    // SES throttles the first attempt until it runs out of time; meanwhile the redelivery arrives.
    const ses = {
      calls: 0,
      async send() {
        ses.calls += 1;
        if (!secondOutcome) secondOutcome = await createSender(senderFor(f))(batch({ ...message, messageId: 'overlap-copy' }), plentyOfTime);
        throw awsError('TooManyRequestsException', 429);
      },
    };
    const short = { getRemainingTimeInMillis: () => 6_500 };
    const first = await createSender({ ...senderFor(f), ses: ses as unknown as Pick<SESv2Client, 'send'>, ...noSleep })(batch(message), short);
    expect(secondOutcome?.batchItemFailures).toEqual([{ itemIdentifier: 'overlap-copy' }]);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: message.messageId }]);
    expect(await tracking().get('overlap-1')).toMatchObject({ status: 'queued' });

    // Either copy, delivered again, sends the email exactly once.
    expect((await createSender(senderFor(f))(batch({ ...message, messageId: 'overlap-copy' }), plentyOfTime)).batchItemFailures).toEqual([]);
    expect((await createSender(senderFor(f))(batch(message), plentyOfTime)).batchItemFailures).toEqual([]);
    expect((await inbox()).filter((m) => m.to.includes('overlap-1@customer.example'))).toHaveLength(1);
    expect(await tracking().get('overlap-1')).toMatchObject({ status: 'sent' });
  });

  it('S3 failing while the email is built: the claim is released (queued, attempts, lastError, history) and the redelivery sends once', async () => {
    const failingS3 = { send: async (command: unknown) => (command instanceof GetObjectCommand ? Promise.reject(awsError('InternalError', 500)) : f.settings.clients.s3.send(command as never)) };
    // A fresh template cache, so the template must come from the failing bucket.
    const deps = senderFor(f, { clients: { ...f.settings.clients, s3: failingS3 as never } });
    const message = requestMessage(order('s3-down-1'));
    expect((await createSender(deps)(batch(message), plentyOfTime)).batchItemFailures).toEqual([{ itemIdentifier: message.messageId }]);
    const waiting = await tracking().getWithHistory('s3-down-1');
    expect(waiting?.record).toMatchObject({ status: 'queued', attempts: 1 });
    expect(waiting?.record.lastError).toMatch(/InternalError/);
    expect(waiting?.history.map((h) => h.event)).toEqual(['retry_scheduled']);

    expect((await createSender(senderFor(f))(batch(message), plentyOfTime)).batchItemFailures).toEqual([]);
    expect(await tracking().get('s3-down-1')).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await inbox()).toHaveLength(1);
  });

  it('DynamoDB unavailable throughout: every message goes back to the queue, none is dropped, and each sends once when it returns', async () => {
    let down = true;
    const dynamodb = faultyDynamo(f, () => (down ? awsError('ServiceUnavailable', 503) : undefined));
    const messages = Array.from({ length: 5 }, (_, i) => requestMessage(order(`ddb-out-${i}`)));
    for (let round = 0; round < 3; round++) {
      const out = await createSender(senderFor(f, { clients: { ...f.settings.clients, dynamodb } }))(batch(...messages), plentyOfTime);
      expect(out.batchItemFailures).toHaveLength(5);
    }
    expect(await inbox()).toEqual([]);
    down = false;
    const out = await createSender(senderFor(f, { clients: { ...f.settings.clients, dynamodb } }))(batch(...messages), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(await inbox()).toHaveLength(5);
  });
});

describe('suppression holds for every recipient', () => {
  it('a suppressed cc and bcc are left out of the send; the history says which positions, never the addresses', async () => {
    const { suppression } = senderFor(f);
    await suppression.suppress('complainer@customer.example', 'complaint', 'test');
    await suppression.suppress('bouncer@customer.example', 'bounce', 'test');
    const { ses, inputs } = recordingSes();
    const message = requestMessage(order('copies-1', { cc: ['friend@customer.example', 'Complainer@Customer.example'], bcc: 'bouncer@customer.example' }));
    await createSender({ ...senderFor(f), ses })(batch(message), plentyOfTime);
    expect(inputs[0].Destination).toEqual({ ToAddresses: ['copies-1@customer.example'], CcAddresses: ['friend@customer.example'] });
    const stored = await tracking().getWithHistory('copies-1');
    expect(stored?.record.status).toBe('sent');
    const note = stored?.history.find((h) => h.event === 'recipients_suppressed');
    expect(note?.details).toEqual({ leftOut: [{ field: 'cc', position: 2, reason: 'complaint' }, { field: 'bcc', position: 1, reason: 'bounce' }] });
    expect(JSON.stringify(stored)).not.toMatch(/complainer|bouncer/i);
  });

  it('50 recipients and an erasure hash each (over 100 keys): a suppressed one at the end is still found', async () => {
    await senderFor(f).suppression.suppress('last-bcc@customer.example', 'bounce', 'test');
    const bcc = [...Array.from({ length: 48 }, (_, i) => `many-${i}@customer.example`), 'last-bcc@customer.example'];
    const { ses, inputs } = recordingSes();
    await createSender({ ...senderFor(f), ses })(batch(requestMessage(order('many-1', { bcc }))), plentyOfTime);
    expect(inputs[0].Destination?.BccAddresses).toHaveLength(48);
    expect(inputs[0].Destination?.BccAddresses).not.toContain('last-bcc@customer.example');
  });

  it('a suppressed `to` suppresses the whole email, whatever the copies', async () => {
    await senderFor(f).suppression.suppress('gone@customer.example', 'complaint', 'test');
    await createSender(senderFor(f))(batch(requestMessage({ ...order('whole-1'), to: ' Gone@Customer.example', cc: 'friend@customer.example' })), plentyOfTime);
    expect(await tracking().get('whole-1')).toMatchObject({ status: 'suppressed', errorType: 'suppressed' });
    expect(await inbox()).toEqual([]);
  });
});

describe('once SES accepted a message, nothing sends it again', () => {
  it('every emailId character reaches SES as tags that lead back to the record', async () => {
    const { emailIdFromTags } = await import('../../../src/model/ses-tags.js');
    for (const [i, emailId] of ['order:1234@shop+eu=1.x', `a.${':.'.repeat(99)}`, 'plain-id-1'].entries()) {
      const { ses, inputs } = recordingSes();
      await createSender({ ...senderFor(f), ses })(batch(requestMessage({ ...order(emailId), to: `tags-${i}@customer.example` })), plentyOfTime);
      expect(await tracking().get(emailId)).toMatchObject({ status: 'sent' });
      const tags: Record<string, string[]> = {};
      for (const tag of inputs[0].EmailTags ?? []) {
        expect(tag.Value).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
        tags[tag.Name!] = [tag.Value!];
      }
      expect(emailIdFromTags(tags)).toBe(emailId);
    }
  });

  it('the record write fails after SES accepted: the message is not handed back, and SES\'s Send event completes the record', async () => {
    let accepted = false;
    const dynamodb = faultyDynamo(f, (command) => (accepted && command === 'UpdateItemCommand' ? awsError('InternalServerError', 500) : undefined));
    const { ses, inputs } = recordingSes(async () => void (accepted = true));
    const emailId = 'lost-write:1@x';
    const message = requestMessage(order(emailId));
    const out = await createSender({ ...senderFor(f, { clients: { ...f.settings.clients, dynamodb } }), ses, ...noSleep })(batch(message), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(await tracking().get(emailId)).toMatchObject({ status: 'sending' });

    const messageId = (await inbox())[0].messageId;
    const sendEvent = sesSendEvent(inputs[0], messageId);
    expect((await createFeedback(feedbackFor(f))(sendEvent)).batchItemFailures).toEqual([]);
    const acceptedAt = (JSON.parse(sendEvent.Records[0].body) as { detail: { mail: { timestamp: string } } }).detail.mail.timestamp;
    expect(await tracking().get(emailId)).toMatchObject({ status: 'sent', sesMessageId: messageId, sentAt: acceptedAt });

    // An SQS duplicate of the request long after the lease: the record says SES has it.
    const later = new TrackingStore(documentClient(f.settings.clients.dynamodb), { tableName: f.settings.trackingTable, retentionDays: 90, now: () => new Date(Date.now() + 600_000) });
    await createSender({ ...senderFor(f), tracking: later })(batch(message), plentyOfTime);
    expect(await inbox()).toHaveLength(1);
  });

  it('the one window: the Sender dies between SES accepting and any write, and the redelivery comes before SES\'s Send event is recorded', async () => {
    let accepted = false;
    const dynamodb = faultyDynamo(f, (command) => (accepted && command === 'UpdateItemCommand' ? awsError('InternalServerError', 500) : undefined));
    const { ses } = recordingSes(async () => void (accepted = true));
    const message = requestMessage(order('window-1'));
    await createSender({ ...senderFor(f, { clients: { ...f.settings.clients, dynamodb } }), ses, ...noSleep })(batch(message), plentyOfTime);
    // Within the lease a duplicate delivery sends nothing; it goes back to the queue.
    expect((await createSender(senderFor(f))(batch(message), plentyOfTime)).batchItemFailures).toHaveLength(1);
    expect(await inbox()).toHaveLength(1);
    // After the lease, with no Send event recorded, the record cannot tell: it sends again.
    const later = new TrackingStore(documentClient(f.settings.clients.dynamodb), { tableName: f.settings.trackingTable, retentionDays: 90, now: () => new Date(Date.now() + 600_000) });
    await createSender({ ...senderFor(f), tracking: later })(batch(message), plentyOfTime);
    expect(await inbox()).toHaveLength(2);
    expect(await tracking().get('window-1')).toMatchObject({ status: 'sent', attempts: 2 });
  });
});

describe('headers, addresses and what a record may hold', () => {
  it('a Reply-To that a template renders from caller data is validated like a request address', async () => {
    const message = requestMessage({ to: 'rt@customer.example', templateName: 'reply-from-data', emailId: 'rt-1', templateData: { name: 'A', replyTo: 'a@x.example, attacker@evil.example' } });
    await createSender(senderFor(f))(batch(message), plentyOfTime);
    const record = await tracking().get('rt-1');
    expect(record).toMatchObject({ status: 'failed', errorType: 'invalid_address' });
    expect(record?.errorMessage).not.toMatch(/attacker/);
    expect(await inbox()).toEqual([]);
  });

  it('an emailId reused for another recipient: the new request gets its own failed record, found by its recipient', async () => {
    await createSender(senderFor(f))(batch(requestMessage({ ...order('reused-1'), to: 'first@customer.example' })), plentyOfTime);
    const second = requestMessage({ ...order('reused-1'), to: 'second@customer.example' });
    await createSender(senderFor(f))(batch(second), plentyOfTime);
    const page = await tracking().listByRecipient('second@customer.example', { limit: 5 });
    expect(page.records).toHaveLength(1);
    expect(page.records[0]).toMatchObject({ emailId: `evt-${second.eventId}`, status: 'failed', errorType: 'email_id_conflict' });
    const original = await tracking().getWithHistory('reused-1');
    expect(original?.record).toMatchObject({ recipient: 'first@customer.example', status: 'sent' });
    expect(JSON.stringify(original)).not.toMatch(/second@/);
    expect((await inbox()).map((m) => m.to)).toEqual([['first@customer.example']]);
  });

  it('a bad cc is named by position, and its address is not stored on the `to` recipient\'s record', async () => {
    await createSender(senderFor(f))(batch(requestMessage(order('badcc-1', { cc: ['ok@x.example', 'someone.else@@x.example'] }))), plentyOfTime);
    const record = await tracking().get('badcc-1');
    expect(record).toMatchObject({ status: 'failed', errorType: 'invalid_address' });
    expect(record?.errorMessage).toMatch(/cc\.1/);
    expect(record?.errorMessage).not.toMatch(/someone\.else/);
  });

  it('SES error text naming other addresses is stored without them', async () => {
    const ses = { send: async () => Promise.reject(awsError('MessageRejected', 400)) };
    const err = awsError('MessageRejected', 400);
    err.message = 'Email address is not verified. The following identities failed the check in region EU-WEST-1: cc-person@x.example, redact-1@customer.example';
    ses.send = async () => Promise.reject(err);
    await createSender({ ...senderFor(f), ses: ses as unknown as Pick<SESv2Client, 'send'> })(batch(requestMessage(order('redact-1'))), plentyOfTime);
    const record = await tracking().get('redact-1');
    expect(record?.errorMessage).toContain('<address>');
    expect(record?.errorMessage).toContain('redact-1@customer.example');
    expect(record?.errorMessage).not.toContain('cc-person');
  });
});

describe('alarms see per-message outcomes', () => {
  it('the Sender counts failed, retried and throttled requests under its own Function dimension', async () => {
    const metrics = new RecordingMetrics();
    const throttled = { send: async () => Promise.reject(awsError('TooManyRequestsException', 429)) };
    const deps = senderFor(f, { metrics });
    await createSender(deps)(batch(requestMessage({ ...order('m-bad'), to: 'nope' })), plentyOfTime);
    await createSender({ ...deps, ses: throttled as unknown as Pick<SESv2Client, 'send'>, ...noSleep })(batch(requestMessage(order('m-throttled'))), plentyOfTime);
    expect(metrics.total('Failed', { Function: 'sender' })).toBe(1);
    expect(metrics.total('Retried', { Function: 'sender' })).toBe(1);
    expect(metrics.total('Throttled', { Function: 'sender' })).toBe(3);
  });
});

export type { SenderDeps };
