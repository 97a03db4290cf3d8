import type { SendEmailCommandInput, SESv2Client } from '@aws-sdk/client-sesv2';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSender } from '../../../src/engine/sender.js';
import { listReceivedEmails } from '../../../src/local/index.js';
import { batch, plentyOfTime, requestMessage, senderFor, useEngineFixture } from '../../helpers/engine-fixture.js';

/**
 * Requests as an attacker, a buggy app or a flaky network sends them. Every one must end as a
 * record with the outcome the table names (found by its emailId, or by `evt-<event id>`), none may
 * be handed back to the queue for good, nothing may reach SES that should not, and no suppressed
 * address may be mailed.
 */
const f = useEngineFixture('hostile');
const sesInputs: SendEmailCommandInput[] = [];
let ses: Pick<SESv2Client, 'send'>;

beforeAll(async () => {
  const real = f.settings.clients.sesv2;
  ses = { send: async (command: { input: SendEmailCommandInput }) => (sesInputs.push(command.input), real.send(command as never)) } as unknown as Pick<SESv2Client, 'send'>;
  const { suppression } = senderFor(f);
  await suppression.suppress('complained@customer.example', 'complaint', 'test');
  await suppression.suppress('bounced@customer.example', 'bounce', 'test');
}, 60_000);

const data = { name: 'Ada', orderId: 'o-1', total: '1' };
const good = { to: 'ada@customer.example', templateName: 'receipt', templateData: data };
const nested = (levels: number) => JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
const CRLF = '\r\nBcc: victim@evil.example';

type Expected = 'sent' | `failed:${string}` | 'suppressed';
/** label, detail (or, with `raw`, the detail's JSON text), expected outcome. */
type Case = [label: string, detail: unknown, expected: Expected, options?: { raw?: string }];

const injection: Case[] = [
  ['CRLF in to', { ...good, to: `a@customer.example${CRLF}` }, 'failed:header_injection'],
  ['CRLF in a cc', { ...good, cc: [`b@customer.example${CRLF}`] }, 'failed:header_injection'],
  ['CRLF in bcc', { ...good, bcc: `c@customer.example${CRLF}` }, 'failed:header_injection'],
  ['CRLF in replyTo', { ...good, replyTo: `r@customer.example${CRLF}` }, 'failed:header_injection'],
  ['CRLF in from.email', { ...good, from: { email: `s@shop.example${CRLF}` } }, 'failed:header_injection'],
  ['CRLF in from.name', { ...good, from: { email: 's@shop.example', name: `Shop${CRLF}` } }, 'failed:header_injection'],
  ['CRLF in senderOverride', { ...good, senderOverride: `s@shop.example${CRLF}` }, 'failed:header_injection'],
  ['CRLF in subject', { ...good, subject: `Hi${CRLF}` }, 'failed:header_injection'],
  ['CRLF in a header value', { ...good, headers: { 'X-Ref': `1${CRLF}` } }, 'failed:header_injection'],
  ['CRLF in a header name', { ...good, headers: { [`X-Ref${CRLF}`]: '1' } }, 'failed:header_injection'],
  ['LF alone in subject', { ...good, subject: 'Hi\nthere' }, 'failed:header_injection'],
  ['CR in a tag value', { ...good, tags: { campaign: 'a\rb' } }, 'failed:invalid_request'],
  ['CRLF in templateName', { ...good, templateName: `receipt${CRLF}` }, 'failed:invalid_request'],
  ['CRLF in emailId', { ...good, emailId: `e-1${CRLF}` }, 'failed:invalid_request'],
  ['CRLF in a template variable', { ...good, templateData: { ...data, name: `Ada${CRLF}` } }, 'sent'],
];

