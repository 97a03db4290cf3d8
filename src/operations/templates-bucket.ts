import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsClientFactory } from '../aws/clients.js';
import type { EngineLocator } from './engine-context.js';

/** The templates bucket a command works on, and how to name its home in messages. */
export interface TemplatesBucket {
  s3: S3Client;
  bucket: string;
  /** `of stack prod`, or `of the local engine mailengine`. */
  where: string;
}

/** The engine's templates bucket (a deployed stack's output, or the local stack's). */
export async function resolveTemplatesBucket(aws: AwsClientFactory, target: Pick<EngineLocator, 'title' | 'resources'>): Promise<TemplatesBucket> {
  const resources = await target.resources();
  return { s3: await aws.s3(), bucket: resources.templatesBucket, where: `of ${target.title}` };
}
