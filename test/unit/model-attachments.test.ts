import { describe, expect, it } from 'vitest';
import { encodedSize, unsupportedExtension, UNSUPPORTED_EXTENSIONS } from '../../src/model/attachments.js';
import { parseRequestMessage } from '../../src/model/request.js';

/** The `attachments` field of the request contract, and the limits SES sets on attachments. */
const event = (detail: unknown) => JSON.stringify({ id: 'e-1', source: 'shop', time: '2026-01-01T00:00:00Z', 'detail-type': 'Email Request', detail });
const good = { to: 'ada@customer.example', templateName: 'invoice' };
const pdf = { key: 'attachments/inv-1/invoice.pdf', filename: 'invoice.pdf' };

function rejection(attachments: unknown): string {
  const parsed = parseRequestMessage(event({ ...good, attachments }), 'm-1', new Date(0));
  if (parsed.ok) throw new Error('expected a rejection');
  expect(parsed.rejected.failure.errorType).toBe('invalid_request');
  return parsed.rejected.failure.message;
}

describe('request attachments', () => {
  it('a valid list comes through as given, and no attachments is an empty list', () => {
    const full = { ...pdf, bucket: 'my-engine-bucket', contentType: 'application/pdf', disposition: 'inline', contentId: 'logo@shop', keep: true };
    const parsed = parseRequestMessage(event({ ...good, attachments: [full] }), 'm-1', new Date(0));
    expect(parsed).toMatchObject({ ok: true, request: { attachments: [full] } });
    expect(parseRequestMessage(event(good), 'm-1', new Date(0))).toMatchObject({ ok: true, request: { attachments: [] } });
  });

  it.each([
    ['a key outside the prefix', [{ ...pdf, key: 'templates/receipt/metadata.json' }], 'attachments.0.key: must be an object key under attachments/'],
    ['a key that climbs out with ..', [{ ...pdf, key: 'attachments/../templates/x' }], 'attachments.0.key: must be an object key under attachments/'],
    ['an empty segment', [{ ...pdf, key: 'attachments//x.pdf' }], 'attachments.0.key: must be an object key under attachments/'],
    ['no filename', [{ key: pdf.key }], 'attachments.0.filename: Invalid input: expected string, received undefined'],
    ['a filename over 255 characters', [{ ...pdf, filename: `${'x'.repeat(252)}.pdf` }], 'attachments.0.filename: Too big: expected string to have <=255 characters'],
    ['a newline in the filename', [{ ...pdf, filename: 'a\r\nb.pdf' }], 'attachments.0.filename: must not contain control characters'],
    ['an unknown disposition', [{ ...pdf, disposition: 'ATTACHMENT' }], 'attachments.0.disposition: Invalid option: expected one of "attachment"|"inline"'],
    ['a content id over 78 characters', [{ ...pdf, contentId: 'c'.repeat(79) }], 'attachments.0.contentId: Too big: expected string to have <=78 characters'],
    ['a content id with brackets', [{ ...pdf, contentId: '<logo>' }], 'attachments.0.contentId: is not a content id'],
    ['a content type that is not one', [{ ...pdf, contentType: 'pdf' }], 'attachments.0.contentType: is not a media type (type/subtype, e.g. application/pdf)'],
    ['the same content id twice', [{ ...pdf, contentId: 'a' }, { ...pdf, contentId: 'a' }], 'attachments.1.contentId: repeats contentId "a"'],
    ['an unknown field', [{ ...pdf, url: 'https://x' }], 'attachments.0: unknown field url'],
    ['51 attachments', Array.from({ length: 51 }, () => pdf), 'attachments: Too big: expected array to have <=50 items'],
  ])('%s is refused', (_label, attachments, message) => {
    expect(rejection(attachments)).toContain(message);
  });
});

describe('attachment limits', () => {
  it("knows SES's unsupported types by extension, whatever the case or trailing dots", () => {
    expect(unsupportedExtension('setup.EXE')).toBe('exe');
    expect(unsupportedExtension('run.bat.')).toBe('bat');
    expect(unsupportedExtension('script.ps1')).toBe('ps1');
    expect(unsupportedExtension('invoice.pdf')).toBeUndefined();
    expect(unsupportedExtension('exe')).toBeUndefined();
    expect(unsupportedExtension('archive.exe.pdf')).toBeUndefined();
    expect(UNSUPPORTED_EXTENSIONS.size).toBe(90);
  });

  it('counts a file as SES does: base64, four bytes for every three started', () => {
    expect([0, 1, 2, 3, 4, 300].map(encodedSize)).toEqual([0, 4, 4, 4, 8, 400]);
  });
});