const control: Case[] = [
  ['NUL in subject', { ...good, subject: 'Hi\u0000there' }, 'failed:header_injection'],
  ['BEL in from name', { ...good, from: { email: 's@shop.example', name: 'Shop\u0007' } }, 'failed:header_injection'],
  ['ESC in a header value', { ...good, headers: { 'X-Ref': '\u001b[31mred' } }, 'failed:header_injection'],
  ['DEL in subject', { ...good, subject: 'Hi\u007f' }, 'failed:header_injection'],
  ['U+2028 in subject', { ...good, subject: 'Hi\u2028there' }, 'failed:header_injection'],
  ['U+0085 in subject', { ...good, subject: 'Hi\u0085there' }, 'failed:header_injection'],
  ['NUL in to', { ...good, to: 'a\u0000@customer.example' }, 'failed:header_injection'],
  ['tab in subject (allowed whitespace)', { ...good, subject: 'Order\t1' }, 'sent'],
  ['X-SES-CONFIGURATION-SET header', { ...good, headers: { 'X-SES-CONFIGURATION-SET': 'other' } }, 'failed:invalid_request'],
  ['x-ses-message-tags header, lower case', { ...good, headers: { 'x-ses-message-tags': 'a=b' } }, 'failed:invalid_request'],
  ['Content-Type header', { ...good, headers: { 'Content-Type': 'text/plain' } }, 'failed:invalid_request'],
  ['MIME-Version header', { ...good, headers: { 'MIME-Version': '2.0' } }, 'failed:invalid_request'],
  ['Return-Path header', { ...good, headers: { 'Return-Path': 'x@evil.example' } }, 'failed:invalid_request'],
];

const traversal: Case[] = [
  ['templateName ../secrets', { ...good, templateName: '../secrets' }, 'failed:invalid_request'],
  ['templateName ..', { ...good, templateName: '..' }, 'failed:invalid_request'],
  ['templateName ./receipt', { ...good, templateName: './receipt' }, 'failed:invalid_request'],
  ['templateName receipt/../x', { ...good, templateName: 'receipt/../x' }, 'failed:invalid_request'],
  ['templateName with a backslash', { ...good, templateName: 'receipt\\..\\x' }, 'failed:invalid_request'],
  ['templateName absolute', { ...good, templateName: '/etc/passwd' }, 'failed:invalid_request'],
  ['templateName URL-encoded dots', { ...good, templateName: '%2e%2e' }, 'failed:invalid_request'],
  ['templateName too long', { ...good, templateName: 'r'.repeat(101) }, 'failed:invalid_request'],
  ['templateName with unicode', { ...good, templateName: 'récépissé' }, 'failed:invalid_request'],
  ['templateName that looks like a prefix', { ...good, templateName: 'receip' }, 'failed:template_not_found'],
];

const payloads: Case[] = [
  ['Nunjucks expression as data', { ...good, templateData: { ...data, name: '{{ 7*7 }}' } }, 'sent'],
  ['Nunjucks block as data', { ...good, templateData: { ...data, name: '{% for x in range(1e9) %}x{% endfor %}' } }, 'sent'],
  ['constructor walk as data', { ...good, templateData: { ...data, name: '{{ constructor.constructor("return process")() }}' } }, 'sent'],
  ['script tag as data', { ...good, templateData: { ...data, name: '<script>alert(1)</script>' } }, 'sent'],
  ['HTML attribute break-out as data', { ...good, templateData: { ...data, name: '"><img src=x onerror=alert(1)>' } }, 'sent'],
  ['__proto__ in templateData', { ...good }, 'failed:invalid_request', { raw: JSON.stringify(good).replace('"templateData":{', '"templateData":{"__proto__":{"polluted":true},') }],
  ['constructor.prototype in templateData', { ...good, templateData: { ...data, constructor: { prototype: { polluted: true } } } }, 'sent'],
  ['__proto__ in metadata', { ...good }, 'failed:invalid_request', { raw: JSON.stringify({ ...good, metadata: {} }).replace('"metadata":{', '"metadata":{"__proto__":{"polluted":true}') }],
  ['__proto__ as a tag', { ...good }, 'failed:invalid_request', { raw: JSON.stringify({ ...good, tags: {} }).replace('"tags":{', '"tags":{"__proto__":"x"') }],
  ['__proto__ as a header', { ...good }, 'failed:invalid_request', { raw: JSON.stringify({ ...good, headers: {} }).replace('"headers":{', '"headers":{"__proto__":"x"') }],
  ['__proto__ as the detail key', { ...good }, 'failed:invalid_request', { raw: JSON.stringify(good).replace('{', '{"__proto__":{"to":"evil@evil.example"},') }],
];

