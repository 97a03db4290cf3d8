import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeedback } from '../../src/engine/feedback.js';
import { createSender } from '../../src/engine/sender.js';
import type { SqsEvent } from '../../src/engine/sqs.js';
import { RECEIPT, batch, feedbackFor, plentyOfTime, putTemplate, requestMessage, senderFor, startEngineFixture, type EngineFixture } from './engine-fixture.js';

/** The Feedback handler against DynamoDB Local, fed SES events shaped as EventBridge delivers them. */
let f: EngineFixture;
beforeAll(async () => {
  f = await startEngineFixture('feedback');
  await putTemplate(f, 'receipt', RECEIPT);
}, 60_000);
afterAll(async () => f?.stop());

let n = 0;
/** Sends one email through the real Sender; returns its emailId, SES message id and recipient. */
async function sent(to: string) {
  n += 1;
  const emailId = `fb-${n}`;
  await createSender(senderFor(f))(batch(requestMessage({ to, templateName: 'receipt', emailId, templateData: { name: 'A', orderId: emailId, total: '1' } })), plentyOfTime);
  const record = await senderFor(f).tracking.get(emailId);
  return { emailId, messageId: record!.sesMessageId!, to };
}

type Sent = Awaited<ReturnType<typeof sent>>;
const DETAIL_TYPE: Record<string, string> = { Send: 'Email Sent', Delivery: 'Email Delivered', Bounce: 'Email Bounced', Complaint: 'Email Complaint Received', DeliveryDelay: 'Email Delivery Delayed', Open: 'Email Opened', Click: 'Email Clicked' };

/** An SES event as the default bus delivers it to the feedback queue. */
function sesEvent(email: Sent, eventType: string, body: Record<string, unknown>, options: { id?: string; tagged?: boolean; time?: string } = {}): SqsEvent {
  n += 1;
  const time = options.time ?? new Date(Date.now() + n).toISOString();
  const tags: Record<string, string[]> = { 'ses:configuration-set': ['enginetest'], template: ['receipt'] };
  if (options.tagged !== false) tags.emailId = [email.emailId];
  const detail = { eventType, mail: { timestamp: time, messageId: email.messageId, source: 'orders@shop.example', destination: [email.to], tags }, ...body };
  return { Records: [{ messageId: `fbm-${n}`, body: JSON.stringify({ version: '0', id: options.id ?? `ses-${n}`, 'detail-type': DETAIL_TYPE[eventType], source: 'aws.ses', time, region: 'us-east-1', resources: [], detail }) }] };
}
const delivery = (e: Sent, o = {}) => sesEvent(e, 'Delivery', { delivery: { recipients: [e.to], timestamp: new Date().toISOString(), smtpResponse: '250 ok' } }, o);
const bounce = (e: Sent, type: 'Permanent' | 'Transient', o = {}) => sesEvent(e, 'Bounce', { bounce: { bounceType: type, bounceSubType: 'General', bouncedRecipients: [{ emailAddress: e.to, diagnosticCode: 'smtp; 550 5.1.1 unknown user' }] } }, o);
const complaint = (e: Sent, o = {}) => sesEvent(e, 'Complaint', { complaint: { complainedRecipients: [{ emailAddress: e.to }], complaintFeedbackType: 'abuse' } }, o);

const feed = (event: SqsEvent) => createFeedback(feedbackFor(f))(event);
const stored = (emailId: string) => feedbackFor(f).tracking.getWithHistory(emailId);
const suppressed = (address: string) => feedbackFor(f).suppression.check(address);

