import { usageError } from '../errors.js';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A domain as SES and DNS take it: lower case, no trailing dot, two labels or more, ASCII (IDNs as xn--). */
export function parseDomain(value: string, what = 'domain'): string {
  const domain = value.trim().toLowerCase().replace(/\.$/, '');
  const labels = domain.split('.');
  const ok = domain.length <= 253 && labels.length >= 2 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]);
  if (!ok) {
    const hint = /[^\p{ASCII}]/u.test(domain) ? ' Write an internationalised domain in its xn-- (punycode) form.' : '';
    throw usageError('INVALID_DOMAIN', `"${value.slice(0, 100)}" is not a domain name.`, `Give the ${what} as e.g. example.com.${hint}`, { value: value.slice(0, 100) });
  }
  return domain;
}

/**
 * A custom MAIL FROM domain must be a subdomain of the identity (SES refuses anything else), and
 * one that receives no mail of its own, since its MX record will point at SES.
 */
export function parseMailFrom(value: string, domain: string): string {
  const mailFrom = parseDomain(value, 'MAIL FROM domain');
  if (!mailFrom.endsWith(`.${domain}`)) {
    throw usageError('MAIL_FROM_NOT_SUBDOMAIN', `The MAIL FROM domain ${mailFrom} is not a subdomain of ${domain}.`, `Use a subdomain that receives no email, e.g. --mail-from bounce.${domain}.`);
  }
  return mailFrom;
}