const size: Case[] = [
  ['templateData over 256 KB', { ...good, templateData: { ...data, blob: 'x'.repeat(260 * 1024) } }, 'failed:payload_too_large'],
  ['metadata over 8 KB', { ...good, metadata: { blob: 'y'.repeat(9 * 1024) } }, 'failed:payload_too_large'],
  ['templateData nested 10,000 levels', good, 'failed:invalid_request', { raw: JSON.stringify(good).replace('"templateData":{', `"templateData":{"deep":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)},`) }],
  ['templateData nested 60 levels (within bounds)', { ...good, templateData: { ...data, deep: nested(60) } }, 'sent'],
  ['metadata nested 20 levels', { ...good, metadata: nested(20) }, 'failed:invalid_request'],
  ['metadata with a 64-bit integer', { ...good }, 'failed:invalid_request', { raw: JSON.stringify({ ...good, metadata: { id: 'N' } }).replace('"N"', '18446744073709551615') }],
  ['metadata with a negative 64-bit integer', { ...good }, 'failed:invalid_request', { raw: JSON.stringify({ ...good, metadata: { id: 'N' } }).replace('"N"', '-9007199254740993') }],
  ['metadata with 1e-200', { ...good }, 'failed:invalid_request', { raw: JSON.stringify({ ...good, metadata: { id: 'N' } }).replace('"N"', '1e-200') }],
  ['metadata with an empty key', { ...good, metadata: { '': 1 } }, 'failed:invalid_request'],
  ['metadata with an empty key deep inside', { ...good, metadata: { a: [{ b: { '': 1 } }] } }, 'failed:invalid_request'],
  ['metadata with ordinary numbers and nulls', { ...good, metadata: { count: 3, price: 19.99, none: null, list: [1, 'two', false] } }, 'sent'],
  ['subject of 998 characters', { ...good, subject: 's'.repeat(998) }, 'sent'],
  ['subject of 999 characters', { ...good, subject: 's'.repeat(999) }, 'failed:invalid_request'],
];

const blank: Case[] = [
  ['to empty', { ...good, to: '' }, 'failed:invalid_address'],
  ['to blank', { ...good, to: '   ' }, 'failed:invalid_address'],
  ['to with surrounding spaces (trimmed)', { ...good, to: '  Spaced@Customer.example ' }, 'sent'],
  ['templateName empty', { ...good, templateName: '' }, 'failed:invalid_request'],
  ['templateName blank', { ...good, templateName: '  ' }, 'failed:invalid_request'],
  ['emailId empty', { ...good, emailId: '' }, 'failed:invalid_request'],
  ['from.email empty', { ...good, from: { email: '' } }, 'failed:invalid_address'],
  ['bcc empty string', { ...good, bcc: '' }, 'failed:invalid_address'],
  ['cc empty list', { ...good, cc: [] }, 'sent'],
  ['tags empty', { ...good, tags: {} }, 'sent'],
  ['templateData empty', { ...good, templateData: {} }, 'failed:template_missing_variable'],
  ['detail empty object', {}, 'failed:invalid_request'],
  ['subject empty', { ...good, subject: '' }, 'failed:invalid_request'],
];

