import type { AwsClientFactory } from '../aws/clients.js';
import { MailengineError } from '../errors.js';

export interface VersionEntry {
  Key: string;
  VersionId?: string;
  Size?: number;
}

/** Every object version and delete marker under a prefix (the whole bucket without one), up to `limit`. */
export async function listAllVersions(aws: AwsClientFactory, bucket: string, options: { prefix?: string; owner?: string; limit?: number } = {}): Promise<VersionEntry[]> {
  const { ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
  const s3 = await aws.s3();
  const entries: VersionEntry[] = [];
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: options.prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker, ExpectedBucketOwner: options.owner }),
    );
    for (const v of page.Versions ?? []) if (v.Key) entries.push({ Key: v.Key, VersionId: v.VersionId, Size: v.Size });
    for (const m of page.DeleteMarkers ?? []) if (m.Key) entries.push({ Key: m.Key, VersionId: m.VersionId, Size: 0 });
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker && entries.length < (options.limit ?? Infinity));
  return entries;
}

/**
 * Deletes every version and delete marker under a prefix. A versioned bucket is only empty (and
 * deletable, by us or by CloudFormation) once its old versions are gone too.
 */
export async function deleteAllVersions(aws: AwsClientFactory, bucket: string, options: { prefix?: string; owner?: string } = {}): Promise<number> {
  const { DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
  const s3 = await aws.s3();
  const entries = await listAllVersions(aws, bucket, options);
  for (let i = 0; i < entries.length; i += 1000) {
    const batch = entries.slice(i, i + 1000).map(({ Key, VersionId }) => ({ Key, VersionId }));
    const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, ExpectedBucketOwner: options.owner, Delete: { Objects: batch, Quiet: true } }));
    if (out.Errors?.length) {
      const first = out.Errors[0];
      throw new MailengineError('BUCKET_EMPTY_FAILED', `Could not delete ${out.Errors.length} object version(s) from ${bucket}; the first, ${first.Key}: ${first.Message} (${first.Code}).`, {
        suggestion: 'Check that your credentials may call s3:DeleteObject and s3:DeleteObjectVersion on it, then run the command again.',
      });
    }
  }
  return entries.length;
}
