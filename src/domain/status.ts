import type { DomainIdentity } from './identity.js';
import { dkimRecord, feedbackMxHost, missingDkim } from './records.js';

/** One row of `domain status`: a record (or the identity itself) and what SES says about it. */
export interface RecordState {
  record: string;
  type?: 'CNAME' | 'MX' | 'TXT';
  name?: string;
  /** SES's status: SUCCESS, PENDING, FAILED, TEMPORARY_FAILURE or NOT_STARTED. */
  status: string;
  /** VerificationInfo.ErrorType, on the rows it concerns, when the last check failed. */
  errorType?: string;
  meaning?: string;
}

export interface DomainStatus {
  domain: string;
  verified: boolean;
  records: RecordState[];
  identity: DomainIdentity;
}

/** What each VerificationInfo.ErrorType means and what to do about it. */
export const ERROR_TYPE_MEANING: Record<string, string> = {
  SERVICE_ERROR: 'SES had an internal problem checking the records; it tries again on its own.',
  DNS_SERVER_ERROR: "The domain's name servers did not answer SES (timeout or SERVFAIL): check them with your DNS provider.",
  HOST_NOT_FOUND: 'SES found no record at that name: add the records `mailengine domain verify` prints.',
  TYPE_NOT_FOUND: 'The name exists, but not with the record type SES looks for (CNAME for DKIM).',
  INVALID_VALUE: 'The record exists but its value is wrong: compare it with `mailengine domain verify --json`.',
  REPLICATION_ACCESS_DENIED: 'SES may not read the primary region identity this one replicates.',
  REPLICATION_PRIMARY_NOT_FOUND: 'The primary region identity this one replicates does not exist.',
  REPLICATION_PRIMARY_BYO_DKIM_NOT_SUPPORTED: 'The primary identity uses its own DKIM key, which replication does not support.',
  REPLICATION_REPLICA_AS_PRIMARY_NOT_SUPPORTED: 'A replica identity cannot be the primary of another.',
  REPLICATION_PRIMARY_INVALID_REGION: 'The primary region named for replication is not valid.',
};

const PENDING_MEANING: Record<string, string> = {
  PENDING: 'SES has not found the records yet; DNS changes can take up to 72 hours to be seen.',
  TEMPORARY_FAILURE: 'SES could not check this time and will try again.',
  NOT_STARTED: 'SES has not started checking.',
  FAILED: 'SES stopped checking after 72 hours without finding the records: fix them, then run `mailengine domain verify` again.',
};

/** Per-record state from GetEmailIdentity, with SES's error type where a check failed. */
export function domainStatus(identity: DomainIdentity, region: string): DomainStatus {
  const failing = (status: string | undefined) => status === 'FAILED' || status === 'TEMPORARY_FAILURE';
  const meaning = (status: string | undefined, errorType?: string) => (errorType && failing(status) ? ERROR_TYPE_MEANING[errorType] : status ? PENDING_MEANING[status] : undefined);
  const errorFor = (status: string | undefined) => (failing(status) && identity.errorType ? { errorType: identity.errorType } : {});
  const rows: RecordState[] = [];
  const verification = identity.verificationStatus ?? 'NOT_STARTED';
  rows.push({ record: 'domain verification', status: verification, ...errorFor(verification), meaning: meaning(verification, identity.errorType) });
  // SES reports one DKIM status for the three CNAMEs together: each row shows it.
  for (const token of identity.dkim.tokens) {
    const r = dkimRecord(identity.domain, token);
    const status = identity.dkim.status ?? 'NOT_STARTED';
    rows.push({ record: 'DKIM', type: r.type, name: r.name, status, ...errorFor(status), meaning: meaning(status, identity.errorType) });
  }
  // No tokens: still a DKIM row, saying why there is nothing to check.
  const noTokens = missingDkim(identity);
  if (noTokens) rows.push({ record: 'DKIM', status: identity.dkim.status ?? 'NOT_STARTED', ...errorFor(identity.dkim.status), meaning: noTokens });
  if (identity.mailFrom) {
    const status = identity.mailFrom.status ?? 'PENDING';
    const mxMeaning = status === 'SUCCESS' ? undefined : `SES looks for MX 10 ${feedbackMxHost(region)} at ${identity.mailFrom.domain}; until then mail goes out from amazonses.com (${identity.mailFrom.behaviorOnMxFailure ?? 'USE_DEFAULT_VALUE'}).`;
    rows.push({ record: 'MAIL FROM', type: 'MX', name: identity.mailFrom.domain, status, meaning: mxMeaning });
  }
  return { domain: identity.domain, verified: verification === 'SUCCESS' && identity.verifiedForSending, records: rows, identity };
}

/** Verified for sending, DKIM signing, and the custom MAIL FROM (when there is one) in place. */
export function fullyVerified(identity: DomainIdentity): boolean {
  return identity.verifiedForSending && identity.verificationStatus === 'SUCCESS' && identity.dkim.status === 'SUCCESS' && (!identity.mailFrom || identity.mailFrom.status === 'SUCCESS');
}
