import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { IoHost } from '../io/io-host.js';
import type { LocalEndpoints } from '../model/local-stack.js';
import type { AwsClientFactory } from '../aws/clients.js';

export interface Identity {
  account: string;
  arn: string;
  userId: string;
  region: string | null;
  profile: string | null;
}

/** What `--local` acts as: no AWS account, the local stack's endpoints and the key its emulators take. */
export interface LocalIdentity {
  local: true;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  endpoints: LocalEndpoints;
}

/** Who the resolved credentials belong to: the first thing to check when anything is denied (STS GetCallerIdentity). */
export async function callerIdentity(aws: AwsClientFactory, io: IoHost): Promise<Identity> {
  const progress = io.progress('whoami.lookup', 'Asking AWS who these credentials belong to');
  try {
    const sts = await aws.sts();
    const out = await sts.send(new GetCallerIdentityCommand({}));
    return {
      account: out.Account ?? '',
      arn: out.Arn ?? '',
      userId: out.UserId ?? '',
      region: (await sts.config.region()) ?? aws.settings.region ?? null,
      profile: aws.settings.profile ?? null,
    };
  } finally {
    progress.stop();
  }
}
