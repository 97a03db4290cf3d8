import type { IoHost } from '../io/io-host.js';
import { mapConcurrent } from '../util/pool.js';
import { S3_CONCURRENCY } from './concurrency.js';
import { bucketUrl, listRemoteTemplates, readRemoteBytes, remoteFile, STANDALONE_FILE_NAMES, versionOf, type S3Sender, type TemplateFileName } from './remote.js';

export interface ListedTemplate {
  name: string;
  /** `version` from the template's metadata.json in the bucket. */
  version?: string;
  /** The newest object of the template (ISO 8601). */
  lastModified?: string;
  /** Bytes of every object in the template's folder. */
  size: number;
  /** Template files the bucket lacks: the Sender cannot use such a template. */
  missing: TemplateFileName[];
}

export interface ListReport {
  bucket: string;
  url: string;
  templates: ListedTemplate[];
}

export interface ListOptions {
  s3: S3Sender;
  bucket: string;
  io: IoHost;
  signal?: AbortSignal;
  where?: string;
  concurrency?: number;
}

/** The templates in the bucket with version, last change and size; one listing plus one small GET per template. */
export async function listTemplates(options: ListOptions): Promise<ListReport> {
  const { s3, bucket, io, signal } = options;
  const url = bucketUrl(bucket);
  const progress = io.progress('templates.list', `Listing templates in ${options.where ? `${url} ${options.where}` : url}`);
  try {
    const remote = [...(await listRemoteTemplates(s3, bucket, signal)).values()];
    const templates = await mapConcurrent(remote, options.concurrency ?? S3_CONCURRENCY, async (t): Promise<ListedTemplate> => {
      const metadata = remoteFile(t, 'metadata.json');
      const newest = Math.max(...t.objects.map((o) => o.lastModified?.getTime() ?? 0));
      return {
        name: t.name,
        version: metadata ? versionOf(await readRemoteBytes(s3, bucket, metadata.key, signal)) : undefined,
        lastModified: newest > 0 ? new Date(newest).toISOString() : undefined,
        size: t.objects.reduce((n, o) => n + o.size, 0),
        missing: STANDALONE_FILE_NAMES.filter((f) => !remoteFile(t, f)),
      };
    });
    progress.stop();
    return { bucket, url, templates };
  } catch (err) {
    progress.stop();
    throw err;
  }
}
