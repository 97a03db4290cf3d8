import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { ExitCode, MailengineError } from '../errors.js';

/**
 * The region the SES client resolved (flag, config, AWS_REGION or the profile). Identities and the
 * MAIL FROM feedback endpoint are regional, so every domain command names it.
 */
export async function sesRegion(ses: SESv2Client): Promise<string> {
  try {
    const region = await ses.config.region();
    if (region) return region;
  } catch {
    // fall through to the same error as an empty region
  }
  throw new MailengineError('REGION_MISSING', 'No AWS region is set.', {
    exitCode: ExitCode.Environment,
    suggestion: 'Pass --region, set "region" for the environment in mailengine.config.json, or set AWS_REGION. SES identities belong to one region.',
  });
}
