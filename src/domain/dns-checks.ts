import { Resolver } from 'node:dns/promises';
import { DEFAULT_DMARC, SPF_VALUE, dkimRecord, feedbackMxHost } from './records.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

/** One live DNS check and, when it fails, the record to add or change. */
export interface DnsCheck {
  check: 'dkim' | 'spf' | 'dmarc' | 'mail-from-mx';
  type: 'CNAME' | 'TXT' | 'MX';
  name: string;
  expected: string;
  found: string[];
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export interface DnsCheckOptions {
  domain: string;
  dkimTokens: string[];
  mailFromDomain?: string;
  region: string;
  /** Name servers to ask (`1.1.1.1`, `127.0.0.1:5353`); the system's when absent. */
  servers?: string[];
  timeoutMs?: number;
}

export interface DnsReport {
  domain: string;
  servers: string[];
  checks: DnsCheck[];
  ok: boolean;
}

/** The answers for one name, or why there are none: `missing` (NXDOMAIN, no data) or a DNS error code. */
type Answer<T> = { values: T[]; missing?: true; error?: string };

async function ask<T>(query: () => Promise<T[]>): Promise<Answer<T>> {
  try {
    return { values: await query() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
    if (code === 'ENOTFOUND' || code === 'ENODATA') return { values: [], missing: true };
    return { values: [], error: code };
  }
}

const host = (name: string) => name.toLowerCase().replace(/\.$/, '');
const dnsTrouble = (code: string) => `DNS did not answer (${code}); try again, or ask another server with --resolver.`;

/**
 * Looks up, live, every record mail from this domain depends on: the three DKIM CNAMEs, the
 * MAIL FROM domain's MX and SPF, and the DMARC policy. Uses node:dns against the given servers,
 * so a check can ask the domain's own name servers and skip caches.
 */
export async function checkDomainDns(options: DnsCheckOptions): Promise<DnsReport> {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 3_000, tries: 2 });
  if (options.servers?.length) resolver.setServers(options.servers);
  const checks: DnsCheck[] = [];
  for (const token of options.dkimTokens) checks.push(await checkDkim(resolver, options.domain, token));
  if (options.mailFromDomain) {
    checks.push(await checkMailFromMx(resolver, options.mailFromDomain, options.region));
    checks.push(await checkSpf(resolver, options.mailFromDomain));
  } else {
    checks.push({
      check: 'spf',
      type: 'TXT',
      name: options.domain,
      expected: SPF_VALUE,
      found: [],
      status: 'skip',
      detail: 'No custom MAIL FROM domain: SES sends from amazonses.com, whose SPF passes on its own; DMARC aligns through DKIM.',
      fix: `To align SPF too, add one: \`mailengine domain verify ${options.domain} --mail-from bounce.${options.domain}\`.`,
    });
  }
  checks.push(await checkDmarc(resolver, options.domain));
  return { domain: options.domain, servers: resolver.getServers(), checks, ok: checks.every((c) => c.status !== 'fail') };
}

async function checkDkim(resolver: Resolver, domain: string, token: string): Promise<DnsCheck> {
  const record = dkimRecord(domain, token);
  const answer = await ask(() => resolver.resolveCname(record.name));
  const base = { check: 'dkim' as const, type: 'CNAME' as const, name: record.name, expected: record.value, found: answer.values };
  if (answer.error) return { ...base, status: 'fail', detail: dnsTrouble(answer.error) };
  if (answer.values.some((v) => host(v) === record.value)) return { ...base, status: 'pass', detail: 'points to the key SES hosts' };
  if (answer.missing) return { ...base, status: 'fail', detail: 'no CNAME record at this name', fix: `Add CNAME ${record.name} → ${record.value}` };
  return { ...base, status: 'fail', detail: `points to ${answer.values.join(', ')}`, fix: `Change the CNAME ${record.name} to point to ${record.value}` };
}

