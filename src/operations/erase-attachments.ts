import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorName, httpStatus } from '../aws/error-names.js';

/** Where an engine keeps attachments: its bucket (under `attachments/`), and a client for it. */
export interface AttachmentBucket {
  s3: Pick<S3Client, 'send'>;
  bucket: string;
}

/** Old versions of deleted attachments last this long under the bucket's lifecycle rule (cfn/mailengine.yaml). */
export const ATTACHMENT_VERSION_DAYS = 1;

export const ATTACHMENT_VERSIONS_NOTE = `Deleted attachments stay in the bucket as old object versions for up to ${ATTACHMENT_VERSION_DAYS} day (the attachments lifecycle rule), then S3 removes them.`;

const isMissing = (err: unknown) => httpStatus(err) === 404 || awsErrorName(err) === 'NotFound' || awsErrorName(err) === 'NoSuchKey';

/**
 * The attachment keys that records name and that are still in the bucket. The records carry their
 * keys (the Sender writes them when it claims a request), so nothing is listed or scanned.
 */
export async function remainingAttachments(where: AttachmentBucket, keys: Iterable<string>): Promise<string[]> {
  const unique = [...new Set(keys)];
  const present = await Promise.all(
    unique.map(async (key) => {
      try {
        await where.s3.send(new HeadObjectCommand({ Bucket: where.bucket, Key: key }));
        return true;
      } catch (err) {
        if (isMissing(err)) return false;
        throw err;
      }
    }),
  );
  return unique.filter((_, i) => present[i]);
}

/** Deletes the given attachment objects; returns how many. */
export async function deleteAttachments(where: AttachmentBucket, keys: string[]): Promise<number> {
  for (const key of keys) await where.s3.send(new DeleteObjectCommand({ Bucket: where.bucket, Key: key }));
  return keys.length;
}
