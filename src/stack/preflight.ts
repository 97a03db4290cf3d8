import type { AwsClientFactory } from '../aws/clients.js';
import { ExitCode, MailengineError, isMailengineError } from '../errors.js';
import { say, type IoHost } from '../io/io-host.js';
import type { MessageCode } from '../io/message-codes.js';
import { SANDBOX_LIMITS, readSesAccount, readSesIdentity, type SesAccount, type SesIdentity } from './ses-account.js';

export interface PreflightResult {
  ses?: SesAccount;
  identity?: SesIdentity;
  warnings: string[];
}

/**
 * What is worth knowing before a deploy: is SES ready to send as this identity, and at what rate.
 * Only a missing identity stops the deploy (it is almost always a typo); everything else is a
 * warning, because the engine can be installed before DNS or production access come through.
 * Checks that are denied are skipped with a warning: deploy needs CloudFormation rights, not SES
 * read rights.
 */
export async function preflight(aws: AwsClientFactory, io: IoHost, input: { region: string; senderIdentity?: string; sendConcurrency?: string }): Promise<PreflightResult> {
  const warnings: string[] = [];
  const warn = (code: MessageCode, message: string) => {
    warnings.push(message);
    say.warn(io, code, message);
  };
  // Credentials and the network fail the deploy itself (exit 3); any other refusal of a read only
  // means the check could not be made, and is said as SES said it, not as a missing stack.
  const skipped = (what: string, err: unknown) => {
    if (!isMailengineError(err) || (err.exitCode === ExitCode.Environment && err.code !== 'ACCESS_DENIED')) throw err;
    const answer = err.code === 'ACCESS_DENIED' ? err.message : `SES answered ${String(err.details?.awsError ?? err.code)}${err.details?.httpStatusCode ? ` (HTTP ${String(err.details.httpStatusCode)})` : ''}`;
    warn('deploy.preflight.skipped', `Could not check ${what}: ${answer}. The deploy goes on without this check.`);
  };

  let ses: SesAccount | undefined;
  try {
    ses = await readSesAccount(aws);
  } catch (err) {
    skipped('the SES account', err);
  }
  if (ses) {
    if (!ses.productionAccess) warn('deploy.preflight.sandbox', `Your SES account in ${input.region} is in the sandbox: ${SANDBOX_LIMITS}`);
    if (!ses.sendingEnabled) warn('deploy.preflight.sending-disabled', `Sending is switched off for your whole SES account in ${input.region}; no email will go out until it is on again.`);
    if (ses.enforcementStatus && ses.enforcementStatus !== 'HEALTHY') {
      warn('deploy.preflight.enforcement', `SES has your account in ${input.region} under ${ses.enforcementStatus}: check the SES console's reputation page.`);
    }
    const concurrency = Number(input.sendConcurrency);
    if (ses.maxSendRate !== undefined && Number.isFinite(concurrency) && concurrency > ses.maxSendRate) {
      const suggested = Math.max(2, Math.floor(ses.maxSendRate));
      warn(
        'deploy.preflight.send-rate',
        `SendConcurrency ${concurrency} is above your SES maximum send rate of ${ses.maxSendRate} per second: sends beyond it are throttled and retried. --parameters SendConcurrency=${suggested} keeps within it.`,
      );
    }
  }

  let identity: SesIdentity | undefined;
  if (input.senderIdentity) {
    try {
      identity = await readSesIdentity(aws, input.senderIdentity);
    } catch (err) {
      skipped(`the SES identity ${input.senderIdentity}`, err);
    }
    if (identity && !identity.exists) {
      throw new MailengineError('IDENTITY_NOT_FOUND', `There is no SES identity ${input.senderIdentity} in ${input.region}, so the engine could not send as it.`, {
        exitCode: ExitCode.NotFound,
        suggestion: `Nothing was changed. Create it first — \`mailengine domain verify ${input.senderIdentity} --region ${input.region}\` for a domain, \`aws sesv2 create-email-identity --email-identity ${input.senderIdentity} --region ${input.region}\` for one address — or correct it with --parameters SenderIdentity=….`,
      });
    }
    if (identity && !identity.verifiedForSending) {
      warn(
        'deploy.preflight.identity-unverified',
        `The SES identity ${identity.name} is not verified yet (${identity.verificationStatus ?? 'unknown status'}): emails fail with MessageRejected until it is. ${identity.type === 'EMAIL_ADDRESS' ? 'Click the link in the verification email SES sent.' : 'Add the DKIM records SES shows for it to your DNS.'}`,
      );
    }
  }
  return { ...(ses ? { ses } : {}), ...(identity ? { identity } : {}), warnings };
}