const addresses: Case[] = [
  ['unicode local part', { ...good, to: 'josé@customer.example' }, 'failed:invalid_address'],
  ['unicode (IDN) domain', { ...good, to: 'user@bücher.example' }, 'failed:invalid_address'],
  ['IDN domain in punycode', { ...good, to: 'user@xn--bcher-kva.example' }, 'sent'],
  ['fullwidth at sign', { ...good, to: 'a＠customer.example' }, 'failed:invalid_address'],
  ['plus addressing', { ...good, to: 'ada+orders@customer.example' }, 'sent'],
  ['unicode display name', { ...good, from: { email: 'shop@shop.example', name: 'Bücher & Söhne 📚' } }, 'sent'],
  ['unicode subject', { ...good, subject: 'Ihre Bestellung — 注文 ✅' }, 'sent'],
  ['address list in to', { ...good, to: 'a@customer.example, b@customer.example' }, 'failed:invalid_address'],
  ['angle-bracket address', { ...good, to: 'Ada <ada@customer.example>' }, 'failed:invalid_address'],
  ['quoted local part', { ...good, to: '"a b"@customer.example' }, 'failed:invalid_address'],
];

const recipients: Case[] = [
  ['50 recipients in all', { ...good, cc: Array.from({ length: 24 }, (_, i) => `cc${i}@customer.example`), bcc: Array.from({ length: 25 }, (_, i) => `bcc${i}@customer.example`) }, 'sent'],
  ['51 recipients in all', { ...good, cc: Array.from({ length: 25 }, (_, i) => `cc${i}@customer.example`), bcc: Array.from({ length: 25 }, (_, i) => `bcc${i}@customer.example`) }, 'failed:invalid_request'],
  ['200 bcc', { ...good, bcc: Array.from({ length: 200 }, (_, i) => `b${i}@customer.example`) }, 'failed:invalid_request'],
  ['suppressed to (complaint)', { ...good, to: 'complained@customer.example' }, 'suppressed'],
  ['suppressed to in other case', { ...good, to: 'Bounced@Customer.EXAMPLE' }, 'suppressed'],
  ['suppressed cc only', { ...good, cc: ['complained@customer.example', 'friend@customer.example'] }, 'sent'],
  ['suppressed bcc only', { ...good, bcc: 'bounced@customer.example' }, 'sent'],
  ['suppressed cc and bcc, both dropped', { ...good, cc: 'COMPLAINED@customer.example', bcc: ['bounced@customer.example'] }, 'sent'],
];

const envelopes: Case[] = [
  ['detail as a JSON string', good, 'sent', { raw: JSON.stringify(JSON.stringify(good)) }],
  ['detail as a broken JSON string', good, 'failed:invalid_request', { raw: JSON.stringify('{"to":') }],
  ['detail as a number', good, 'failed:invalid_request', { raw: '42' }],
  ['detail as true', good, 'failed:invalid_request', { raw: 'true' }],
];

const cases: Case[] = [...injection, ...control, ...traversal, ...payloads, ...size, ...blank, ...addresses, ...recipients, ...envelopes];

/** Runs one case through the real Sender; returns the record it left and the SES calls it made. */
async function run([, detail, , options]: Case) {
  const message = requestMessage(options?.raw ? 'RAW' : detail);
  const body = options?.raw ? message.body.replace('"RAW"', options.raw) : message.body;
  const before = sesInputs.length;
  const out = await createSender({ ...senderFor(f), ses })(batch({ messageId: message.messageId, body }), plentyOfTime);
  const callerId = (detail as { emailId?: unknown })?.emailId;
  const emailId = typeof callerId === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,199}$/.test(callerId) ? callerId : `evt-${message.eventId}`;
  return { out, record: await senderFor(f).tracking.get(emailId), sends: sesInputs.slice(before) };
}

