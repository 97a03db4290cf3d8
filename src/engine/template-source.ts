import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { templateContext, type TemplateData } from '../templates/render.js';
import { loadTemplate, type PreparedTemplate } from '../templates/template.js';
import type { DataValidator } from '../templates/contract-check.js';
import { MemoryStore, TEMPLATE_FILES } from '../templates/store.js';
import { TEMPLATES_PREFIX, templateKey } from '../templates/bucket-layout.js';
import { awsErrorName, httpStatus } from '../aws/error-names.js';
import { ERROR_TYPES, PermanentFailure } from '../model/error-types.js';
import type { EngineLogger } from './status-events.js';
import { lazyOnce } from './lazy-client.js';

interface CachedTemplate {
  prepared: PreparedTemplate;
  etags: Record<string, string | undefined>;
  /** When the last check that found this copy current began (not ended: see `maxStaleMs`). */
  checkedAt: number;
  /** When the last background check of it began, successful or not. */
  attemptedAt: number;
}

interface Check {
  startedAt: number;
  done: Promise<PreparedTemplate>;
}

export interface TemplateSourceOptions {
  bucket: string;
  /** Entries kept; the least recently used is dropped beyond this. */
  maxEntries?: number;
  /** How long a cached template is used without asking S3 at all. Default 5 s. */
  freshForMs?: number;
  /**
   * The bound on staleness: no use later than this after the last successful check of a template
   * gets the cached copy; it waits for a check instead. Between `freshForMs` and this, a use gets
   * the cached copy at once and a check runs in the background. Default three times `freshForMs`.
   */
  maxStaleMs?: number;
  now?: () => number;
  /** Where a failed background check is reported; the next use past `maxStaleMs` waits for a check and sees the error itself. */
  log?: EngineLogger;
}

const PART_FILES = Object.values(TEMPLATE_FILES);

export const TEMPLATE_FRESH_FOR_MS = 5_000;

/**
 * Templates from the bucket (`templates/<name>/template.html|template.txt|metadata.json`), parsed
 * once and kept in a bounded LRU cache, and revalidated by ETag (If-None-Match: an unchanged
 * template costs three 304s and no parsing).
 *
 * A send never waits for S3 while its template is cached and was checked less than `maxStaleMs`
 * ago: after `freshForMs` the cached copy is used and one check per template runs in the
 * background. The guarantee: every send that starts `maxStaleMs` or more after a push has
 * finished renders the pushed template. (A check's time is when it began, so a check that was
 * already running when the push finished never counts as having seen it.) Under steady traffic
 * a push shows up after about `freshForMs`.
 */
export class TemplateSource {
  private readonly cache = new Map<string, CachedTemplate>();
  private readonly checks = new Map<string, Check>();
  private readonly maxEntries: number;
  private readonly freshForMs: number;
  private readonly maxStaleMs: number;
  private readonly now: () => number;

  constructor(
    private readonly s3: Pick<S3Client, 'send'>,
    private readonly options: TemplateSourceOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 100;
    this.freshForMs = options.freshForMs ?? TEMPLATE_FRESH_FOR_MS;
    this.maxStaleMs = Math.max(this.freshForMs, options.maxStaleMs ?? 3 * this.freshForMs);
    this.now = options.now ?? Date.now;
  }

  /** The longest a send can render a template older than the bucket's (see the class comment). */
  get staleBoundMs(): number {
    return this.maxStaleMs;
  }

  async get(name: string): Promise<PreparedTemplate> {
    const cached = this.cache.get(name);
    const now = this.now();
    if (cached && now - cached.checkedAt < this.maxStaleMs) {
      if (now - cached.checkedAt >= this.freshForMs && now - cached.attemptedAt >= this.freshForMs) this.revalidate(name, cached, now);
      return this.touch(name, cached);
    }
    return this.check(name, now);
  }

  /** One check at a time per template, in the background; a failure keeps the cached copy until the bound. */
  private revalidate(name: string, cached: CachedTemplate, now: number): void {
    if (this.checks.has(name)) return;
    cached.attemptedAt = now;
    this.check(name, now).catch((err: unknown) => {
      this.options.log?.warn('template_revalidation_failed', { template: name, error: err instanceof Error ? err.message : String(err) });
    });
  }

  /** Joins a check of `name` that began recently enough to count for a use at `now`, or begins one. */
  private check(name: string, now: number): Promise<PreparedTemplate> {
    const running = this.checks.get(name);
    if (running && now - running.startedAt < this.maxStaleMs) return running.done;
    const startedAt = now;
    const done = this.load(name, startedAt).finally(() => {
      if (this.checks.get(name)?.done === done) this.checks.delete(name);
    });
    this.checks.set(name, { startedAt, done });
    return done;
  }

  private async load(name: string, startedAt: number): Promise<PreparedTemplate> {
    const cached = this.cache.get(name);
    const fetched = await Promise.all(PART_FILES.map((file) => this.fetch(templateKey(name, file), cached?.etags[file])));
    if (cached && fetched.every((f) => f.notModified)) {
      cached.checkedAt = Math.max(cached.checkedAt, startedAt);
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
    const entry: CachedTemplate = { prepared, etags, checkedAt: startedAt, attemptedAt: startedAt };
    // A slower check that began earlier never replaces what a later one found.
    const current = this.cache.get(name);
    if (current && current !== cached && current.checkedAt > startedAt) return prepared;
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

/** The most contract problems one record's message lists; the count says how many there were. */
const MAX_LISTED_PROBLEMS = 10;

/** A compiled contract per template version: a changed template is a new PreparedTemplate. */
const contractValidators = new WeakMap<PreparedTemplate, DataValidator>();
const loadContractCheck = lazyOnce(() => import('../templates/contract-check.js'));

/**
 * Checks templateData (with the template's defaults under it, as the template sees it) against the
 * template's contract, before anything renders. A template without a contract passes as before.
 * The validator module is loaded on the first template that has a contract, so a Sender whose
 * templates have none never loads it.
 */
export async function checkTemplateData(template: PreparedTemplate, data: unknown): Promise<void> {
  const contract = template.metadata.variables;
  // Not an object at all: the renderer says so, as it always has.
  if (!contract || typeof data !== 'object' || data === null || Array.isArray(data)) return;
  let validate = contractValidators.get(template);
  if (!validate) {
    const check = await loadContractCheck();
    validate = check.compileContract(contract);
    contractValidators.set(template, validate);
  }
  const problems = validate(templateContext(template, data as TemplateData));
  if (problems.length === 0) return;
  const { formatDataPath } = await loadContractCheck();
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `${formatDataPath('templateData', p.path)}: ${p.message}`);
  const more = problems.length > listed.length ? `; and ${problems.length - listed.length} more` : '';
  const version = template.metadata.version ? ` ${template.metadata.version}` : '';
  throw new PermanentFailure(
    ERROR_TYPES.templateDataInvalid,
    `templateData does not match the contract of template "${template.name}"${version} (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${listed.join('; ')}${more}`,
    { problems: problems.slice(0, MAX_LISTED_PROBLEMS) },
  );
}
