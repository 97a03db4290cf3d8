import { describe, expect, it } from 'vitest';
import { parseRequestMessage } from '../../src/model/request.js';
import { parseSendAt } from '../../src/model/send-at.js';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const message = (detail: Record<string, unknown>) =>
  JSON.stringify({ version: '0', id: 'e5f0c9a2-1111-4000-8000-000000000001', 'detail-type': 'Email Request', source: 'shop', time: NOW.toISOString(), detail: { to: 'ada@customer.example', templateName: 'receipt', emailId: 'order-1', ...detail } });

describe('sendAt on a request', () => {
  it('takes ISO 8601 times with a UTC offset and keeps them as UTC', () => {
    const parsed = parseRequestMessage(message({ sendAt: '2026-12-24T09:00:00+01:00' }), 'm', NOW);
    expect(parsed.ok && parsed.request.sendAt).toBe('2026-12-24T08:00:00.000Z');
    expect(parseSendAt('2026-12-24T08:00Z')?.toISOString()).toBe('2026-12-24T08:00:00.000Z');
    expect(parseSendAt('2026-12-24T08:00:00.123456-05:30')?.toISOString()).toBe('2026-12-24T13:30:00.123Z');
  });

  it('a request without it has none', () => {
    const parsed = parseRequestMessage(message({}), 'm', NOW);
    expect(parsed.ok && parsed.request.sendAt).toBeUndefined();
  });

  it.each([
    ['no offset', '2026-12-24T09:00:00'],
    ['a date only', '2026-12-24'],
    ['not a real date', '2026-02-30T09:00:00Z'],
    ['hour 24', '2026-12-24T24:00:00Z'],
    ['free text', 'tomorrow 9am'],
    ['epoch number', 1766563200000],
  ])('refuses %s as invalid_request, with the record it would have had', (_label, sendAt) => {
    const parsed = parseRequestMessage(message({ sendAt }), 'm', NOW);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.rejected).toMatchObject({ emailId: 'order-1', recipient: 'ada@customer.example' });
    expect(parsed.rejected.failure.errorType).toBe('invalid_request');
    expect(parsed.rejected.failure.message).toMatch(/^sendAt: /);
  });

  it('refuses a time more than 365 days ahead; 365 days is fine, and the past is fine (it sends now)', () => {
    const far = parseRequestMessage(message({ sendAt: '2027-12-02T10:00:01Z' }), 'm', NOW);
    expect(!far.ok && far.rejected.failure).toMatchObject({ errorType: 'invalid_request', message: 'sendAt: is more than 365 days ahead' });
    const edge = parseRequestMessage(message({ sendAt: '2027-12-01T10:00:00Z' }), 'm', NOW);
    expect(edge.ok).toBe(true);
    const past = parseRequestMessage(message({ sendAt: '2020-01-01T00:00:00Z' }), 'm', NOW);
    expect(past.ok && past.request.sendAt).toBe('2020-01-01T00:00:00.000Z');
  });

  it('with attachments, at most 29 days ahead: the files under attachments/ expire after 30', () => {
    const attachments = [{ key: 'attachments/order-1/invoice.pdf', filename: 'invoice.pdf' }];
    const late = parseRequestMessage(message({ sendAt: '2026-12-30T10:00:01Z', attachments }), 'm', NOW);
    expect(!late.ok && late.rejected.failure).toMatchObject({ errorType: 'invalid_request', message: expect.stringMatching(/^sendAt: an email with attachments can be scheduled at most 29 days ahead \(files under attachments\/ expire after 30 days\)/) });
    expect(parseRequestMessage(message({ sendAt: '2026-12-30T10:00:00Z', attachments }), 'm', NOW).ok).toBe(true);
    // Without attachments the year holds.
    expect(parseRequestMessage(message({ sendAt: '2026-12-30T10:00:01Z' }), 'm', NOW).ok).toBe(true);
  });
});
