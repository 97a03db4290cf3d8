import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { ResolvedSettings } from '../config/settings.js';
import type { AwsClientFactory } from './clients.js';

export interface Identity {
  account: string;
  arn: string;
  userId: string;
  region: string | null;
  profile: string | null;
}

/** Who the resolved credentials belong to: the first thing to check when anything is denied. */
export async function whoAmI(aws: AwsClientFactory, settings: ResolvedSettings): Promise<Identity> {
  const sts = await aws.sts();
  const out = await sts.send(new GetCallerIdentityCommand({}));
  return {
    account: out.Account ?? '',
    arn: out.Arn ?? '',
    userId: out.UserId ?? '',
    region: (await sts.config.region()) ?? settings.region ?? null,
    profile: settings.profile ?? null,
  };
}
