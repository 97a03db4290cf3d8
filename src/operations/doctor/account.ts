import type { AwsClientFactory } from '../../aws/clients.js';
import { isMailengineError } from '../../errors.js';
import { SANDBOX_LIMITS, type SesAccount } from '../../stack/ses-account.js';
import { check, type DoctorCheck } from './report.js';

/** The share of the 24-hour quota used above which doctor warns. */
export const QUOTA_WARN_SHARE = 0.8;

const PRODUCTION_ACCESS =
  'In the SES console (the region above): Account dashboard → "Request production access" — say what you send, to whom, and how you handle bounces and complaints (the engine suppresses them and pauses itself).';

/**
 * Region and credentials, from STS GetCallerIdentity: the one call every other check depends on.
 * A missing region or credentials is a failed check with the fix, never a stack trace.
 */
export async function accessChecks(aws: AwsClientFactory): Promise<{ checks: DoctorCheck[]; ok: boolean; region?: string }> {
  const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const sts = await aws.sts();
  const region = await sts.config.region().catch(() => undefined) ?? aws.settings.region;
  if (!region) {
    return {
      ok: false,
      checks: [
        check('region', 'access', 'fail', 'No AWS region is set', { fix: 'Pass --region, set "region" for the environment in mailengine.config.json, or set AWS_REGION.' }),
        check('credentials', 'access', 'skip', 'Not checked: it needs a region'),
      ],
    };
  }
  const regionCheck = check('region', 'access', 'pass', `Region ${region}`, { detail: aws.settings.profile ? `profile ${aws.settings.profile}` : undefined });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    return { ok: true, region, checks: [regionCheck, check('credentials', 'access', 'pass', `Credentials of ${out.Arn ?? '?'} (account ${out.Account ?? '?'})`)] };
  } catch (err) {
    if (!isMailengineError(err)) throw err;
    return { ok: false, region, checks: [regionCheck, check('credentials', 'access', 'fail', err.message, { fix: err.suggestion })] };
  }
}

/** The sandbox, the account's sending switch and enforcement status, and the 24-hour quota (SESv2 GetAccount). */
export function sesAccountChecks(ses: SesAccount, region: string): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  checks.push(
    ses.productionAccess
      ? check('ses-sandbox', 'ses', 'pass', `Production access in ${region}`)
      : check('ses-sandbox', 'ses', 'warn', `The SES account in ${region} is in the sandbox`, { detail: `In the sandbox ${SANDBOX_LIMITS.replace(/ Request production access.*$/, '')}`, fix: PRODUCTION_ACCESS }),
  );
  if (!ses.sendingEnabled) {
    checks.push(check('ses-sending', 'ses', 'fail', `Sending is disabled for the whole SES account in ${region}`, { detail: ses.enforcementStatus ? `enforcement status ${ses.enforcementStatus}` : undefined, fix: 'Read the notice AWS sent the account (and the SES console\'s Reputation metrics page); once resolved, re-enable sending: `aws sesv2 put-account-sending-attributes --sending-enabled`.' }));
  } else if (ses.enforcementStatus && ses.enforcementStatus !== 'HEALTHY') {
    const status = ses.enforcementStatus === 'SHUTDOWN' ? 'fail' : 'warn';
    checks.push(check('ses-sending', 'ses', status, `The SES account is under review: ${ses.enforcementStatus}`, { detail: 'SES puts an account on probation when its bounce or complaint rate is too high; it stops sending (SHUTDOWN) if that is not fixed.', fix: 'Open the SES console\'s Reputation metrics page and the case AWS opened, fix the cause (list hygiene, consent), and answer the case.' }));
  } else {
    checks.push(check('ses-sending', 'ses', 'pass', `Account sending enabled${ses.enforcementStatus ? `, ${ses.enforcementStatus}` : ''}`));
  }
  if (ses.max24HourSend === undefined || ses.sentLast24Hours === undefined) {
    checks.push(check('ses-quota', 'ses', 'warn', 'SES did not report the 24-hour quota'));
  } else {
    const max = ses.max24HourSend;
    const sent = ses.sentLast24Hours;
    const unlimited = max < 0;
    const share = unlimited || max === 0 ? 0 : sent / max;
    const summary = unlimited ? `${sent.toLocaleString('en-US')} sent in the last 24 h (no daily limit)` : `${sent.toLocaleString('en-US')} of ${max.toLocaleString('en-US')} sent in the last 24 h (${Math.round(share * 100)} %)`;
    const detail = ses.maxSendRate !== undefined ? `at most ${ses.maxSendRate} a second` : undefined;
    const raise = `Ask for a higher quota: Service Quotas console → Amazon SES → "Sending quota" (${region}), or in the SES console's Account dashboard.`;
    if (!unlimited && sent >= max) checks.push(check('ses-quota', 'ses', 'fail', `The 24-hour quota is used up: ${summary}`, { detail, fix: `Requests wait in the send queue until the window moves on. ${raise}` }));
    else if (share > QUOTA_WARN_SHARE) checks.push(check('ses-quota', 'ses', 'warn', `Near the 24-hour quota: ${summary}`, { detail, fix: raise }));
    else checks.push(check('ses-quota', 'ses', 'pass', summary, { detail }));
  }
  return checks;
}
