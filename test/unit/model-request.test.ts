import { describe, expect, it } from 'vitest';
import { parseRequestMessage, requestDetailSchema } from '../../src/model/request.js';

/**
 * The request contract's messages and error types, as callers and records see them. This file
 * loads the request module alone, so zod's own messages ("expected string...") must come from
 * the module itself and not from another module that happened to configure zod first.
 */
const event = (detail: unknown) => JSON.stringify({ id: 'e-1', source: 'shop', time: '2026-01-01T00:00:00Z', 'detail-type': 'Email Request', detail });
const good = { to: 'ada@customer.example', templateName: 'receipt', templateData: { name: 'Ada' } };

function rejection(detail: unknown): { errorType: string; message: string } {
  const parsed = parseRequestMessage(event(detail), 'm-1', new Date(0));
  if (parsed.ok) throw new Error('expected a rejection');
  return { errorType: parsed.rejected.failure.errorType, message: parsed.rejected.failure.message };
}

describe('request validation messages', () => {
  it.each([
    ['a wrong type', { ...good, to: 42 }, 'invalid_request', 'to: Invalid input: expected string, received number'],
    ['a missing field', { templateName: 'receipt' }, 'invalid_request', 'to: Invalid input: expected string, received undefined'],
    ['unknown fields', { ...good, priority: 'high', replyto: 'a@b.example' }, 'invalid_request', 'detail: unknown fields priority, replyto'],
    ['a subject over 998 characters', { ...good, subject: 'x'.repeat(999) }, 'invalid_request', 'subject: Too big: expected string to have <=998 characters'],
    ['an empty subject', { ...good, subject: '' }, 'invalid_request', 'subject: must not be empty'],
    ['a bad cc inside a list', { ...good, cc: ['fine@x.example', 'nope'] }, 'invalid_address', 'cc.1: is not a valid email address'],
    ['a bad from address', { ...good, from: { email: 'nope' } }, 'invalid_address', 'from.email: is not a valid email address'],
    ['CR/LF in a header value', { ...good, headers: { 'X-Order': '1\r\nBcc: v@x.example' } }, 'header_injection', 'headers.X-Order: must not contain CR or LF'],
    ['51 bcc addresses', { ...good, bcc: Array.from({ length: 51 }, (_, i) => `r${i}@x.example`) }, 'invalid_request', 'bcc: Invalid input'],
    ['too many recipients in all', { ...good, cc: ['c@x.example'], bcc: Array.from({ length: 49 }, (_, i) => `r${i}@x.example`) }, 'invalid_request', 'bcc: at most 50 recipients in all'],
    ['metadata over 8 KB', { ...good, metadata: { blob: 'y'.repeat(9 * 1024) } }, 'payload_too_large', 'metadata: is larger than 8 KB'],
    ['a number DynamoDB cannot hold', { ...good, metadata: { id: 2 ** 60 } }, 'invalid_request', 'metadata.id: is a number that cannot be stored exactly (send it as a string)'],
    ['from and senderOverride', { ...good, from: 'a@shop.example', senderOverride: 'b@shop.example' }, 'invalid_request', 'senderOverride: give either from or senderOverride, not both'],
  ])('%s', (_label, detail, errorType, message) => {
    expect(rejection(detail)).toEqual({ errorType, message });
  });

  it('a valid request comes back trimmed and normalised, single addresses as lists', () => {
    const parsed = parseRequestMessage(event({ ...good, to: ' Ada@Customer.example ', cc: ' c@x.example', from: 's@shop.example', headers: { 'X-Ref': '1' } }), 'm-1', new Date(0));
    expect(parsed).toMatchObject({ ok: true, request: { to: 'Ada@Customer.example', recipient: 'ada@customer.example', cc: ['c@x.example'], from: { email: 's@shop.example' }, headers: [{ name: 'X-Ref', value: '1' }], emailId: 'evt-e-1' } });
  });

  it('the exported schema reports the same messages to its other callers', () => {
    const parsed = requestDetailSchema.safeParse({ ...good, templateName: 7 });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['templateName', 'Invalid input: expected string, received number']]);
  });
});