describe('Feedback', () => {
  it('Delivery moves sent → delivered, adds history and publishes a status event', async () => {
    const e = await sent('d1@customer.example');
    expect((await feed(delivery(e))).batchItemFailures).toEqual([]);
    const s = await stored(e.emailId);
    expect(s?.record.status).toBe('delivered');
    expect(s?.record.deliveredAt).toBeTruthy();
    expect(s?.history.map((h) => h.event)).toEqual(['sent', 'delivery']);
    expect(f.published.events.filter((x) => x.emailId === e.emailId).map((x) => x.status)).toEqual(['sent', 'delivered']);
  });

  it('a repeated event changes nothing and adds no second history entry', async () => {
    const e = await sent('d2@customer.example');
    const event = delivery(e, { id: 'repeat-me' });
    await feed(event);
    await feed(event);
    expect((await stored(e.emailId))?.history.map((h) => h.event)).toEqual(['sent', 'delivery']);
    expect(f.published.events.filter((x) => x.emailId === e.emailId && x.status === 'delivered')).toHaveLength(1);
  });

  it('out of order: a late Delivery does not move a bounced email back', async () => {
    const e = await sent('ooo@customer.example');
    await feed(bounce(e, 'Permanent'));
    await feed(delivery(e));
    const s = await stored(e.emailId);
    expect(s?.record.status).toBe('bounced');
    expect(s?.history.map((h) => h.event).sort()).toEqual(['delivery', 'hard_bounce', 'sent']);
  });

  it('out of order: Open before Delivery ends as opened; a later complaint wins over both', async () => {
    const e = await sent('open@customer.example');
    await feed(sesEvent(e, 'Open', { open: { userAgent: 'Mail' } }));
    await feed(delivery(e));
    expect((await stored(e.emailId))?.record.status).toBe('opened');
    await feed(complaint(e));
    expect((await stored(e.emailId))?.record.status).toBe('complained');
  });

  it('a hard bounce suppresses the address', async () => {
    const e = await sent('hard@customer.example');
    await feed(bounce(e, 'Permanent'));
    expect(await suppressed('hard@customer.example')).toMatchObject({ reason: 'bounce', source: 'ses' });
  });

  it('a complaint suppresses the address, and a later bounce does not weaken the reason', async () => {
    const e = await sent('complainer@customer.example');
    await feed(complaint(e));
    await feed(bounce(e, 'Permanent'));
    expect(await suppressed('complainer@customer.example')).toMatchObject({ reason: 'complaint' });
  });

  it('soft bounces suppress only after 3 in a row; a repeated event counts once', async () => {
    const address = 'soft@customer.example';
    const a = await sent(address);
    const first = bounce(a, 'Transient', { id: 'soft-1' });
    await feed(first);
    await feed(first);
    const b = await sent(address);
    await feed(bounce(b, 'Transient'));
    expect(await suppressed(address)).toBeUndefined();
    const c = await sent(address);
    await feed(bounce(c, 'Transient'));
    expect(await suppressed(address)).toMatchObject({ reason: 'soft_bounce' });
    expect((await stored(c.emailId))?.record.status).toBe('soft_bounced');
  });

  it('a delivery in between resets the soft-bounce count', async () => {
    const address = 'flaky@customer.example';
    await feed(bounce(await sent(address), 'Transient'));
    await feed(bounce(await sent(address), 'Transient'));
    await feed(delivery(await sent(address)));
    await feed(bounce(await sent(address), 'Transient'));
    await feed(bounce(await sent(address), 'Transient'));
    expect(await suppressed(address)).toBeUndefined();
  });

  it('an event without the emailId tag is matched through the SES message id', async () => {
    const e = await sent('untagged@customer.example');
    await feed(delivery(e, { tagged: false }));
    expect((await stored(e.emailId))?.record.status).toBe('delivered');
  });

  it('an event for an email not recorded yet is handed back for a retry', async () => {
    const ghost = { emailId: 'not-yet', messageId: 'unknown-message', to: 'ghost@customer.example' };
    const event = delivery(ghost, { tagged: false });
    expect((await feed(event)).batchItemFailures).toEqual([{ itemIdentifier: event.Records[0].messageId }]);
  });

  it('a message that is not an SES event is dropped with a log line, not retried forever', async () => {
    expect((await feed({ Records: [{ messageId: 'junk', body: '{"detail":{"hello":1}}' }] })).batchItemFailures).toEqual([]);
  });

  it('events of another configuration set are ignored', async () => {
    const e = await sent('other@customer.example');
    const event = delivery(e);
    const body = JSON.parse(event.Records[0].body);
    body.detail.mail.tags['ses:configuration-set'] = ['someone-else'];
    await feed({ Records: [{ messageId: 'x', body: JSON.stringify(body) }] });
    expect((await stored(e.emailId))?.record.status).toBe('sent');
  });

  it('when SES\'s Send event is processed before the Sender records `sent`, `sent` is announced once', async () => {
    n += 1;
    const emailId = `race-${n}`;
    const to = 'race@customer.example';
    const real = f.settings.clients.sesv2;
    // Feedback handles the Send event for this message before SendEmail has even returned.
    const ses = {
      send: async (command: never) => {
        const out = (await real.send(command)) as { MessageId?: string };
        await feed(sesEvent({ emailId, messageId: out.MessageId!, to }, 'Send', { send: {} }));
        return out;
      },
    };
    await createSender({ ...senderFor(f), ses: ses as unknown as Pick<SESv2Client, 'send'> })(
      batch(requestMessage({ to, templateName: 'receipt', emailId, templateData: { name: 'A', orderId: emailId, total: '1' } })),
      plentyOfTime,
    );
    expect((await stored(emailId))?.record.status).toBe('sent');
    expect(f.published.events.filter((e) => e.emailId === emailId).map((e) => [e.status, e.cause])).toEqual([['sent', 'send']]);
  });
});
