import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { checkDomainDns, type DnsCheck } from '../../domain/dns-checks.js';
import { parseDomain } from '../../domain/domain-name.js';
import { readEmailIdentity, toDomainIdentity, type DomainIdentity } from '../../domain/identity.js';
import { ERROR_TYPE_MEANING, domainStatus } from '../../domain/status.js';
import { check, skipped, type CheckRef, type DoctorCheck, type DoctorStatus } from './report.js';

/** The checks that follow from the sending identity, after `identity` itself; when it cannot be checked they are listed as not checked, so scripts always find their ids. */
export const IDENTITY_DEPENDENTS: CheckRef[] = [
  ['dkim', 'domain', 'DKIM'],
  ['mail-from', 'domain', 'MAIL FROM'],
  ['dns-dkim-1', 'domain', 'DKIM CNAME 1'],
  ['dns-dkim-2', 'domain', 'DKIM CNAME 2'],
  ['dns-dkim-3', 'domain', 'DKIM CNAME 3'],
  ['dns-mail-from-mx', 'domain', 'MAIL FROM MX record'],
  ['dns-spf', 'domain', 'SPF record'],
  ['dns-dmarc', 'domain', 'DMARC record'],
];

/** The sending identity as SES reports it: its IdentityType, and its state in the shape `domain check` reads. */
export interface SenderIdentity {
  /** EMAIL_ADDRESS, DOMAIN or MANAGED_DOMAIN (a domain AWS manages). */
  type?: string;
  identity: DomainIdentity;
}

/**
 * GetEmailIdentity, once; undefined when SES has no such identity. Read here rather than through
 * `domain check`'s reader, which refuses an email-address identity: doctor checks those too.
 */
export async function readSenderIdentity(ses: Pick<SESv2Client, 'send'>, name: string): Promise<SenderIdentity | undefined> {
  const out = await readEmailIdentity(ses, name);
  return out && { ...(out.IdentityType ? { type: out.IdentityType } : {}), identity: toDomainIdentity(name, out) };
}

export interface DnsOptions {
  /** Name servers to ask; the system's when absent. */
  servers?: string[];
  timeoutMs?: number;
}

/** SES's verification states, told apart: SUCCESS passes, a check still going on warns, one SES gave up on fails. */
function sesVerdict(status: string | undefined): DoctorStatus {
  if (status === 'SUCCESS') return 'pass';
  if (status === 'FAILED') return 'fail';
  return 'warn';
}

const WORD: Record<string, string> = { SUCCESS: 'verified', PENDING: 'pending', FAILED: 'failed', TEMPORARY_FAILURE: 'temporarily failing', NOT_STARTED: 'not started' };
const word = (status: string | undefined) => WORD[status ?? 'NOT_STARTED'] ?? status ?? 'unknown';

function dnsCheck(c: DnsCheck, index: number): DoctorCheck {
  const id = c.check === 'dkim' ? `dns-dkim-${index + 1}` : `dns-${c.check}`;
  const status: DoctorStatus = c.status === 'pass' ? 'pass' : c.status === 'skip' ? 'skip' : 'fail';
  const found = c.found.length > 0 ? `found ${c.found.join(', ')}` : undefined;
  return check(id, 'domain', status, `${c.type} ${c.name}: ${c.detail}`, { detail: found, fix: c.status === 'pass' && !c.fix ? undefined : c.fix });
}

/**
 * The engine's sending identity (the stack's SenderIdentity): verified for sending; for a domain
 * (its own or one AWS manages), its DKIM and MAIL FROM as SES sees them (pending and failed told
 * apart) and every record looked up live, through `domain check`'s own code.
 */
