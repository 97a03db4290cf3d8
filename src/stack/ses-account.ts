import type { AwsClientFactory } from '../aws/clients.js';
import { readEmailIdentity } from '../domain/identity.js';

/** The SES account in one region, as `info` shows it and `deploy` checks it. */
export interface SesAccount {
  /** False: the sandbox (verified recipients only, 200 a day, 1 a second). */
  productionAccess: boolean;
  sendingEnabled: boolean;
  /** HEALTHY, PROBATION or SHUTDOWN. */
  enforcementStatus?: string;
  maxSendRate?: number;
  max24HourSend?: number;
  sentLast24Hours?: number;
}

export interface SesIdentity {
  name: string;
  exists: boolean;
  type?: string;
  verifiedForSending: boolean;
  /** PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE or NOT_STARTED. */
  verificationStatus?: string;
  dkimStatus?: string;
}

export async function readSesAccount(aws: AwsClientFactory): Promise<SesAccount> {
  const { GetAccountCommand } = await import('@aws-sdk/client-sesv2');
  const out = await (await aws.sesv2()).send(new GetAccountCommand({}));
  return {
    productionAccess: out.ProductionAccessEnabled === true,
    sendingEnabled: out.SendingEnabled !== false,
    ...(out.EnforcementStatus ? { enforcementStatus: out.EnforcementStatus } : {}),
    ...(out.SendQuota?.MaxSendRate !== undefined ? { maxSendRate: out.SendQuota.MaxSendRate } : {}),
    ...(out.SendQuota?.Max24HourSend !== undefined ? { max24HourSend: out.SendQuota.Max24HourSend } : {}),
    ...(out.SendQuota?.SentLast24Hours !== undefined ? { sentLast24Hours: out.SendQuota.SentLast24Hours } : {}),
  };
}

export async function readSesIdentity(aws: AwsClientFactory, name: string): Promise<SesIdentity> {
  const out = await readEmailIdentity(await aws.sesv2(), name);
  if (!out) return { name, exists: false, verifiedForSending: false };
  return {
    name,
    exists: true,
    ...(out.IdentityType ? { type: out.IdentityType } : {}),
    verifiedForSending: out.VerifiedForSendingStatus === true,
    ...(out.VerificationStatus ? { verificationStatus: out.VerificationStatus } : {}),
    ...(out.DkimAttributes?.Status ? { dkimStatus: out.DkimAttributes.Status } : {}),
  };
}

export const SANDBOX_LIMITS =
  'it can send only to verified addresses and the SES mailbox simulator, at most 200 emails in 24 hours and 1 per second. Request production access in the SES console (Account dashboard, "Request production access").';
