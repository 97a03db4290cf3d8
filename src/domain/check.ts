import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { checkDomainDns, type DnsReport } from './dns-checks.js';
import { parseDomain } from './domain-name.js';
import { readDomainIdentity } from './identity.js';
import { domainStatus, fullyVerified, type DomainStatus } from './status.js';
import { pollUntil, type PollOptions } from './wait.js';

export interface CheckResult {
  domain: string;
  region: string;
  dns: DnsReport;
  ses: DomainStatus;
  /** Every DNS check passes and SES has verified the domain, DKIM and MAIL FROM. */
  verified: boolean;
  /** With --wait: whether it got there before the timeout, and how many rounds it took. */
  waited?: { done: boolean; attempts: number };
}

export interface CheckOptions {
  servers?: string[];
  dnsTimeoutMs?: number;
  /** Poll until verified (or the timeout in `wait.timeoutMs`). */
  wait?: PollOptions;
}

/**
 * `domain check`: reads the identity from SES (for its DKIM tokens and MAIL FROM domain) and looks
 * the records up live. With `wait`, repeats both until everything passes.
 */
export async function checkDomain(ses: Pick<SESv2Client, 'send'>, region: string, rawDomain: string, options: CheckOptions): Promise<CheckResult> {
  const domain = parseDomain(rawDomain);
  const once = async (): Promise<CheckResult> => {
    const identity = await readDomainIdentity(ses, domain, region);
    const dns = await checkDomainDns({ domain, dkimTokens: identity.dkim.tokens, mailFromDomain: identity.mailFrom?.domain, region, servers: options.servers, timeoutMs: options.dnsTimeoutMs });
    return { domain, region, dns, ses: domainStatus(identity, region), verified: dns.ok && fullyVerified(identity) };
  };
  if (!options.wait) return once();
  const polled = await pollUntil(async () => {
    const value = await once();
    return { done: value.verified, value };
  }, options.wait);
  return { ...polled.value, waited: { done: polled.done, attempts: polled.attempts } };
}
