import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Attachment } from '@aws-sdk/client-sesv2';
import { awsErrorName, httpStatus } from '../aws/error-names.js';
import { ATTACHMENTS_PREFIX, MAX_MESSAGE_BYTES, encodedSize, unsupportedExtension, type RequestAttachment } from '../model/attachments.js';
import { ERROR_TYPES, PermanentFailure } from '../model/error-types.js';
import type { EngineLogger } from './status-events.js';

export interface AttachmentSourceOptions {
  /** The engine's bucket; attachments live under ATTACHMENTS_PREFIX in it. */
  bucket: string;
  /** SES's message limit; smaller in tests. */
  maxMessageBytes?: number;
  /**
   * Attachment bytes this instance holds at once across its parallel sends (default
   * ATTACHMENT_MEMORY_BUDGET): a send whose files would go over it waits for others to finish,
   * so ten 30 MB invoices in one batch cannot exhaust the function's memory. One email bigger
   * than the budget still goes, alone.
   */
  memoryBudgetBytes?: number;
  log?: EngineLogger;
}

const isMissing = (err: unknown) => {
  const name = awsErrorName(err);
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(err) === 404;
};

/**
 * Each attachment byte is held about three and a half times while its email is sent (the file,
 * its base64 in the request, the request's JSON): 64 MB of files stays well inside the Sender's
 * 512 MB with the runtime and the other sends.
 */
export const ATTACHMENT_MEMORY_BUDGET = 64 * 1024 * 1024;

const MB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * Reads a request's attachments from the engine's attachments prefix for SESv2 `Attachments`,
 * and removes them once the email is out. Every limit SES would enforce is checked before any
 * file is read: the bucket, the file types, that each object exists, and the message's size as
 * SES counts it (base64). Those problems are permanent; an S3 outage is thrown as it is, and the
 * Sender retries the request like any other transient error.
 */
