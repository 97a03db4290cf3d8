import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { checkDomain } from '../../domain/check.js';
import type { DnsCheck } from '../../domain/dns-checks.js';
import { ERROR_TYPE_MEANING, domainStatus } from '../../domain/status.js';
import type { SesIdentity } from '../../stack/ses-account.js';
import { check, type DoctorCheck, type DoctorStatus } from './report.js';

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

function dnsCheck(c: DnsCheck, index: number, ofKind: number): DoctorCheck {
  const id = c.check === 'dkim' && ofKind > 1 ? `dns-dkim-${index + 1}` : `dns-${c.check}`;
  const status: DoctorStatus = c.status === 'pass' ? 'pass' : c.status === 'skip' ? 'skip' : 'fail';
  const found = c.found.length > 0 ? `found ${c.found.join(', ')}` : undefined;
  return check(id, 'domain', status, `${c.type} ${c.name}: ${c.detail}`, { detail: found, fix: c.status === 'pass' && !c.fix ? undefined : c.fix });
}

/**
 * The engine's sending identity (the stack's SenderIdentity): verified for sending; for a domain,
 * its DKIM and MAIL FROM as SES sees them (pending and failed told apart) and every record looked
 * up live, through `domain check`'s own code.
 */
export async function identityChecks(ses: Pick<SESv2Client, 'send'>, region: string, identity: SesIdentity, dns: DnsOptions): Promise<DoctorCheck[]> {
  const name = identity.name;
  if (!identity.exists) {
    return [
      check('identity', 'domain', 'fail', `SES has no identity ${name} in ${region}: nothing can be sent from it`, { fix: name.includes('@') ? `Verify the address in the SES console (Identities → Create identity), or use a domain: \`mailengine domain verify ${name.split('@')[1]}\`.` : `Create it: \`mailengine domain verify ${name}\`, then publish the records it prints.` }),
    ];
  }
  if (identity.type && identity.type !== 'DOMAIN') {
    const checks = [
      identity.verifiedForSending
        ? check('identity', 'domain', 'pass', `${name} (an email address) is verified for sending`)
        : check('identity', 'domain', 'fail', `${name} (an email address) is not verified (${word(identity.verificationStatus)})`, { fix: `Click the link in the verification email SES sent to ${name}, or resend it from the SES console (Identities → ${name}).` }),
    ];
    checks.push(check('dkim', 'domain', 'skip', 'An email-address identity: DKIM and DNS records belong to its domain', { fix: `Verify the domain instead to sign with its own DKIM: \`mailengine domain verify ${name.split('@')[1] ?? name}\`.` }));
    return checks;
  }
  const result = await checkDomain(ses, region, name, { servers: dns.servers, dnsTimeoutMs: dns.timeoutMs });
  const id = result.ses.identity;
  const rows = domainStatus(id, region).records;
  const meaning = (record: string) => rows.find((r) => r.record === record)?.meaning;
  const checks: DoctorCheck[] = [];

  const verification = id.verificationStatus;
  if (id.verifiedForSending && verification === 'SUCCESS') checks.push(check('identity', 'domain', 'pass', `${name} is verified for sending in ${region}`));
  else {
    const why = id.errorType && ERROR_TYPE_MEANING[id.errorType] ? `${id.errorType}: ${ERROR_TYPE_MEANING[id.errorType]}` : meaning('domain verification');
    checks.push(check('identity', 'domain', verification === 'FAILED' ? 'fail' : 'warn', `${name} is not verified for sending: verification ${word(verification)}`, { detail: why, fix: verification === 'FAILED' ? `Publish the DKIM records (the DNS checks below say which are wrong), then restart verification: \`mailengine domain verify ${name}\`.` : `Wait for SES to find the records (\`mailengine domain check ${name} --wait\`); the DNS checks below show what it will find.` }));
  }

  const dkim = id.dkim.status;
  const dkimFix = dkim === 'FAILED' ? `SES stopped looking: fix the CNAMEs named below, then \`mailengine domain verify ${name}\` to start again.` : dkim === 'SUCCESS' ? undefined : `Publish the three CNAMEs \`mailengine domain verify ${name}\` prints; \`mailengine domain check ${name} --wait\` follows until SES sees them.`;
  checks.push(check('dkim', 'domain', sesVerdict(dkim), `DKIM ${word(dkim)}${dkim === 'SUCCESS' && id.dkim.signingEnabled === false ? ' but signing is off' : ''}`, { detail: [meaning('DKIM'), id.dkim.tokens.length ? `${id.dkim.tokens.length} CNAME records` : undefined].filter(Boolean).join('; ') || undefined, fix: dkimFix }));

  if (!id.mailFrom) {
    checks.push(check('mail-from', 'domain', 'skip', 'No custom MAIL FROM domain: mail goes out from amazonses.com and DMARC aligns through DKIM', { fix: `To align SPF too: \`mailengine domain verify ${name} --mail-from bounce.${name}\`.` }));
  } else {
    const status = id.mailFrom.status;
    checks.push(check('mail-from', 'domain', sesVerdict(status), `MAIL FROM ${id.mailFrom.domain} ${word(status)}`, { detail: meaning('MAIL FROM'), fix: status === 'SUCCESS' ? undefined : `Publish the MX and SPF records of ${id.mailFrom.domain} (the DNS checks below say which); \`mailengine domain check ${name} --wait\` follows until SES sees them.` }));
  }

  const dkimCount = result.dns.checks.filter((c) => c.check === 'dkim').length;
  let dkimIndex = 0;
  for (const c of result.dns.checks) checks.push(dnsCheck(c, c.check === 'dkim' ? dkimIndex++ : 0, c.check === 'dkim' ? dkimCount : 1));
  return checks;
}
