import * as z from 'zod/mini';

/**
 * Attachments on an Email Request: the app uploads each file to the engine's attachments prefix
 * (the request itself travels through EventBridge, whose events hold at most 256 KB) and names it
 * by key; the Sender reads it and sends it with SESv2 Simple-content `Attachments`.
 */

/** Where attachments live in the engine's bucket (the templates bucket); the Sender may read and delete only here. */
export const ATTACHMENTS_PREFIX = 'attachments/';
/** SES's limit on a whole message, attachments included, as sent to it (base64 makes files a third larger). */
export const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;
export const MAX_ATTACHMENTS = 50;
/** The template's lifecycle rule expires what is left under ATTACHMENTS_PREFIX after this many days. */
export const ATTACHMENT_RETENTION_DAYS = 30;

/**
 * A scheduled email's files must still be there when it is sent: an email with attachments may be
 * scheduled up to a day short of the prefix's expiry. What is wrong with `sendAt` read at `now`, or undefined.
 */
export function scheduledAttachmentsProblem(sendAt: Date, now: Date): string | undefined {
  const days = ATTACHMENT_RETENTION_DAYS - 1;
  if (sendAt.getTime() - now.getTime() <= days * 86_400_000) return undefined;
  return `sendAt: an email with attachments can be scheduled at most ${days} days ahead (files under ${ATTACHMENTS_PREFIX} expire after ${ATTACHMENT_RETENTION_DAYS} days); upload them closer to the time, or send the request later`;
}
/** SESv2 `Attachment.FileName` and `ContentId` lengths. */
export const MAX_FILENAME_LENGTH = 255;
export const MAX_CONTENT_ID_LENGTH = 78;

/**
 * The file extensions SES refuses as attachments ("Unsupported attachment types" in the SES
 * Developer Guide). Checked by the Sender before it calls SES, so the record says which file and
 * why instead of a bare MessageRejected.
 */
export const UNSUPPORTED_EXTENSIONS: ReadonlySet<string> = new Set(
  (
    'ade adp app asp bas bat cer chm cmd com cpl crt csh der exe fxp gadget hlp hta inf ins isp its js jse ksh lib lnk ' +
    'mad maf mag mam maq mar mas mat mau mav maw mda mdb mde mdt mdw mdz msc msh msh1 msh2 mshxml msh1xml msh2xml msi msp mst ' +
    'ops pcd pif plg prf prg reg scf scr sct shb shs sys ps1 ps1xml ps2 ps2xml psc1 psc2 tmp url vb vbe vbs vps vsmacros vss vst vsw vxd ws wsc wsf wsh xnk'
  ).split(' '),
);

/** The extension of `filename` that SES would refuse, or undefined. Case does not matter, trailing dots and spaces do not hide it. */
export function unsupportedExtension(filename: string): string | undefined {
  const trimmed = filename.replace(/[.\s]+$/, '');
  const dot = trimmed.lastIndexOf('.');
  if (dot < 0) return undefined;
  const ext = trimmed.slice(dot + 1).toLowerCase();
  return UNSUPPORTED_EXTENSIONS.has(ext) ? ext : undefined;
}

/** Bytes a file of `size` bytes takes once base64-encoded, as SES counts it toward the 40 MB. */
export const encodedSize = (size: number) => Math.ceil(size / 3) * 4;

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f\u0085\u2028\u2029]/;
const noControl = z.superRefine<string>((value, ctx) => {
  if (CONTROL.test(value)) ctx.addIssue({ code: 'custom', message: 'must not contain control characters' });
});

/** An object key under the attachments prefix, with no empty, `.` or `..` segment that a URL could fold away. */
const attachmentKey = z.string().check(
  z.maxLength(1024),
  noControl,
  z.superRefine((key, ctx) => {
    const segments = key.slice(ATTACHMENTS_PREFIX.length).split('/');
    if (!key.startsWith(ATTACHMENTS_PREFIX) || segments.some((s) => s === '' || s === '.' || s === '..')) {
      ctx.addIssue({ code: 'custom', message: `must be an object key under ${ATTACHMENTS_PREFIX} (e.g. ${ATTACHMENTS_PREFIX}order-1234/invoice.pdf)` });
    }
  }),
);

const MIME_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const CONTENT_ID = /^[^\s<>"()\\,;:@[\]]+(@[^\s<>"()\\,;:@[\]]+)?$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const attachmentSchema = z.strictObject({
  /** Only the engine's own bucket is accepted (the Sender may read nowhere else); the field exists so a request can say so explicitly. */
  bucket: z.optional(z.string().check(z.regex(BUCKET_NAME, { message: 'is not an S3 bucket name' }))),
  key: attachmentKey,
  filename: z.string().check(z.minLength(1, { message: 'must not be empty' }), z.maxLength(MAX_FILENAME_LENGTH), noControl),
  contentType: z.optional(z.string().check(z.regex(MIME_TYPE, { message: 'is not a media type (type/subtype, e.g. application/pdf)' }))),
  disposition: z.optional(z.enum(['attachment', 'inline'])),
  contentId: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_CONTENT_ID_LENGTH), z.regex(CONTENT_ID, { message: 'is not a content id (no spaces, <>, quotes or brackets; what cid: names in the HTML)' }))),
  /** Leave the object in place after the email is sent (by default the Sender deletes it). */
  keep: z.optional(z.boolean()),
});

export const attachmentsSchema = z.array(attachmentSchema).check(
  z.maxLength(MAX_ATTACHMENTS),
  z.superRefine((list, ctx) => {
    const ids = new Set<string>();
    list.forEach((a, i) => {
      if (!a.contentId) return;
      if (ids.has(a.contentId)) ctx.addIssue({ code: 'custom', path: [i, 'contentId'], message: `repeats contentId "${a.contentId}"` });
      ids.add(a.contentId);
    });
  }),
);

/** One attachment of a validated request. */
export interface RequestAttachment {
  bucket?: string;
  key: string;
  filename: string;
  contentType?: string;
  disposition?: 'attachment' | 'inline';
  contentId?: string;
  keep?: boolean;
}