export class AttachmentSource {
  private readonly maxMessageBytes: number;
  private readonly budget: number;
  private held = 0;
  private readonly leases = new Map<object, number>();
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly s3: Pick<S3Client, 'send'>,
    private readonly options: AttachmentSourceOptions,
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.budget = options.memoryBudgetBytes ?? ATTACHMENT_MEMORY_BUDGET;
  }

  /** Whatever SES would refuse by name alone; needs no S3 call. */
  check(attachments: RequestAttachment[]): void {
    for (const [i, a] of attachments.entries()) {
      if (a.bucket !== undefined && a.bucket !== this.options.bucket) {
        throw new PermanentFailure(
          ERROR_TYPES.invalidRequest,
          `attachments.${i}.bucket: "${a.bucket}" is not the engine's bucket; upload attachments to s3://${this.options.bucket}/${ATTACHMENTS_PREFIX}`,
        );
      }
      const ext = unsupportedExtension(a.filename);
      if (ext) throw new PermanentFailure(ERROR_TYPES.attachmentTypeUnsupported, `attachments.${i}: SES does not send .${ext} files ("${a.filename}")`);
    }
  }

  /**
   * The attachments as SESv2 takes them. `bodyBytes` is what the rest of the message weighs
   * (subject, bodies, headers), so the 40 MB check covers the whole message. The bytes count
   * against the memory budget until `release(owner)`, which the caller must call once the email
   * is sent or given up. Waiting for room past `deadline` (epoch ms) throws a transient error: the
   * request goes back to the queue rather than run the invocation out of time.
   */
  async load(attachments: RequestAttachment[], bodyBytes: number, owner: object = {}, deadline = Infinity): Promise<Attachment[]> {
    if (attachments.length === 0) return [];
    this.check(attachments);
    const sizes = await Promise.all(attachments.map((a, i) => this.sizeOf(a, i)));
    this.checkSize(sizes, bodyBytes);
    await this.reserve(owner, sizes.reduce((sum, size) => sum + size, 0), deadline);
    const contents = await Promise.all(attachments.map((a, i) => this.read(a, i)));
    // An object replaced between the two reads is measured again, as it will be sent.
    this.checkSize(contents.map((c) => c.length), bodyBytes);
    return attachments.map((a, i) => ({
      FileName: a.filename,
      RawContent: contents[i],
      ...(a.contentType ? { ContentType: a.contentType } : {}),
      ContentDisposition: a.disposition === 'inline' ? 'INLINE' : 'ATTACHMENT',
      ...(a.contentId ? { ContentId: a.contentId } : {}),
      ContentTransferEncoding: 'BASE64',
    }));
  }

  /**
   * Deletes the attachments not marked `keep`, after SES accepted the message. Never throws: the
   * email is out, and what is left expires under the prefix's lifecycle rule (or goes with `erase`).
   */
  async removeSent(emailId: string, attachments: RequestAttachment[]): Promise<void> {
    await Promise.all(
      attachments
        .filter((a) => !a.keep)
        .map(async (a) => {
          try {
            await this.s3.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: a.key }));
          } catch (err) {
            this.options.log?.warn('send.attachment-delete-failed', { emailId, key: a.key, error: String(err), name: awsErrorName(err) });
          }
        }),
    );
  }

  /** Gives back what `load` reserved for `owner`; a no-op for an owner holding nothing. */
  release(owner: object): void {
    const bytes = this.leases.get(owner);
    if (bytes === undefined) return;
    this.leases.delete(owner);
    this.held -= bytes;
    // Everyone waiting looks again; those that still do not fit wait on.
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** Bytes reserved now (tests). */
  get heldBytes(): number {
    return this.held;
  }

  private async reserve(owner: object, bytes: number, deadline: number): Promise<void> {
    while (this.held > 0 && this.held + bytes > this.budget) {
      const left = deadline - Date.now();
      if (left <= 0) throw Object.assign(new Error(`no room to hold ${MB(bytes)} of attachments before the invocation ends (others are being sent)`), { name: 'AttachmentMemoryBusy' });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((wake) => this.waiting.push(wake)),
        ...(Number.isFinite(left) ? [new Promise<void>((wake) => (timer = setTimeout(wake, left)))] : []),
      ]);
      clearTimeout(timer);
    }
    this.held += bytes;
    this.leases.set(owner, (this.leases.get(owner) ?? 0) + bytes);
  }

  private checkSize(sizes: number[], bodyBytes: number): void {
    const total = bodyBytes + sizes.reduce((sum, size) => sum + encodedSize(size), 0);
    if (total > this.maxMessageBytes) {
      throw new PermanentFailure(
        ERROR_TYPES.attachmentTooLarge,
        `the message with its ${sizes.length} attachment${sizes.length === 1 ? '' : 's'} is ${MB(total)} as SES counts it (base64), over its ${MB(this.maxMessageBytes)} limit`,
      );
    }
  }

  private async sizeOf(a: RequestAttachment, i: number): Promise<number> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: a.key }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isMissing(err)) throw this.notFound(a, i);
      throw err;
    }
  }

  private async read(a: RequestAttachment, i: number): Promise<Uint8Array> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: a.key }));
      return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (err) {
      if (isMissing(err)) throw this.notFound(a, i);
      throw err;
    }
  }

  private notFound(a: RequestAttachment, i: number): PermanentFailure {
    return new PermanentFailure(ERROR_TYPES.attachmentNotFound, `attachments.${i}: no object s3://${this.options.bucket}/${a.key}`);
  }
}

/** What a message weighs before its attachments: subject, bodies and headers, in UTF-8. */
export function contentBytes(simple: { Subject?: { Data?: string }; Body?: { Html?: { Data?: string }; Text?: { Data?: string } }; Headers?: Array<{ Name?: string; Value?: string }> }): number {
  const parts = [simple.Subject?.Data, simple.Body?.Html?.Data, simple.Body?.Text?.Data, ...(simple.Headers ?? []).flatMap((h) => [h.Name, h.Value])];
  return parts.reduce((sum, part) => sum + Buffer.byteLength(part ?? '', 'utf8'), 0);
}
