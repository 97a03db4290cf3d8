import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, MailengineError, usageError } from '../errors.js';
import type { IoHost } from '../io/io-host.js';
import { mapConcurrent } from '../util/pool.js';
import { S3_CONCURRENCY } from './concurrency.js';
import { bucketUrl, listRemoteTemplates, readRemoteBytes, remoteFile, STANDALONE_FILE_NAMES, versionOf, type S3Sender, type TemplateFileName } from './remote.js';
import { TEMPLATE_NAME_PATTERN } from './template.js';

export interface PulledFile {
  file: TemplateFileName;
  /** Where it went, as the user named the folder (`templates/welcome/template.html`). */
  path: string;
  bytes: number;
  /** `unchanged`: the local file already had exactly this content. */
  action: 'written' | 'replaced' | 'unchanged';
}

export interface PulledTemplate {
  name: string;
  /** `version` from the pulled metadata.json, if it has one. */
  version?: string;
  files: PulledFile[];
  /** Template files the bucket does not have for this template. */
  missing: TemplateFileName[];
}

export interface PullReport {
  bucket: string;
  url: string;
  /** The folder as the user named it. */
  dir: string;
  templates: PulledTemplate[];
  written: number;
  replaced: number;
  unchanged: number;
}

export interface PullOptions {
  s3: S3Sender;
  bucket: string;
  /** Absolute path of the folder to pull into. */
  dir: string;
  displayDir?: string;
  /** Only these templates (default: every template in the bucket). */
  names?: string[];
  /** Replace local files whose content differs. */
  force?: boolean;
  io: IoHost;
  signal?: AbortSignal;
  where?: string;
  concurrency?: number;
}

interface Download {
  name: string;
  file: TemplateFileName;
  path: string;
  display: string;
  body: Uint8Array;
  /** What is on disk there now: absent, the same bytes, or something else. */
  local: 'absent' | 'same' | 'different';
}

/**
 * Downloads templates from the bucket into `<dir>/<name>/`, exactly as the Sender reads them
 * (flattened: no layout, brand values in `defaults`). Everything is downloaded and compared
 * first; if any local file would change and `force` is not set, nothing is written and the error
 * lists every such file (exit 2).
 */
export async function pullTemplates(options: PullOptions): Promise<PullReport> {
  const { s3, bucket, io, signal } = options;
  const displayDir = options.displayDir ?? options.dir;
  const url = bucketUrl(bucket);
  const target = options.where ? `${url} ${options.where}` : url;
  const names = [...new Set(options.names ?? [])];
  const bad = names.filter((n) => !TEMPLATE_NAME_PATTERN.test(n));
  if (bad.length > 0) {
    throw usageError('TEMPLATE_NAME_INVALID', `${bad.map((n) => `"${n}"`).join(', ')} ${bad.length === 1 ? 'is not a template name' : 'are not template names'}.`, 'Template names are folder names: letters, digits, ".", "_" and "-", starting with a letter or digit.');
  }

  const progress = io.progress('templates.pull.download', `Downloading templates from ${target}`);
  let downloads: Download[];
  let chosen: Array<{ name: string; missing: TemplateFileName[] }>;
  try {
    const remote = await listRemoteTemplates(s3, bucket, signal);
    const unknown = names.filter((n) => !remote.has(n));
    if (unknown.length > 0) {
      throw new MailengineError('TEMPLATE_NOT_FOUND', `No template named ${unknown.map((n) => `"${n}"`).join(', ')} in ${target}.`, {
        exitCode: ExitCode.NotFound,
        suggestion: remote.size > 0 ? `The bucket has: ${[...remote.keys()].join(', ')}.` : 'The bucket has no templates yet; `mailengine templates push` uploads them.',
      });
    }
    const templates = [...remote.values()].filter((t) => names.length === 0 || names.includes(t.name));
    chosen = templates.map((t) => ({ name: t.name, missing: STANDALONE_FILE_NAMES.filter((f) => !remoteFile(t, f)) }));
    const wanted = templates.flatMap((t) => STANDALONE_FILE_NAMES.flatMap((file) => (remoteFile(t, file) ? [{ name: t.name, file, key: remoteFile(t, file)?.key as string }] : [])));
    downloads = await mapConcurrent(wanted, options.concurrency ?? S3_CONCURRENCY, async (w) => {
      const body = await readRemoteBytes(s3, bucket, w.key, signal);
      const path = join(options.dir, w.name, w.file);
      return { name: w.name, file: w.file, path, display: join(displayDir, w.name, w.file), body, local: await compareLocal(path, body) };
    });
    progress.succeed(`Downloaded ${templates.length} template${templates.length === 1 ? '' : 's'} from ${target}`);
  } catch (err) {
    progress.stop();
    throw err;
  }

  const conflicts = downloads.filter((d) => d.local === 'different');
  if (conflicts.length > 0 && !options.force) {
    throw new MailengineError(
      'TEMPLATES_PULL_WOULD_OVERWRITE',
      `Nothing was written: ${conflicts.length} local file${conflicts.length === 1 ? '' : 's'} would be overwritten:\n  ${conflicts.map((c) => c.display).join('\n  ')}`,
      {
        exitCode: ExitCode.Usage,
        suggestion: `Pull into another folder (\`mailengine templates pull <dir>\`), or pass --force to replace ${conflicts.length === 1 ? 'it' : 'them'} (the local changes are lost).`,
        details: { files: conflicts.map((c) => c.display) },
      },
    );
  }

  for (const d of downloads) {
    if (d.local === 'same') continue;
    try {
      await mkdir(join(options.dir, d.name), { recursive: true });
      await writeFile(d.path, d.body);
    } catch (err) {
      throw new MailengineError('TEMPLATES_PULL_WRITE_FAILED', `Could not write ${d.display}: ${(err as Error).message}`, {
        cause: err,
        suggestion: 'Check that the folder is writable and that no folder has the name of a template file.',
      });
    }
  }

  const report: PullReport = { bucket, url, dir: displayDir, templates: [], written: 0, replaced: 0, unchanged: 0 };
  for (const { name, missing } of chosen) {
    const files = downloads
      .filter((d) => d.name === name)
      .map((d): PulledFile => ({ file: d.file, path: d.display, bytes: d.body.byteLength, action: d.local === 'absent' ? 'written' : d.local === 'same' ? 'unchanged' : 'replaced' }));
    for (const f of files) report[f.action] += 1;
    const metadata = downloads.find((d) => d.name === name && d.file === 'metadata.json');
    report.templates.push({ name, version: metadata ? versionOf(metadata.body) : undefined, files, missing });
  }
  return report;
}

async function compareLocal(path: string, body: Uint8Array): Promise<Download['local']> {
  let current: Buffer;
  try {
    current = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    // A folder (or anything unreadable) where the file should go is not ours to replace quietly.
    return 'different';
  }
  return current.equals(body) ? 'same' : 'different';
}