export async function identityChecks(region: string, name: string, sender: SenderIdentity | undefined, dns: DnsOptions): Promise<DoctorCheck[]> {
  if (!sender) {
    return [
      check('identity', 'domain', 'fail', `SES has no identity ${name} in ${region}: nothing can be sent from it`, { fix: name.includes('@') ? `Verify the address in the SES console (Identities → Create identity), or use a domain: \`mailengine domain verify ${name.split('@')[1]}\`.` : `Create it: \`mailengine domain verify ${name}\`, then publish the records it prints.` }),
      ...skipped(IDENTITY_DEPENDENTS, 'Not checked: there is no identity'),
    ];
  }
  const id = sender.identity;
  if (sender.type ? sender.type === 'EMAIL_ADDRESS' : name.includes('@')) {
    const checks = [
      id.verifiedForSending
        ? check('identity', 'domain', 'pass', `${name} (an email address) is verified for sending`)
        : check('identity', 'domain', 'fail', `${name} (an email address) is not verified (${word(id.verificationStatus)})`, { fix: `Click the link in the verification email SES sent to ${name}, or resend it from the SES console (Identities → ${name}).` }),
    ];
    checks.push(check('dkim', 'domain', 'skip', 'An email-address identity: DKIM and DNS records belong to its domain', { fix: `Verify the domain instead to sign with its own DKIM: \`mailengine domain verify ${name.split('@')[1] ?? name}\`.` }));
    return withEveryId(checks, 'Not checked: an email-address identity has no DNS records of its own');
  }
  const domain = parseDomain(name);
  const records = await checkDomainDns({ domain, dkimTokens: id.dkim.tokens, mailFromDomain: id.mailFrom?.domain, region, servers: dns.servers, timeoutMs: dns.timeoutMs });
  const rows = domainStatus(id, region).records;
  const meaning = (record: string) => rows.find((r) => r.record === record)?.meaning;
  const checks: DoctorCheck[] = [];

  const verification = id.verificationStatus;
  if (id.verifiedForSending && verification === 'SUCCESS') checks.push(check('identity', 'domain', 'pass', `${name} is verified for sending in ${region}`));
  else {
    const why = id.errorType && ERROR_TYPE_MEANING[id.errorType] ? `${id.errorType}: ${ERROR_TYPE_MEANING[id.errorType]}` : meaning('domain verification');
    checks.push(check('identity', 'domain', verification === 'FAILED' ? 'fail' : 'warn', `${name} is not verified for sending: verification ${word(verification)}`, { detail: why, fix: verification === 'FAILED' ? `Publish the DKIM records (the DNS checks below say which are wrong), then restart verification: \`mailengine domain verify ${name}\`.` : `Wait for SES to find the records (\`mailengine domain check ${name} --wait\`); the DNS checks below show what it will find.` }));
  }

  checks.push(dkimCheck(name, region, id, meaning('DKIM')));

  if (!id.mailFrom) {
    checks.push(check('mail-from', 'domain', 'skip', 'No custom MAIL FROM domain: mail goes out from amazonses.com and DMARC aligns through DKIM', { fix: `To align SPF too: \`mailengine domain verify ${name} --mail-from bounce.${name}\`.` }));
  } else {
    const status = id.mailFrom.status;
    checks.push(check('mail-from', 'domain', sesVerdict(status), `MAIL FROM ${id.mailFrom.domain} ${word(status)}`, { detail: meaning('MAIL FROM'), fix: status === 'SUCCESS' ? undefined : `Publish the MX and SPF records of ${id.mailFrom.domain} (the DNS checks below say which); \`mailengine domain check ${name} --wait\` follows until SES sees them.` }));
  }

  let dkimIndex = 0;
  for (const c of records.checks) checks.push(dnsCheck(c, c.check === 'dkim' ? dkimIndex++ : 0));
  return withEveryId(checks, (label) => (label === 'MAIL FROM MX record' ? 'Not checked: there is no custom MAIL FROM domain' : `Not checked: SES has issued no token for a ${label}`));
}

/** `checks` with each identity check it lacks listed as not checked, so scripts find every id whatever the identity. */
function withEveryId(checks: DoctorCheck[], why: string | ((label: string) => string)): DoctorCheck[] {
  const present = new Set(checks.map((c) => c.id));
  const missing = IDENTITY_DEPENDENTS.filter(([id]) => !present.has(id));
  return [...checks, ...missing.flatMap((ref) => skipped([ref], typeof why === 'string' ? why : why(ref[2] ?? ref[0])))];
}

/**
 * DKIM as SES sees it. Verified with signing turned off, mail goes out without the domain's
 * signature: DMARC can then pass only through SPF, which aligns only with a verified custom MAIL
 * FROM domain (and breaks when mail is forwarded), so that warns, and without one it fails.
 */
function dkimCheck(name: string, region: string, id: DomainIdentity, meaning: string | undefined): DoctorCheck {
  const dkim = id.dkim.status;
  const detail = [meaning, id.dkim.tokens.length ? `${id.dkim.tokens.length} CNAME records` : undefined].filter(Boolean).join('; ') || undefined;
  if (dkim === 'SUCCESS' && id.dkim.signingEnabled === false) {
    const spfAligns = id.mailFrom?.status === 'SUCCESS';
    return check('dkim', 'domain', spfAligns ? 'warn' : 'fail', `DKIM verified but signing is off: mail goes out without ${name}'s DKIM signature`, {
      detail: spfAligns
        ? `DMARC still passes through SPF on the MAIL FROM domain ${id.mailFrom?.domain}, but not for forwarded mail.`
        : 'Without a verified custom MAIL FROM domain, SPF does not align with the From domain either, so DMARC fails for every email.',
      fix: `Turn signing on: \`aws sesv2 put-email-identity-dkim-attributes --region ${region} --email-identity ${name} --signing-enabled\`, or in the SES console: Identities → ${name} → Authentication → DKIM → Edit → enable "DKIM signatures".`,
    });
  }
  const fix = dkim === 'FAILED' ? `SES stopped looking: fix the CNAMEs named below, then \`mailengine domain verify ${name}\` to start again.` : dkim === 'SUCCESS' ? undefined : `Publish the three CNAMEs \`mailengine domain verify ${name}\` prints; \`mailengine domain check ${name} --wait\` follows until SES sees them.`;
  return check('dkim', 'domain', sesVerdict(dkim), `DKIM ${word(dkim)}`, { detail, fix });
}
