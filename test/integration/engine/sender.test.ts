import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { createSender } from '../../../src/engine/sender.js';
import { listReceivedEmails } from '../../../src/local/index.js';
import { hashedAddress } from '../../../src/suppression/suppression-store.js';
import { batch, plentyOfTime, requestMessage, senderFor, useEngineFixture } from '../../helpers/engine-fixture.js';

/**
 * The Sender against the local stack's real emulators: DynamoDB Local for tracking and
 * suppression, s3rver for templates, the SES v2 emulator for sends.
 */
const f = useEngineFixture('sender', { clearInboxEachTest: true });

const inbox = () => listReceivedEmails(f.stack.endpoints.sesv2);
const order = (emailId: string, to = 'ada@customer.example') => ({ to, templateName: 'receipt', emailId, templateData: { name: 'Ada', orderId: emailId, total: '€12.00' } });

describe('Sender', () => {
  it('renders, sends through SES and records `sent` with the SES message id and a history entry', async () => {
    const send = createSender(senderFor(f));
    const out = await send(batch(requestMessage(order('order-1001'))), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);

    const mails = await inbox();
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe('Your order order-1001');
    expect(mails[0].to).toContain('ada@customer.example');
    expect(mails[0].html).toContain('Order order-1001 total €12.00');

    const stored = await senderFor(f).tracking.getWithHistory('order-1001');
    expect(stored?.record).toMatchObject({ status: 'sent', recipient: 'ada@customer.example', templateName: 'receipt', attempts: 1 });
    expect(stored?.record.sesMessageId).toBeTruthy();
    expect(stored?.record.leaseUntil).toBeUndefined();
    expect(stored?.history.map((h) => h.event)).toEqual(['sent']);
    expect(f.published.events.filter((e) => e.emailId === 'order-1001').map((e) => e.status)).toEqual(['sent']);
  });

  it('escapes HTML in template data', async () => {
    const send = createSender(senderFor(f));
    await send(batch(requestMessage({ ...order('order-xss'), templateData: { name: '<script>x</script>', orderId: 'order-xss', total: '1' } })), plentyOfTime);
    const [mail] = await inbox();
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.html).not.toContain('<script>');
  });

  it('the same emailId published twice sends once; the second is in the history as a duplicate', async () => {
    const send = createSender(senderFor(f));
    const first = requestMessage(order('order-1002'));
    const second = requestMessage(order('order-1002'));
    expect((await send(batch(first), plentyOfTime)).batchItemFailures).toEqual([]);
    expect((await send(batch(second), plentyOfTime)).batchItemFailures).toEqual([]);
    expect(await inbox()).toHaveLength(1);
    const stored = await senderFor(f).tracking.getWithHistory('order-1002');
    expect(stored?.history.map((h) => h.event).sort()).toEqual(['duplicate_ignored', 'sent']);
  });

  it('an SQS redelivery of an already-sent message sends nothing', async () => {
    const send = createSender(senderFor(f));
    const message = requestMessage(order('order-1003'));
    await send(batch(message), plentyOfTime);
    await send(batch(message), plentyOfTime);
    expect(await inbox()).toHaveLength(1);
  });

  it('two copies in one batch, processed concurrently, send once', async () => {
    const send = createSender(senderFor(f));
    const a = requestMessage(order('order-1004'));
    const b = requestMessage(order('order-1004'));
    const out = await send(batch(a, { ...b, messageId: 'copy' }), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(await inbox()).toHaveLength(1);
  });

  it('a request without emailId gets one derived from the event id, so a redelivery is still one email', async () => {
    const send = createSender(senderFor(f));
    const { emailId: _omit, ...detail } = order('ignored');
    const message = requestMessage({ ...detail, templateData: { name: 'Ada', orderId: 'n/a', total: '1' } });
    await send(batch(message), plentyOfTime);
    await send(batch(message), plentyOfTime);
    expect(await inbox()).toHaveLength(1);
    expect((await senderFor(f).tracking.get(`evt-${message.eventId}`))?.status).toBe('sent');
  });

  it('a suppressed recipient is recorded as suppressed and not sent', async () => {
    const deps = senderFor(f);
    await deps.suppression.suppress('blocked@customer.example', 'complaint', 'test');
    const out = await createSender(deps)(batch(requestMessage(order('order-1005', 'Blocked@Customer.example'))), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(await inbox()).toHaveLength(0);
    expect(await deps.tracking.get('order-1005')).toMatchObject({ status: 'suppressed', errorType: 'suppressed' });
  });

  it('an erased address kept only as a keyed hash is still blocked', async () => {
    const deps = senderFor(f);
    const doc = (deps.suppression as unknown as { db: { send(c: unknown): Promise<unknown> } }).db;
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await doc.send(new PutCommand({ TableName: f.settings.suppressionTable, Item: { address: hashedAddress('erased@customer.example', f.settings.hashKey!), reason: 'bounce', reasonRank: 3, suppressedAt: new Date().toISOString() } }));
    await createSender(deps)(batch(requestMessage(order('order-1006', 'erased@customer.example'))), plentyOfTime);
    expect(await inbox()).toHaveLength(0);
    expect((await deps.tracking.get('order-1006'))?.status).toBe('suppressed');
  });

  it('passes configuration set, tags, reply-to and allowed headers to SES', async () => {
    const deps = senderFor(f);
    const seen: unknown[] = [];
    const ses = { send: async (command: unknown) => (seen.push((command as SendEmailCommand).input), { MessageId: 'm-1' }) };
    await createSender({ ...deps, ses } as typeof deps)(
      batch(requestMessage({ ...order('order-1007'), replyTo: 'help@shop.example', headers: { 'List-Unsubscribe': '<mailto:unsub@shop.example>' }, tags: { campaign: 'spring' }, from: { email: 'billing@shop.example', name: 'Zoë Billing' } })),
      plentyOfTime,
    );
    expect(seen[0]).toMatchObject({
      ConfigurationSetName: 'enginetest',
      ReplyToAddresses: ['help@shop.example'],
      FromEmailAddress: `=?UTF-8?B?${Buffer.from('Zoë Billing').toString('base64')}?= <billing@shop.example>`,
      EmailTags: [{ Name: 'emailId', Value: 'order-1007' }, { Name: 'template', Value: 'receipt' }, { Name: 'campaign', Value: 'spring' }],
      Content: { Simple: { Headers: [{ Name: 'List-Unsubscribe', Value: '<mailto:unsub@shop.example>' }] } },
    });
  });
});
