import { beforeAll, describe, expect, it } from 'vitest';
import { createSender } from '../../../src/engine/sender.js';
import { listReceivedEmails } from '../../../src/local/index.js';
import { batch, plentyOfTime, putTemplate, requestMessage, senderFor, useEngineFixture } from '../../helpers/engine-fixture.js';

/**
 * A corpus of bad requests. Each must end as a `failed` record with the right errorType, must not
 * be retried (no batch item failure), must send nothing, and must crash nothing.
 */
const f = useEngineFixture('bad');

beforeAll(async () => {
  await putTemplate(f, 'broken-syntax', { html: '<p>{% if name %}Hello</p>', text: 'Hello {{ name }}', metadata: { subject: 'Hi' } });
  // Written straight to the bucket, past `templates push`: the Sender must refuse it too.
  await putTemplate(f, 'reaches-js', { html: '<p>{{ name.constructor.constructor("return 1 + 1")() }}</p>', text: 'Hello {{ name }}', metadata: { subject: 'Hi' } });
  // The same inside what a block {% set %} captures, which Nunjucks keeps outside the node's fields.
  await putTemplate(f, 'reaches-js-in-set', { html: '<p>{% set x %}{{ range.constructor("return 1 + 1")() }}{% endset %}{{ x }}</p>', text: 'Hello {{ name }}', metadata: { subject: 'Hi' } });
  await putTemplate(f, 'uses-undeclared', { html: '<p>{{ name }} {{ nickname }}</p>', text: 'x', metadata: { subject: 'Hi {{ name }}', requiredVariables: ['name'] } });
}, 60_000);

const good = { to: 'ada@customer.example', templateName: 'receipt', templateData: { name: 'Ada', orderId: 'o-1', total: '1' } };
const huge = 'x'.repeat(270 * 1024);

type Case = [label: string, detail: unknown, errorType: string, options?: { detailType?: string; raw?: string }];

