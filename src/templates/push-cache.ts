import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VERSION } from '../version.js';
import type { TemplateProblem } from './problems.js';
import type { TemplateFileName } from './remote.js';
import { DirectoryStore, resolveTemplateName } from './store.js';

/**
 * What the last push learnt about each template of a folder, so the next one need not learn it
 * again: the digest of every file reading, validating and flattening the template read (its own
 * files, the layout, brand.json, anything it includes, and the files it looked for and did not
 * find), and what that produced: the three stand-alone files' sizes and hashes, the version and
 * the warnings. When every one of those files still has the same digest, the template would
 * flatten to the same bytes, so the push takes the hashes from here and compares them with the
 * bucket's listing as it would compare freshly flattened files: a template someone else pushed,
 * deleted or edited in the bucket still differs there, and is then read, validated and uploaded.
 *
 * The record is a convenience and never an authority: one that is missing, unreadable, of another
 * format or written by another mailengine version is ignored, and the push does the full work.
 */

export const PUSH_CACHE_FORMAT = 1;

/** One stand-alone file as the push compares it: everything but the content. */
export interface PushFileDigest {
  file: TemplateFileName;
  sha256: string;
  /** MD5 of the body (hex), to compare with the listing's ETags. */
  md5: string;
  bytes: number;
}

export interface PushCacheEntry {
  /** Every file the template's check read, relative to the folder: SHA-256 of its bytes, or null when it did not exist. */
  inputs: Record<string, string | null>;
  version?: string;
  warnings: TemplateProblem[];
  files: PushFileDigest[];
}

interface PushCacheFile {
  format: number;
  mailengine: string;
  /** The folder as it was named: the warnings' file names depend on it. */
  displayDir: string;
  templates: Record<string, PushCacheEntry>;
}

/** Where the record for a templates folder lives: `<project>/.mailengine/push-cache/<digest of the folder's path>.json`. */
export function pushCacheFile(projectDir: string, templatesDir: string): string {
  return join(projectDir, '.mailengine', 'push-cache', `${createHash('sha256').update(templatesDir).digest('hex').slice(0, 16)}.json`);
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MD5_HEX = /^[0-9a-f]{32}$/;
const FILE_NAMES = new Set<string>(['template.html', 'template.txt', 'metadata.json']);

function isDigest(value: unknown): value is PushFileDigest {
  const f = value as PushFileDigest;
  return typeof f === 'object' && f !== null && FILE_NAMES.has(f.file) && SHA256_HEX.test(String(f.sha256)) && MD5_HEX.test(String(f.md5)) && Number.isSafeInteger(f.bytes) && f.bytes >= 0;
}

function isProblem(value: unknown): value is TemplateProblem {
  const p = value as TemplateProblem;
  return typeof p === 'object' && p !== null && typeof p.code === 'string' && typeof p.message === 'string' && (p.file === undefined || typeof p.file === 'string');
}

function isEntry(value: unknown): value is PushCacheEntry {
  const e = value as PushCacheEntry;
  if (typeof e !== 'object' || e === null || typeof e.inputs !== 'object' || e.inputs === null || Array.isArray(e.inputs)) return false;
  if (!Object.values(e.inputs).every((d) => d === null || (typeof d === 'string' && SHA256_HEX.test(d)))) return false;
  if (e.version !== undefined && typeof e.version !== 'string') return false;
  if (!Array.isArray(e.warnings) || !e.warnings.every(isProblem)) return false;
  return Array.isArray(e.files) && e.files.length === FILE_NAMES.size && e.files.every(isDigest) && new Set(e.files.map((f) => f.file)).size === FILE_NAMES.size;
}

/**
 * The record for a folder, or an empty one when there is none or it cannot be trusted (not JSON,
 * another format or mailengine version, another way of naming the folder). Entries that do not
 * have the expected shape are dropped one by one.
 */
export function loadPushCache(file: string, displayDir: string): Map<string, PushCacheEntry> {
  let parsed: PushCacheFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as PushCacheFile;
  } catch {
    return new Map();
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.format !== PUSH_CACHE_FORMAT || parsed.mailengine !== VERSION || parsed.displayDir !== displayDir) return new Map();
  if (typeof parsed.templates !== 'object' || parsed.templates === null) return new Map();
  return new Map(Object.entries(parsed.templates).filter((pair): pair is [string, PushCacheEntry] => isEntry(pair[1])));
}

/** Writes the record (to a temporary file first, so a crash leaves the old record or the new one). Failing to write it costs the next push time, never correctness: the error is swallowed. */
export function savePushCache(file: string, displayDir: string, entries: Map<string, PushCacheEntry>): void {
  const content: PushCacheFile = { format: PUSH_CACHE_FORMAT, mailengine: VERSION, displayDir, templates: Object.fromEntries([...entries].sort(([a], [b]) => a.localeCompare(b))) };
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(temporary, `${JSON.stringify(content)}\n`);
    renameSync(temporary, file);
  } catch {
    // An unwritable project folder: the next push reads and validates everything, as without a record.
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The bytes of a file in the folder, by its name in the store, or undefined when there is none. */
function readBytes(root: string, name: string): Buffer | undefined {
  const safe = resolveTemplateName(undefined, name);
  if (!safe) return undefined;
  try {
    return readFileSync(join(root, ...safe.split('/')));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * A folder store that notes the digest of every file read through it (and of every file looked
 * for and missing), which is what a template's check depends on.
 */
export class RecordingStore extends DirectoryStore {
  readonly inputs: Record<string, string | null> = {};

  override read(name: string): string | undefined {
    const bytes = readBytes(this.root, name);
    this.inputs[name] = bytes ? sha256(bytes) : null;
    return bytes?.toString('utf8');
  }
}

/**
 * Whether every file the entry depends on still has the digest it had: reads and hashes the
 * files, parses nothing. `digests` memoises files shared by many templates (the layout) within
 * one push.
 */
export function inputsUnchanged(root: string, entry: PushCacheEntry, digests: Map<string, string | null>): boolean {
  for (const [name, expected] of Object.entries(entry.inputs)) {
    let actual = digests.get(name);
    if (actual === undefined) {
      try {
        const bytes = readBytes(root, name);
        actual = bytes ? sha256(bytes) : null;
      } catch {
        // Unreadable: the full check reads it again and reports why.
        return false;
      }
      digests.set(name, actual);
    }
    if (actual !== expected) return false;
  }
  return true;
}
