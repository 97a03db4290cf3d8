import type { GetEmailIdentityCommandOutput, SESv2Client } from '@aws-sdk/client-sesv2';
import { ExitCode, MailengineError, isMailengineError } from '../errors.js';

/** A domain identity in SES, reduced to what the domain commands show. */
export interface DomainIdentity {
  domain: string;
  /** PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE or NOT_STARTED. */
  verificationStatus?: string;
  verifiedForSending: boolean;
  /** Why the last verification failed (VerificationInfo.ErrorType). */
  errorType?: string;
  lastCheckedAt?: string;
  lastSuccessAt?: string;
  dkim: { status?: string; signingEnabled?: boolean; tokens: string[]; origin?: string };
  mailFrom?: { domain: string; status?: string; behaviorOnMxFailure?: string };
}

type Ses = Pick<SESv2Client, 'send'>;

/** The AWS error name, whether the client translated the error (the factory's clients) or not. */
const awsErrorOf = (err: unknown) => (isMailengineError(err) ? err.details?.awsError : (err as { name?: string } | undefined)?.name);

/**
 * Creates the identity with Easy DKIM (SES generates the key pair and three CNAME tokens) and, if
 * asked, a custom MAIL FROM domain. An identity that already exists is not an error: its current
 * records are returned, so `domain verify` can be run again to print them.
 */
export async function createDomainIdentity(ses: Ses, domain: string, region: string, options: { mailFrom?: string }): Promise<{ identity: DomainIdentity; created: boolean }> {
  const { CreateEmailIdentityCommand, PutEmailIdentityMailFromAttributesCommand } = await import('@aws-sdk/client-sesv2');
  let created = true;
  try {
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: domain }));
  } catch (err) {
    if (awsErrorOf(err) !== 'AlreadyExistsException') throw err;
    created = false;
  }
  if (options.mailFrom) {
    // USE_DEFAULT_VALUE: until the MX record is in place, mail still goes out from amazonses.com.
    await ses.send(new PutEmailIdentityMailFromAttributesCommand({ EmailIdentity: domain, MailFromDomain: options.mailFrom, BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' }));
  }
  return { identity: await readDomainIdentity(ses, domain, region), created };
}

/** SESv2 GetEmailIdentity for any identity (domain or address); undefined when SES has none by that name. */
export async function readEmailIdentity(ses: Ses, name: string): Promise<GetEmailIdentityCommandOutput | undefined> {
  const { GetEmailIdentityCommand } = await import('@aws-sdk/client-sesv2');
  try {
    return await ses.send(new GetEmailIdentityCommand({ EmailIdentity: name }));
  } catch (err) {
    if (awsErrorOf(err) === 'NotFoundException') return undefined;
    throw err;
  }
}

/** GetEmailIdentity; an unknown domain is exit 4 with the command that creates it. */
export async function readDomainIdentity(ses: Ses, domain: string, region: string): Promise<DomainIdentity> {
  const out = await readEmailIdentity(ses, domain);
  if (!out) {
    throw new MailengineError('DOMAIN_NOT_FOUND', `SES has no identity for ${domain} in ${region}.`, {
      exitCode: ExitCode.NotFound,
      suggestion: `Create it with \`mailengine domain verify ${domain}\` (identities belong to one region: check --region).`,
    });
  }
  if (out.IdentityType && !isDomainIdentityType(out.IdentityType)) {
    throw new MailengineError('NOT_A_DOMAIN_IDENTITY', `${domain} is an SES ${out.IdentityType} identity, not a domain.`, { exitCode: ExitCode.Usage });
  }
  return toDomainIdentity(domain, out);
}

/** DOMAIN, or MANAGED_DOMAIN (a domain AWS manages): both have DKIM, MAIL FROM and DNS records. */
export function isDomainIdentityType(type: string | undefined): boolean {
  return type === 'DOMAIN' || type === 'MANAGED_DOMAIN';
}

/** GetEmailIdentity's answer reduced to what the domain commands and doctor read. */
export function toDomainIdentity(domain: string, out: GetEmailIdentityCommandOutput): DomainIdentity {
  const mail = out.MailFromAttributes;
  return {
    domain,
    verificationStatus: out.VerificationStatus,
    verifiedForSending: out.VerifiedForSendingStatus === true,
    ...(out.VerificationInfo?.ErrorType ? { errorType: out.VerificationInfo.ErrorType } : {}),
    ...(out.VerificationInfo?.LastCheckedTimestamp ? { lastCheckedAt: new Date(out.VerificationInfo.LastCheckedTimestamp).toISOString() } : {}),
    ...(out.VerificationInfo?.LastSuccessTimestamp ? { lastSuccessAt: new Date(out.VerificationInfo.LastSuccessTimestamp).toISOString() } : {}),
    dkim: {
      status: out.DkimAttributes?.Status,
      signingEnabled: out.DkimAttributes?.SigningEnabled,
      tokens: out.DkimAttributes?.Tokens ?? [],
      origin: out.DkimAttributes?.SigningAttributesOrigin,
    },
    ...(mail?.MailFromDomain ? { mailFrom: { domain: mail.MailFromDomain, status: mail.MailFromDomainStatus, behaviorOnMxFailure: mail.BehaviorOnMxFailure } } : {}),
  };
}
