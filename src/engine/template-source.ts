import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { loadTemplate, type PreparedTemplate } from '../templates/template.js';
import { MemoryStore, TEMPLATE_FILES } from '../templates/store.js';
import { TEMPLATES_PREFIX, templateKey } from '../templates/bucket-layout.js';
import { awsErrorName, httpStatus } from '../aws/error-names.js';
import { ERROR_TYPES, PermanentFailure } from '../model/error-types.js';

interface CachedTemplate {
  prepared: PreparedTemplate;
  etags: Record<string, string | undefined>;
  checkedAt: number;
}

export interface TemplateSourceOptions {
  bucket: string;
  /** Entries kept; the least recently used is dropped beyond this. */
  maxEntries?: number;
  /** How long a cached template is used before its ETags are checked again. */
  freshForMs?: number;
  now?: () => number;
}

const PART_FILES = Object.values(TEMPLATE_FILES);

/**
 * Templates from the bucket (`templates/<name>/template.html|template.txt|metadata.json`), parsed
 * once and kept in a bounded LRU cache. After `freshForMs` a use revalidates with conditional GETs
 * (If-None-Match): an unchanged template costs three 304s and no parsing; a pushed change is
 * picked up within that window.
 */
export class TemplateSource {
  private readonly cache = new Map<string, CachedTemplate>();
  private readonly maxEntries: number;
  private readonly freshForMs: number;
  private readonly now: () => number;

  constructor(
    private readonly s3: Pick<S3Client, 'send'>,
    private readonly options: TemplateSourceOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 100;
    this.freshForMs = options.freshForMs ?? 15_000;
    this.now = options.now ?? Date.now;
  }

  async get(name: string): Promise<PreparedTemplate> {
    const cached = this.cache.get(name);
    if (cached && this.now() - cached.checkedAt < this.freshForMs) return this.touch(name, cached);

    const fetched = await Promise.all(PART_FILES.map((file) => this.fetch(templateKey(name, file), cached?.etags[file])));
    if (cached && fetched.every((f) => f.notModified)) {
      cached.checkedAt = this.now();
      return this.touch(name, cached);
    }
    if (fetched.every((f) => f.missing)) {
      this.cache.delete(name);
      throw new PermanentFailure(ERROR_TYPES.templateNotFound, `no template named "${name}" in s3://${this.options.bucket}/${TEMPLATES_PREFIX}${name}/`);
    }

    const files: Record<string, string> = {};
    const etags: Record<string, string | undefined> = {};
    for (const [i, file] of PART_FILES.entries()) {
      const result = fetched[i];
      // A part that did not change since the cached copy is taken from it.
      const text = result.notModified ? cached?.prepared.store.read(`${name}/${file}`) : result.text;
      if (text !== undefined) files[`${name}/${file}`] = text;
      etags[file] = result.notModified ? cached?.etags[file] : result.etag;
    }
    let prepared: PreparedTemplate;
    try {
      prepared = loadTemplate(new MemoryStore(files, TEMPLATES_PREFIX), name);
    } catch (err) {
      throw templateFailure(err);
    }
    const entry = { prepared, etags, checkedAt: this.now() };
    return this.touch(name, entry);
  }

  private touch(name: string, entry: CachedTemplate): PreparedTemplate {
    this.cache.delete(name);
    this.cache.set(name, entry);
    while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    return entry.prepared;
  }

  private async fetch(key: string, etag: string | undefined): Promise<{ text?: string; etag?: string; notModified?: boolean; missing?: boolean }> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key, IfNoneMatch: etag }));
      return { text: await out.Body?.transformToString('utf8'), etag: out.ETag };
    } catch (err) {
      const status = httpStatus(err);
      if (status === 304 || awsErrorName(err) === 'NotModified' || awsErrorName(err) === '304') return { notModified: true };
      if (status === 404 || awsErrorName(err) === 'NoSuchKey' || awsErrorName(err) === 'NotFound') return { missing: true };
      throw err;
    }
  }
}

/** A template problem (from src/templates) as the Sender's permanent failure. */
export function templateFailure(err: unknown): PermanentFailure {
  const code = (err as { code?: string })?.code ?? '';
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'TEMPLATE_NOT_FOUND') return new PermanentFailure(ERROR_TYPES.templateNotFound, message);
  if (code === 'TEMPLATE_MISSING_VARIABLES' || code === 'TEMPLATE_UNDEFINED_VARIABLE') return new PermanentFailure(ERROR_TYPES.templateMissingVariable, message);
  if (code.startsWith('TEMPLATE_')) return new PermanentFailure(ERROR_TYPES.templateError, message);
  throw err;
}
