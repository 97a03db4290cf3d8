import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { TEMPLATES_PREFIX, templateKey } from './bucket-layout.js';
import { TEMPLATE_NAME_PATTERN, type StandaloneFiles } from './template.js';

/**
 * The templates bucket as `templates push`, `pull` and `list` see it: one folder per template
 * under `templates/`, holding the three stand-alone files the Sender reads.
 */

export type TemplateFileName = keyof StandaloneFiles;

/** In the order they are uploaded: the parts first, metadata.json (which names the subject) last. */
export const STANDALONE_FILE_NAMES: readonly TemplateFileName[] = ['template.html', 'template.txt', 'metadata.json'];

/** Every file is UTF-8 text; saying so keeps S3 consoles and downloads from guessing. */
export const CONTENT_TYPES: Record<TemplateFileName, string> = {
  'template.html': 'text/html; charset=utf-8',
  'template.txt': 'text/plain; charset=utf-8',
  'metadata.json': 'application/json; charset=utf-8',
};

/**
 * User metadata key (sent as `x-amz-meta-mailengine-sha256`) holding the SHA-256 of the object's
 * body, written in the same PutObject as the body. ETags cannot serve as the hash: they are MD5s
 * only for some uploads (not with SSE-KMS, not multipart), while this is the same on S3 and on
 * s3rver. They do serve as a shortcut: see `etagMatches`.
 */
export const HASH_METADATA_KEY = 'mailengine-sha256';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The S3 client calls this module makes; tests can hand in any client with `send`. */
export type S3Sender = Pick<S3Client, 'send'>;

export interface RemoteObject {
  key: string;
  /** The name inside the template's folder (`template.html`). */
  file: string;
  size: number;
  lastModified?: Date;
  /** The ETag from the listing, without its quotes, lower case. */
  etag?: string;
}

/** A folder under `templates/` holding at least one of the three template files. */
export interface RemoteTemplate {
  name: string;
  /** Every object in the folder, template files or not: what a prune removes. */
  objects: RemoteObject[];
}

export function bucketUrl(bucket: string): string {
  return `s3://${bucket}/${TEMPLATES_PREFIX}`;
}

/** SHA-256 (hex) of text as UTF-8, or of bytes as they are. */
export function contentHash(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** MD5 (hex) of text as UTF-8: what S3 gives as the ETag of an object that a single PutObject wrote unencrypted or with SSE-S3. */
export function etagOf(content: string | Uint8Array): string {
  return createHash('md5').update(content).digest('hex');
}

/**
 * Whether the listing alone proves the object holds `content`: same size and an ETag equal to the
 * content's MD5. S3 documents the ETag of an object written by one PutObject without SSE-KMS or
 * SSE-C (the engine's bucket uses SSE-S3) as the MD5 of its body, and s3rver does the same. Any
 * other ETag (SSE-KMS, multipart, a changed body) does not match, and the caller compares by
 * SHA-256 as before: a false "no" costs a request, a "yes" is never wrong short of an MD5
 * collision crafted by someone who can already write to the bucket.
 */
export function etagMatches(object: RemoteObject, local: { bytes: number; md5: string }): boolean {
  return object.size === local.bytes && object.etag !== undefined && object.etag === local.md5;
}

/** The template's file of that name, if the folder has it. */
export function remoteFile(template: RemoteTemplate, file: TemplateFileName): RemoteObject | undefined {
  return template.objects.find((o) => o.file === file);
}

/**
 * Every template in the bucket, by name. Folders whose name could not be a template (`_layout`,
 * anything with odd characters) and folders without any template file are left out, so a prune
 * never touches them.
 */
export async function listRemoteTemplates(s3: S3Sender, bucket: string, signal?: AbortSignal): Promise<Map<string, RemoteTemplate>> {
  const found = new Map<string, RemoteTemplate>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: TEMPLATES_PREFIX, ContinuationToken: token }), { abortSignal: signal });
    for (const object of page.Contents ?? []) {
      const key = object.Key ?? '';
      const rest = key.slice(TEMPLATES_PREFIX.length);
      const slash = rest.indexOf('/');
      if (slash <= 0 || slash === rest.length - 1) continue;
      const name = rest.slice(0, slash);
      if (!TEMPLATE_NAME_PATTERN.test(name)) continue;
      const template = found.get(name) ?? { name, objects: [] };
      const etag = object.ETag?.replace(/^"|"$/g, '').toLowerCase();
      template.objects.push({ key, file: rest.slice(slash + 1), size: object.Size ?? 0, lastModified: object.LastModified, ...(etag ? { etag } : {}) });
      found.set(name, template);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);

  for (const [name, template] of found) {
    if (!STANDALONE_FILE_NAMES.some((file) => remoteFile(template, file))) found.delete(name);
    else template.objects.sort((a, b) => a.key.localeCompare(b.key));
  }
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The SHA-256 of an object's body. Objects pushed by mailengine carry it in their metadata, so a
 * HEAD answers; anything else (uploaded by hand or another tool) is downloaded and hashed once,
 * and gets the metadata when the next push replaces it.
 */
export async function remoteContentHash(s3: S3Sender, bucket: string, key: string, signal?: AbortSignal): Promise<{ sha256: string; from: 'metadata' | 'content' }> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  const stored = head.Metadata?.[HASH_METADATA_KEY]?.toLowerCase();
  if (stored && SHA256_HEX.test(stored)) return { sha256: stored, from: 'metadata' };
  return { sha256: contentHash(await readRemoteBytes(s3, bucket, key, signal)), from: 'content' };
}

export async function readRemoteBytes(s3: S3Sender, bucket: string, key: string, signal?: AbortSignal): Promise<Uint8Array> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
}

/** Writes one stand-alone file with its content type and hash. Returns the S3 version id, if the bucket keeps versions. */
export async function uploadTemplateFile(
  s3: S3Sender,
  bucket: string,
  upload: { name: string; file: TemplateFileName; body: string; sha256: string },
  signal?: AbortSignal,
): Promise<{ versionId?: string }> {
  const out = await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: templateKey(upload.name, upload.file),
      Body: Buffer.from(upload.body, 'utf8'),
      ContentType: CONTENT_TYPES[upload.file],
      Metadata: { [HASH_METADATA_KEY]: upload.sha256 },
    }),
    { abortSignal: signal },
  );
  return { versionId: out.VersionId };
}

export async function deleteRemoteObject(s3: S3Sender, bucket: string, key: string, signal?: AbortSignal): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
}

/** `version` from metadata.json bytes; undefined when absent or the file is not a JSON object. */
export function versionOf(metadata: Uint8Array | string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(typeof metadata === 'string' ? metadata : Buffer.from(metadata).toString('utf8'));
    const version = (parsed as { version?: unknown } | null)?.version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}