const cases: Case[] = [
  ['missing to', { templateName: 'receipt' }, 'invalid_request'],
  ['missing templateName', { to: 'a@b.example' }, 'invalid_request'],
  ['to is a number', { ...good, to: 42 }, 'invalid_request'],
  ['to is a list', { ...good, to: ['a@b.example'] }, 'invalid_request'],
  ['to without @', { ...good, to: 'not-an-address' }, 'invalid_address'],
  ['to with two @', { ...good, to: 'a@b@c.example' }, 'invalid_address'],
  ['to with a space', { ...good, to: 'ada lovelace@customer.example' }, 'invalid_address'],
  ['to with no domain', { ...good, to: 'ada@' }, 'invalid_address'],
  ['to too long', { ...good, to: `${'a'.repeat(250)}@x.example` }, 'invalid_address'],
  ['cc with a bad address', { ...good, cc: ['fine@x.example', 'nope'] }, 'invalid_address'],
  ['bcc with a bad address', { ...good, bcc: 'nope' }, 'invalid_address'],
  ['replyTo bad', { ...good, replyTo: 'nope' }, 'invalid_address'],
  ['from.email bad', { ...good, from: { email: 'nope' } }, 'invalid_address'],
  ['senderOverride bad', { ...good, senderOverride: 'nope' }, 'invalid_address'],
  ['CR/LF in to', { ...good, to: 'a@b.example\r\nBcc: victim@x.example' }, 'header_injection'],
  ['LF in subject', { ...good, subject: 'Hi\nBcc: victim@x.example' }, 'header_injection'],
  ['CR in subject', { ...good, subject: 'Hi\rthere' }, 'header_injection'],
  ['CR/LF in from name', { ...good, from: { email: 'a@shop.example', name: 'Shop\r\nBcc: v@x.example' } }, 'header_injection'],
  ['CR/LF in senderOverride name', { ...good, senderOverride: { email: 'a@shop.example', name: 'A\nB' } }, 'header_injection'],
  ['CR/LF in a header value', { ...good, headers: { 'X-Order': '1\r\nBcc: v@x.example' } }, 'header_injection'],
  ['CR/LF in a header name', { ...good, headers: { 'X-Order\r\nBcc': '1' } }, 'header_injection'],
  ['header name with a colon', { ...good, headers: { 'X-A:B': '1' } }, 'header_injection'],
  ['header not allowed', { ...good, headers: { From: 'evil@x.example' } }, 'invalid_request'],
  ['header Subject not allowed', { ...good, headers: { Subject: 'x' } }, 'invalid_request'],
  ['unknown field', { ...good, priority: 'high' }, 'invalid_request'],
  ['misspelt field', { ...good, replyto: 'a@b.example' }, 'invalid_request'],
  ['templateData is a string', { ...good, templateData: 'name=Ada' }, 'invalid_request'],
  ['templateData is a list', { ...good, templateData: ['Ada'] }, 'invalid_request'],
  ['templateData over 256 KB', { ...good, templateData: { blob: huge } }, 'payload_too_large'],
  ['metadata over 8 KB', { ...good, metadata: { blob: 'y'.repeat(9 * 1024) } }, 'payload_too_large'],
  ['templateName with a slash', { ...good, templateName: '../etc/passwd' }, 'invalid_request'],
  ['templateName empty', { ...good, templateName: '' }, 'invalid_request'],
  ['emailId with spaces', { ...good, emailId: 'order 1' }, 'invalid_request'],
  ['emailId too long', { ...good, emailId: 'e'.repeat(201) }, 'invalid_request'],
  ['tag named emailId', { ...good, tags: { emailId: 'x' } }, 'invalid_request'],
  ['tag value with spaces', { ...good, tags: { campaign: 'spring sale' } }, 'invalid_request'],
  ['from and senderOverride both', { ...good, from: 'a@shop.example', senderOverride: 'b@shop.example' }, 'invalid_request'],
  ['too many recipients', { ...good, bcc: Array.from({ length: 50 }, (_, i) => `r${i}@x.example`) }, 'invalid_request'],
  ['detail is a string', 'send it please', 'invalid_request'],
  ['detail is null', null, 'invalid_request'],
  ['detail is a list', [good], 'invalid_request'],
  ['wrong detail-type', good, 'invalid_request', { detailType: 'Order Placed' }],
  ['unknown template', { ...good, templateName: 'no-such-template' }, 'template_not_found'],
  ['missing required variable', { ...good, templateData: { name: 'Ada', orderId: 'o-1' } }, 'template_missing_variable'],
  ['undefined variable used by the template', { ...good, templateName: 'uses-undeclared', templateData: { name: 'Ada' } }, 'template_missing_variable'],
  ['template syntax error', { ...good, templateName: 'broken-syntax', templateData: { name: 'Ada' } }, 'template_error'],
  ['template reaching JavaScript objects (constructor)', { ...good, templateName: 'reaches-js', templateData: { name: 'Ada' } }, 'template_error'],
  ['template reaching JavaScript objects inside a block set', { ...good, templateName: 'reaches-js-in-set', templateData: { name: 'Ada' } }, 'template_error'],
];

describe('bad requests end as failed records, not retries', () => {
  it(`covers at least 40 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%s → %s', async (_label, detail, errorType, options) => {
    const deps = senderFor(f);
    const message = requestMessage(detail, { detailType: options?.detailType });
    const out = await createSender(deps)(batch(message), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    const emailId = typeof detail === 'object' && detail && 'emailId' in detail && /^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,199}$/.test(String((detail as { emailId: unknown }).emailId)) ? String((detail as { emailId: string }).emailId) : `evt-${message.eventId}`;
    const record = await deps.tracking.getWithHistory(emailId);
    expect(record?.record).toMatchObject({ status: 'failed', errorType });
    expect(record?.record.errorMessage).toBeTruthy();
    expect(record?.history.map((h) => h.event)).toEqual(['failed']);
  });

  it('a message that is not JSON at all is recorded under its SQS message id', async () => {
    const deps = senderFor(f);
    const out = await createSender(deps)({ Records: [{ messageId: 'raw-1', body: '{not json' }] }, plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(await deps.tracking.get('evt-sqs-raw-1')).toMatchObject({ status: 'failed', errorType: 'invalid_request' });
  });

  it('none of them reached SES', async () => {
    expect(await listReceivedEmails(f.stack.endpoints.sesv2)).toEqual([]);
  });

  it('a rejected request redelivered keeps one record and one history entry', async () => {
    const deps = senderFor(f);
    const message = requestMessage({ ...good, to: 'nope', emailId: 'bad-twice' });
    await createSender(deps)(batch(message), plentyOfTime);
    await createSender(deps)(batch(message), plentyOfTime);
    expect((await deps.tracking.getWithHistory('bad-twice'))?.history).toHaveLength(1);
  });
});