describe('a hostile corpus', () => {
  it(`holds at least 80 requests (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(80);
  });

  it.each(cases.map((c) => ({ label: c[0], expected: c[2], c })))('$label → $expected', async ({ expected, c }) => {
    const { out, record, sends } = await run(c);
    expect(out.batchItemFailures).toEqual([]);
    expect(record, 'every request ends as a record').toBeDefined();
    const [status, errorType] = expected.split(':');
    expect(record?.status).toBe(status);
    if (errorType) expect(record?.errorType).toBe(errorType);
    expect(sends).toHaveLength(status === 'sent' ? 1 : 0);
    for (const send of sends) {
      const headers = send.Content?.Simple?.Headers ?? [];
      expect(headers.every((h) => !/^x-ses-/i.test(h.Name ?? '') && !/[\r\n]/.test(`${h.Name}${h.Value}`))).toBe(true);
      expect(/[\r\n]/.test(send.Content?.Simple?.Subject?.Data ?? '')).toBe(false);
    }
  });

  it('no template ran caller data as code, and nothing was polluted', async () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const mails = await listReceivedEmails(f.stack.endpoints.sesv2);
    const bodies = mails.map((m) => m.html ?? '').join('\n');
    expect(bodies).toContain('{{ 7*7 }}');
    expect(bodies).not.toContain('49');
    expect(bodies).not.toContain('<script>');
    expect(bodies).toContain('&lt;script&gt;');
  });

  it('no suppressed address was mailed, in any field', async () => {
    const addressed = sesInputs.flatMap((i) => [...(i.Destination?.ToAddresses ?? []), ...(i.Destination?.CcAddresses ?? []), ...(i.Destination?.BccAddresses ?? [])]).map((a) => a.trim().toLowerCase());
    expect(addressed).not.toContain('complained@customer.example');
    expect(addressed).not.toContain('bounced@customer.example');
    expect(addressed).toContain('friend@customer.example');
  });

  it('the same request five times in one batch (SQS duplicates), and a redelivery: one email', async () => {
    const message = requestMessage({ ...good, to: 'dup@customer.example', emailId: 'dup-batch-1' });
    const copies = Array.from({ length: 5 }, (_, i) => ({ messageId: `dup-${i}`, body: message.body }));
    const before = sesInputs.length;
    const first = await createSender({ ...senderFor(f), ses })(batch(...copies), plentyOfTime);
    // Copies that found the claim taken by a live attempt come back; none is dropped while it may matter.
    for (const failure of first.batchItemFailures) {
      const again = await createSender({ ...senderFor(f), ses })(batch(copies.find((c) => c.messageId === failure.itemIdentifier)!), plentyOfTime);
      expect(again.batchItemFailures).toEqual([]);
    }
    expect(sesInputs.length - before).toBe(1);
    expect(await senderFor(f).tracking.get('dup-batch-1')).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('five different requests racing for one emailId: one email, and the others are recorded as duplicates or conflicts', async () => {
    const same = requestMessage({ ...good, to: 'race-a@customer.example', emailId: 'race-id-1' });
    const others = [requestMessage({ ...good, to: 'race-a@customer.example', emailId: 'race-id-1' }), ...Array.from({ length: 3 }, (_, i) => requestMessage({ ...good, to: `race-b${i}@customer.example`, emailId: 'race-id-1' }))];
    const before = sesInputs.length;
    const out = await createSender({ ...senderFor(f), ses })(batch(same, ...others), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(sesInputs.length - before).toBe(1);
    for (const [i, other] of others.slice(1).entries()) {
      const page = await senderFor(f).tracking.listByRecipient(`race-b${i}@customer.example`, { limit: 5 });
      // Unless this one won the race, it has a record of its own.
      const won = sesInputs.slice(before).some((input) => input.Destination?.ToAddresses?.includes(`race-b${i}@customer.example`));
      if (!won) expect(page.records[0]).toMatchObject({ emailId: `evt-${other.eventId}`, errorType: 'email_id_conflict' });
    }
  });
});
