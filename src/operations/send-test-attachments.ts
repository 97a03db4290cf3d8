import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { basename } from 'node:path';
import { usageError } from '../errors.js';
import { say, type IoHost } from '../io/io-host.js';
import { ATTACHMENTS_PREFIX, MAX_ATTACHMENTS, MAX_MESSAGE_BYTES, encodedSize, unsupportedExtension, type RequestAttachment } from '../model/attachments.js';
import { mediaTypeOf } from '../util/media-type.js';

/** A file given with `send --test --attach [cid=]file`, as the shell read it. */
export interface LocalAttachment {
  /** The path as the user gave it (for messages). */
  path: string;
  /** Given with `cid=file`: sent inline under this content id. */
  contentId?: string;
  bytes: Uint8Array;
}

/** A file to upload, and how the request names it. */
export interface TestAttachment {
  request: RequestAttachment;
  bytes: Uint8Array;
}

/** `logo=./logo.png` → inline under content id `logo`; `./invoice.pdf` → an attachment. */
export function parseAttachSpec(spec: string): { path: string; contentId?: string } {
  const match = /^([A-Za-z0-9._-]{1,78})=(.+)$/.exec(spec);
  return match ? { contentId: match[1], path: match[2] } : { path: spec };
}

/**
 * What `send --test --attach` will upload and name in the request: each file under
 * `attachments/<emailId>/`, deleted by the engine once sent. A file SES would refuse, or more
 * than SES takes in all, is a usage error before anything is uploaded.
 */
export function planTestAttachments(files: LocalAttachment[], emailId: string): TestAttachment[] {
  if (files.length > MAX_ATTACHMENTS) throw usageError('ATTACH_TOO_MANY', `At most ${MAX_ATTACHMENTS} attachments per email (${files.length} given).`);
  const planned = files.map((file, i): TestAttachment => {
    const filename = basename(file.path).slice(-255);
    const ext = unsupportedExtension(filename);
    if (ext) {
      throw usageError('ATTACH_TYPE_UNSUPPORTED', `--attach ${file.path}: SES does not send .${ext} files.`, 'The engine would fail the email as attachment_type_unsupported; zip it or send another type.');
    }
    const contentType = mediaTypeOf(filename);
    return {
      request: {
        key: `${ATTACHMENTS_PREFIX}${emailId}/${i + 1}-${filename.replace(/[^A-Za-z0-9._-]/g, '_')}`,
        filename,
        ...(contentType ? { contentType } : {}),
        ...(file.contentId ? { disposition: 'inline' as const, contentId: file.contentId } : {}),
      },
      bytes: file.bytes,
    };
  });
  const total = planned.reduce((sum, a) => sum + encodedSize(a.bytes.length), 0);
  if (total > MAX_MESSAGE_BYTES) {
    throw usageError('ATTACH_TOO_LARGE', `The attachments are ${(total / 1024 / 1024).toFixed(1)} MB base64-encoded, over SES's 40 MB message limit.`, 'The engine would fail the email as attachment_too_large.');
  }
  return planned;
}

/** Uploads the files where the request says they are, as an app does before it publishes. */
export async function uploadTestAttachments(s3: Pick<S3Client, 'send'>, bucket: string, attachments: TestAttachment[], io: IoHost): Promise<void> {
  for (const { request, bytes } of attachments) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: request.key, Body: bytes, ...(request.contentType ? { ContentType: request.contentType } : {}) }));
    say.info(io, 'send.test.attachment-uploaded', `Uploaded ${request.filename} (${bytes.length} bytes) to s3://${bucket}/${request.key}`);
  }
}
