/**
 * Links and images in an email must be absolute: there is no page URL for a relative one to be
 * resolved against, so `/account` or `logo.png` is simply broken in every inbox.
 */

export interface UrlAttribute {
  attribute: string;
  value: string;
  /** Offset of the attribute in the scanned HTML. */
  offset: number;
}

// href and src cover links, images and VML buttons; background is the table-cell image attribute.
const URL_ATTRIBUTE = /\s(href|src|background)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;

export function findUrlAttributes(html: string): UrlAttribute[] {
  const found: UrlAttribute[] = [];
  for (const match of html.matchAll(URL_ATTRIBUTE)) {
    found.push({ attribute: match[1].toLowerCase(), value: match[2] ?? match[3] ?? '', offset: (match.index ?? 0) + 1 });
  }
  return found;
}

// cid: names an inline attachment of the same message (RFC 2392): absolute in every mail client.
const ABSOLUTE = /^(?:https?:\/\/|mailto:|tel:|cid:)/i;

/** Absolute, or (in template source) starting with a template expression that will supply it. */
export function isAcceptableUrl(value: string, inTemplateSource: boolean): boolean {
  const trimmed = value.trim();
  if (ABSOLUTE.test(trimmed)) return true;
  return inTemplateSource && (trimmed.startsWith('{{') || trimmed.startsWith('{%'));
}
