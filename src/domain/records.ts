import type { DomainIdentity } from './identity.js';

/** One DNS record SES needs (or that mail delivery needs alongside it). */
export interface DnsRecord {
  purpose: 'dkim' | 'mail-from-mx' | 'mail-from-spf' | 'dmarc';
  type: 'CNAME' | 'MX' | 'TXT';
  name: string;
  /** The record data; for MX without the priority, for TXT without quotes. */
  value: string;
  priority?: number;
  /** SES verifies the domain only with these; DMARC is recommended, not checked by SES. */
  required: boolean;
}

export const DEFAULT_DMARC = 'v=DMARC1; p=none;';
export const SPF_VALUE = 'v=spf1 include:amazonses.com ~all';

/** Easy DKIM: each token is published as a CNAME to the key SES hosts. */
export function dkimRecord(domain: string, token: string): DnsRecord {
  return { purpose: 'dkim', type: 'CNAME', name: `${token}._domainkey.${domain}`, value: `${token}.dkim.amazonses.com`, required: true };
}

/** Bounces and complaints for a custom MAIL FROM domain are delivered to SES's feedback endpoint in the region. */
export function feedbackMxHost(region: string): string {
  return `feedback-smtp.${region}.amazonses.com`;
}

export function dnsRecordsFor(identity: { domain: string; dkimTokens: string[]; mailFromDomain?: string }, region: string): DnsRecord[] {
  const records = identity.dkimTokens.map((token) => dkimRecord(identity.domain, token));
  if (identity.mailFromDomain) {
    records.push({ purpose: 'mail-from-mx', type: 'MX', name: identity.mailFromDomain, value: feedbackMxHost(region), priority: 10, required: true });
    records.push({ purpose: 'mail-from-spf', type: 'TXT', name: identity.mailFromDomain, value: SPF_VALUE, required: true });
  }
  records.push({ purpose: 'dmarc', type: 'TXT', name: `_dmarc.${identity.domain}`, value: DEFAULT_DMARC, required: false });
  return records;
}

/** The records as lines for a BIND zone file (absolute names, so `$ORIGIN` does not matter). */
export function bindZone(records: ReadonlyArray<DnsRecord>, ttl = 1800): string {
  const lines = records.map((r) => {
    const data = r.type === 'TXT' ? `"${r.value.replace(/(["\\])/g, '\\$1')}"` : r.type === 'MX' ? `${r.priority ?? 10} ${r.value}.` : `${r.value}.`;
    return `${r.name}.\t${ttl}\tIN\t${r.type}\t${data}${r.required ? '' : '\t; recommended'}`;
  });
  return `${lines.join('\n')}\n`;
}

/** Why there are no DKIM records to add, or undefined when there are. */
export function missingDkim(identity: Pick<DomainIdentity, 'domain' | 'dkim'>): string | undefined {
  if (identity.dkim.tokens.length > 0) return undefined;
  const status = identity.dkim.status ?? 'unknown';
  if (identity.dkim.origin === 'EXTERNAL') {
    return `${identity.domain} signs with its own DKIM key (BYODKIM, status ${status}): publish its public key as the TXT record your selector names; SES has no CNAMEs for it.`;
  }
  return `SES has not issued DKIM tokens for ${identity.domain} yet (DKIM status ${status}), so there are no DKIM records to add yet and mail will not be DKIM-signed. Run \`mailengine domain verify ${identity.domain}\` again in a minute to get them.`;
}
