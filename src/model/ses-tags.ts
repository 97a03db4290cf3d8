/**
 * The message tags that lead an SES event back to its tracking record.
 *
 * SES tag values may hold only ASCII letters, digits, `_` and `-`, at most 256 of them, while an
 * emailId may also hold `. : @ + =` and be 200 long. An emailId that fits goes out as it is in
 * `emailId` (the form SES events of earlier versions carry too). Any other goes out escaped in
 * `emailIdX`, continued in `emailIdX2` when the escaped form is longer than one value:
 * `_` becomes `__`, and each of `. : @ + =` becomes `_` and one letter. The tag's name says which
 * form it is, so an id that merely contains `_d` is never misread.
 */
export const EMAIL_ID_TAG = 'emailId';
export const ENCODED_EMAIL_ID_TAG = 'emailIdX';
export const ENCODED_EMAIL_ID_TAG_CONTINUED = 'emailIdX2';

const TAG_VALUE = /^[A-Za-z0-9_-]{1,256}$/;
const MAX_TAG_VALUE = 256;

const ESCAPES: Record<string, string> = { _: '__', '.': '_d', ':': '_c', '@': '_a', '+': '_p', '=': '_e' };
const UNESCAPES: Record<string, string> = Object.fromEntries(Object.entries(ESCAPES).map(([plain, escaped]) => [escaped[1], plain]));

/** Whether a string can be an SES tag value as it is. */
export function isTagValue(value: string): boolean {
  return TAG_VALUE.test(value);
}

/** Any string as a tag value: characters SES refuses become `_` (for names and labels, not ids). */
export function toTagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_TAG_VALUE) || '_';
}

/** The tags that carry `emailId`, whatever characters it has. */
export function emailIdTags(emailId: string): Array<{ Name: string; Value: string }> {
  if (isTagValue(emailId)) return [{ Name: EMAIL_ID_TAG, Value: emailId }];
  const escaped = [...emailId].map((c) => ESCAPES[c] ?? (/[A-Za-z0-9-]/.test(c) ? c : '')).join('');
  // Never split an escape across the two values.
  let cut = Math.min(escaped.length, MAX_TAG_VALUE);
  if (cut < escaped.length && trailingUnderscores(escaped.slice(0, cut)) % 2 === 1) cut -= 1;
  const tags = [{ Name: ENCODED_EMAIL_ID_TAG, Value: escaped.slice(0, cut) }];
  if (cut < escaped.length) tags.push({ Name: ENCODED_EMAIL_ID_TAG_CONTINUED, Value: escaped.slice(cut) });
  return tags;
}

/** The emailId carried by an SES event's `mail.tags` (each tag a list of values), if any. */
export function emailIdFromTags(tags: Record<string, string[] | undefined>): string | undefined {
  const plain = tags[EMAIL_ID_TAG]?.[0];
  if (plain) return plain;
  const escaped = tags[ENCODED_EMAIL_ID_TAG]?.[0];
  if (!escaped) return undefined;
  return unescape(escaped + (tags[ENCODED_EMAIL_ID_TAG_CONTINUED]?.[0] ?? ''));
}

/** Tag names a request may not set: the engine's own. */
export function isReservedTagName(name: string): boolean {
  return name.toLowerCase().startsWith(EMAIL_ID_TAG.toLowerCase()) || name === 'template' || name.startsWith('ses');
}

function trailingUnderscores(text: string): number {
  let n = 0;
  while (n < text.length && text[text.length - 1 - n] === '_') n++;
  return n;
}

function unescape(escaped: string): string | undefined {
  let out = '';
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i];
    if (c !== '_') {
      out += c;
      continue;
    }
    const plain = UNESCAPES[escaped[i + 1] ?? ''];
    // Not a value this module wrote: better no id than a wrong one.
    if (plain === undefined) return undefined;
    out += plain;
    i++;
  }
  return out;
}
