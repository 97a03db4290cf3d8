import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsClientFactory } from '../aws/clients.js';
import type { ResolvedSettings } from '../config/settings.js';
import { resolveEngineResources } from './engine-resources.js';

/** The templates bucket a command works on, and how to name its home in messages. */
export interface TemplatesBucket {
  s3: S3Client;
  bucket: string;
  /** `on the local stack`, or `of stack prod`. */
  where: string;
  local: boolean;
}

/** The deployed engine's bucket (from the stack outputs), or with `--local` the local stack's. */
export async function resolveTemplatesBucket(aws: AwsClientFactory, settings: ResolvedSettings, cwd: string): Promise<TemplatesBucket> {
  const engine = await resolveEngineResources(aws, settings, cwd);
  return {
    s3: await aws.s3(),
    bucket: engine.templatesBucket,
    where: engine.local ? 'on the local stack' : `of stack ${engine.stackName}`,
    local: engine.local,
  };
}
