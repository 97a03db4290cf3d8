import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { parseDomain, parseMailFrom } from './domain-name.js';
import { createDomainIdentity, type DomainIdentity } from './identity.js';
import { dnsRecordsFor, missingDkim, type DnsRecord } from './records.js';

export interface VerifyResult {
  domain: string;
  region: string;
  /** False when the identity already existed; its records are shown all the same. */
  created: boolean;
  identity: DomainIdentity;
  records: DnsRecord[];
  /** Set when SES gave no DKIM tokens, so no DKIM record could be listed: why, and what to do. */
  dkimWarning?: string;
}

/** `domain verify`: the identity with Easy DKIM (and a custom MAIL FROM), and the DNS records to add. */
export async function verifyDomain(ses: Pick<SESv2Client, 'send'>, region: string, rawDomain: string, options: { mailFrom?: string }): Promise<VerifyResult> {
  const domain = parseDomain(rawDomain);
  const mailFrom = options.mailFrom ? parseMailFrom(options.mailFrom, domain) : undefined;
  const { identity, created } = await createDomainIdentity(ses, domain, region, { mailFrom });
  const records = dnsRecordsFor({ domain, dkimTokens: identity.dkim.tokens, mailFromDomain: identity.mailFrom?.domain }, region);
  const dkimWarning = missingDkim(identity);
  return { domain, region, created, identity, records, ...(dkimWarning ? { dkimWarning } : {}) };
}