async function checkMailFromMx(resolver: Resolver, mailFrom: string, region: string): Promise<DnsCheck> {
  const expected = feedbackMxHost(region);
  const answer = await ask(() => resolver.resolveMx(mailFrom));
  const found = answer.values.map((mx) => `${mx.priority} ${host(mx.exchange)}`);
  const base = { check: 'mail-from-mx' as const, type: 'MX' as const, name: mailFrom, expected: `10 ${expected}`, found };
  if (answer.error) return { ...base, status: 'fail', detail: dnsTrouble(answer.error) };
  if (answer.values.some((mx) => host(mx.exchange) === expected)) return { ...base, status: 'pass', detail: 'bounces and complaints reach SES in ' + region };
  if (answer.missing) return { ...base, status: 'fail', detail: 'no MX record', fix: `Add MX ${mailFrom} 10 ${expected}` };
  return { ...base, status: 'fail', detail: `MX points elsewhere (${found.join(', ')})`, fix: `Replace the MX of ${mailFrom} with 10 ${expected}: the MAIL FROM domain must not receive other mail` };
}

async function txtRecords(resolver: Resolver, name: string): Promise<Answer<string>> {
  const answer = await ask(() => resolver.resolveTxt(name));
  // A TXT record may be split into several strings; they form one value.
  return { ...answer, values: (answer.values as unknown as string[][]).map((chunks) => chunks.join('')) };
}

async function checkSpf(resolver: Resolver, mailFrom: string): Promise<DnsCheck> {
  const answer = await txtRecords(resolver, mailFrom);
  const spf = answer.values.filter((v) => /^v=spf1(\s|$)/i.test(v.trim()));
  const base = { check: 'spf' as const, type: 'TXT' as const, name: mailFrom, expected: SPF_VALUE, found: spf };
  if (answer.error) return { ...base, status: 'fail', detail: dnsTrouble(answer.error) };
  if (spf.length === 0) return { ...base, status: 'fail', detail: 'no SPF record', fix: `Add TXT ${mailFrom} "${SPF_VALUE}"` };
  if (spf.length > 1) return { ...base, status: 'fail', detail: `${spf.length} SPF records: receivers treat that as an error (RFC 7208)`, fix: `Merge them into one TXT record that includes include:amazonses.com` };
  if (!/(^|\s)include:amazonses\.com(\s|$)/i.test(spf[0])) return { ...base, status: 'fail', detail: 'the SPF record does not include amazonses.com', fix: `Add include:amazonses.com before the final "all" in the TXT record of ${mailFrom}` };
  return { ...base, status: 'pass', detail: 'includes amazonses.com' };
}

/**
 * DMARC is looked up at `_dmarc.<domain>`, then at each parent (a subdomain inherits its
 * organisation's policy). The parent walk stops at two labels, which is right for most domains.
 */
async function checkDmarc(resolver: Resolver, domain: string): Promise<DnsCheck> {
  const labels = domain.split('.');
  const base = { check: 'dmarc' as const, type: 'TXT' as const, name: `_dmarc.${domain}`, expected: DEFAULT_DMARC };
  for (let i = 0; i <= labels.length - 2; i += 1) {
    const name = `_dmarc.${labels.slice(i).join('.')}`;
    const answer = await txtRecords(resolver, name);
    const records = answer.values.filter((v) => /^v=DMARC1(\s*;|\s*$)/i.test(v.trim()));
    if (answer.error) return { ...base, found: [], status: 'fail', detail: dnsTrouble(answer.error) };
    if (records.length === 0) continue;
    const inherited = i > 0 ? ` (inherited from ${labels.slice(i).join('.')})` : '';
    if (records.length > 1) return { ...base, name, found: records, status: 'fail', detail: `${records.length} DMARC records: receivers ignore them all`, fix: `Keep exactly one TXT record at ${name}` };
    const policy = /(?:^|;)\s*p\s*=\s*([a-z]+)/i.exec(records[0])?.[1]?.toLowerCase();
    if (!policy || !['none', 'quarantine', 'reject'].includes(policy)) {
      return { ...base, name, found: records, status: 'fail', detail: 'the DMARC record has no valid p= policy', fix: `Set p=none (to start), quarantine or reject in the TXT record at ${name}` };
    }
    if (policy === 'none') {
      return { ...base, name, found: records, status: 'pass', detail: `policy none${inherited}: monitoring only`, fix: 'Once aggregate reports (rua=) show only your own mail passing, move to p=quarantine, then p=reject.' };
    }
    return { ...base, name, found: records, status: 'pass', detail: `policy ${policy}${inherited}` };
  }
  return { ...base, found: [], status: 'fail', detail: 'no DMARC record', fix: `Add TXT _dmarc.${domain} "${DEFAULT_DMARC} rua=mailto:dmarc-reports@${domain}" (p=none to start; reports go to that mailbox)` };
}
