import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { LOCAL_REGION, type ResolvedSettings } from '../config/settings.js';
import type { IoHost } from '../io/io-host.js';
import { LOCAL_CREDENTIALS, type LocalEndpoints } from '../model/local-stack.js';
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

/**
 * Who the resolved credentials belong to: the first thing to check when anything is denied.
 * With `--local` there is no AWS account to ask (and no STS emulator): the answer is the local
 * stack's endpoints and credentials, given without a network call.
 */
export async function whoAmI(aws: AwsClientFactory, settings: ResolvedSettings, io: IoHost): Promise<Identity | LocalIdentity> {
  const local = aws.settings.local;
  if (local) {
    return { local: true, region: settings.region ?? LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, endpoints: { dynamodb: local.dynamodb, s3: local.s3, sesv2: local.sesv2, eventbridge: local.eventbridge } };
  }
  const progress = io.progress('whoami.lookup', 'Asking AWS who these credentials belong to');
  try {
    const sts = await aws.sts();
    const out = await sts.send(new GetCallerIdentityCommand({}));
    const identity: Identity = {
      account: out.Account ?? '',
      arn: out.Arn ?? '',
      userId: out.UserId ?? '',
      region: (await sts.config.region()) ?? settings.region ?? null,
      profile: settings.profile ?? null,
    };
    progress.stop();
    return identity;
  } catch (err) {
    progress.stop();
    throw err;
  }
}
