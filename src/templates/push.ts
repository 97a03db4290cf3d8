import { ExitCode, MailengineError } from '../errors.js';
import { say, type IoHost } from '../io/io-host.js';
import { mapConcurrent } from '../util/pool.js';
import { S3_CONCURRENCY } from './concurrency.js';
import { isCached, type LocalTemplate, type PushSource, type SourceTemplate } from './push-source.js';
import { templateKey } from './bucket-layout.js';
import { bucketUrl, deleteRemoteObject, etagMatches, listRemoteTemplates, remoteContentHash, remoteFile, uploadTemplateFile, type RemoteTemplate, type S3Sender } from './remote.js';

export type TemplateChange = 'added' | 'modified' | 'unchanged' | 'deleted';

export interface PushFileAction {
  file: string;
  key: string;
  action: 'upload' | 'delete';
  /** Bytes uploaded, or the size of the object deleted. */
  bytes: number;
  /** Whether the write or delete went through (false in a dry run, or after a failure). */
  done: boolean;
  /** The object version S3 created, when the bucket keeps versions (a deployed engine's does). */
  versionId?: string;
}

export interface PushedTemplate {
  name: string;
  change: TemplateChange;
  /** `version` from the folder's metadata.json (absent for deleted templates). */
  version?: string;
  /** What this push writes or deletes for the template; empty when unchanged. */
  files: PushFileAction[];
  /** False when a write or delete for this template failed; `error` says why. */
  ok: boolean;
  error?: { code: string; message: string };
}

export interface PushReport {
  bucket: string;
  /** `s3://<bucket>/templates/` */
  url: string;
  /** The folder as the user named it. */
  dir: string;
  dryRun: boolean;
  prune: boolean;
  templates: PushedTemplate[];
  /** Templates in the bucket but not in the folder, kept because --prune was not given. */
  notInFolder: string[];
  /** Templates taken from the record of the last push instead of being read and validated again (their files were unchanged). */
  fromCache: number;
  /** Templates per change, failures included; `failed` counts those whose writes failed. */
  counts: Record<TemplateChange | 'failed', number>;
  filesUploaded: number;
  filesDeleted: number;
  /** False when anything failed. */
  ok: boolean;
}

export interface PushOptions {
  s3: S3Sender;
  bucket: string;
  /** The prepared templates: see preparePushSource. */
  source: PushSource;
  /** Delete templates from the bucket that are not in the folder (or, with names, the named ones not in it). */
  prune?: boolean;
  /** Compare and report only; write nothing. */
  dryRun?: boolean;
  io: IoHost;
  signal?: AbortSignal;
  /** Where the bucket is, for questions and progress (`on the local stack`, `of stack prod`). */
  where?: string;
  concurrency?: number;
}

/**
 * Pushes the prepared templates to the bucket, uploading only files whose content differs from
 * what is there (see `remoteContentHash`), and with `prune` deleting templates that are gone from
 * the folder. Asks before writing on a terminal, and before any deletion everywhere (`--yes`
 * answers). Failures of single templates do not stop the others; they are in the report, which
 * the caller must turn into a non-zero exit (`pushFailedError`).
 */
export async function pushTemplates(options: PushOptions): Promise<PushReport> {
  const { s3, bucket, source, io, signal } = options;
  const limit = options.concurrency ?? S3_CONCURRENCY;
  const url = bucketUrl(bucket);
  const target = options.where ? `${url} ${options.where}` : url;

  const comparing = io.progress('templates.push.compare', `Comparing ${source.templates.length} template${source.templates.length === 1 ? '' : 's'} with ${target}`);
  let planned: { templates: PushedTemplate[]; notInFolder: string[]; remote: Map<string, RemoteTemplate> };
  try {
    planned = await plan(options, limit);
    comparing.succeed(`Compared ${source.templates.length} template${source.templates.length === 1 ? '' : 's'} with ${target}`);
  } catch (err) {
    comparing.stop();
    throw err;
  }
  const report: PushReport = {
    bucket,
    url,
    dir: source.dir,
    dryRun: options.dryRun === true,
    prune: options.prune === true,
    templates: planned.templates,
    notInFolder: planned.notInFolder,
    fromCache: source.fromCache,
    counts: { added: 0, modified: 0, unchanged: 0, deleted: 0, failed: 0 },
    filesUploaded: 0,
    filesDeleted: 0,
    ok: true,
  };
  let writes = report.templates.filter((t) => t.change !== 'unchanged');
  if (writes.length > 0 && !report.dryRun) {
    // Templates taken from the record of the last push that the bucket does not hold as recorded
    // (pushed by someone else, deleted, never pushed here): read, validate and flatten them now,
    // all before the first write, as every other template was.
    const locals = new Map<string, LocalTemplate>();
    const differ: LocalTemplate[] = [];
    const stale = new Set(writes.map((t) => t.name));
    for (const t of source.templates) {
      if (!isCached(t)) locals.set(t.name, t);
      else if (stale.has(t.name)) {
        const local = t.load();
        locals.set(t.name, local);
        // Its files are the ones recorded unless a file changed since the comparison: then compare again.
        if (!sameDigests(t, local)) differ.push(local);
      }
    }
    const recompared = new Map((await mapConcurrent(differ, limit, (local) => compare(s3, bucket, local, planned.remote.get(local.name), signal))).map((t) => [t.name, t]));
    report.templates = report.templates.map((t) => recompared.get(t.name) ?? t);
    writes = report.templates.filter((t) => t.change !== 'unchanged');
    if (writes.length > 0) {
      await confirm(io, writes, target);
      await apply({ s3, bucket, writes, locals, io, target, limit, signal });
    }
  }
  if (!report.dryRun) source.saveCache();
  for (const t of report.templates) {
    report.counts[t.change] += 1;
    if (!t.ok) report.counts.failed += 1;
    for (const f of t.files.filter((f) => f.done)) {
      if (f.action === 'upload') report.filesUploaded += 1;
      else report.filesDeleted += 1;
    }
  }
  report.ok = report.counts.failed === 0;
  return report;
}

async function plan(options: PushOptions, limit: number): Promise<{ templates: PushedTemplate[]; notInFolder: string[]; remote: Map<string, RemoteTemplate> }> {
  const { s3, bucket, source, signal } = options;
  const remote = await listRemoteTemplates(s3, bucket, signal);

  const compared = await mapConcurrent(source.templates, limit, (local) => compare(s3, bucket, local, remote.get(local.name), signal));

  const deleted: PushedTemplate[] = [];
  let notInFolder: string[] = [];
  if (source.names.length > 0) {
    // Named templates that are not in the folder: only a prune may act on them, and only if the bucket has them.
    const unknown = source.absent.filter((n) => !remote.has(n));
    if (unknown.length > 0) {
      throw new MailengineError('TEMPLATE_NOT_FOUND', `No template named ${unknown.map((n) => `"${n}"`).join(', ')} in ${source.dir} or in ${bucketUrl(bucket)}.`, {
        exitCode: ExitCode.NotFound,
        suggestion: 'Check the name; `mailengine templates list` (with the same --local, --stack or --env) shows what the bucket holds.',
      });
    }
    if (options.prune) deleted.push(...source.absent.map((n) => deletion(remote.get(n) as RemoteTemplate)));
  } else {
    const gone = [...remote.values()].filter((r) => !source.available.includes(r.name));
    if (options.prune) deleted.push(...gone.map(deletion));
    else notInFolder = gone.map((r) => r.name);
  }
  const templates = [...compared, ...deleted].sort((a, b) => a.name.localeCompare(b.name));
  return { templates, notInFolder, remote };
}

/**
 * A file is unchanged when the bucket has it with the same SHA-256. The listing settles most files
 * without a request: a size difference means changed, an ETag equal to the content's MD5 means
 * unchanged (see `etagMatches`). Only the rest cost a HEAD (and, for objects without our hash, a
 * download).
 */
async function compare(s3: S3Sender, bucket: string, local: SourceTemplate, remote: RemoteTemplate | undefined, signal?: AbortSignal): Promise<PushedTemplate> {
  const files: PushFileAction[] = [];
  for (const file of local.files) {
    const there = remote ? remoteFile(remote, file.file) : undefined;
    const same = there !== undefined && there.size === file.bytes && (etagMatches(there, file) || (await remoteContentHash(s3, bucket, there.key, signal)).sha256 === file.sha256);
    if (!same) files.push({ file: file.file, key: templateKey(local.name, file.file), action: 'upload', bytes: file.bytes, done: false });
  }
  const change: TemplateChange = !remote ? 'added' : files.length > 0 ? 'modified' : 'unchanged';
  return { name: local.name, change, version: local.version, files, ok: true };
}

function sameDigests(a: SourceTemplate, b: SourceTemplate): boolean {
  return a.version === b.version && a.files.length === b.files.length && a.files.every((f, i) => f.file === b.files[i].file && f.sha256 === b.files[i].sha256 && f.bytes === b.files[i].bytes);
}

function deletion(remote: RemoteTemplate): PushedTemplate {
  return {
    name: remote.name,
    change: 'deleted',
    files: remote.objects.map((o) => ({ file: o.file, key: o.key, action: 'delete' as const, bytes: o.size, done: false })),
    ok: true,
  };
}

/** On a terminal every push is confirmed; elsewhere only deletions need a yes (`--yes`), as they cannot be undone by pushing again. */
async function confirm(io: IoHost, writes: PushedTemplate[], target: string): Promise<void> {
  const deletions = writes.filter((t) => t.change === 'deleted');
  if (!io.interactive && deletions.length === 0) return;
  if (io.interactive) {
    for (const t of writes) {
      const mark = t.change === 'added' ? '+' : t.change === 'modified' ? '~' : '-';
      const detail = t.change === 'modified' ? ` (${t.files.map((f) => f.file).join(', ')})` : '';
      say.info(io, 'templates.push.plan', `${mark} ${t.name}: ${t.change}${detail}`);
    }
  }
  const named = (list: PushedTemplate[]) => (list.length === 1 ? list[0].name : `${list.length} templates`);
  const added = writes.filter((t) => t.change === 'added');
  const modified = writes.filter((t) => t.change === 'modified');
  const parts = [
    ...(added.length > 0 ? [`add ${named(added)}`] : []),
    ...(modified.length > 0 ? [`update ${named(modified)}`] : []),
    // Deletions are always named: they are what a person must not miss.
    ...(deletions.length > 0 ? [`delete ${deletions.map((t) => t.name).join(', ')}`] : []),
  ];
  const accepted = await io.requestResponse({
    kind: 'confirm',
    code: 'templates.push.confirm',
    message: `Push to ${target}: ${parts.join(', ')}?`,
    // Deleting a template makes every request that names it fail: never by default.
    default: deletions.length === 0,
  });
  if (!accepted) {
    throw new MailengineError('TEMPLATES_PUSH_DECLINED', `Nothing was pushed to ${target}.`, {
      exitCode: ExitCode.Failed,
      suggestion: deletions.length > 0 ? 'Run it again and confirm (or pass --yes); without --prune nothing is deleted.' : 'Run it again and confirm, or pass --yes.',
    });
  }
}

interface ApplyInput {
  s3: S3Sender;
  bucket: string;
  writes: PushedTemplate[];
  /** The files' contents, by template name (kept out of the report, which is printed as JSON). */
  locals: Map<string, LocalTemplate>;
  io: IoHost;
  target: string;
  limit: number;
  signal?: AbortSignal;
}

async function apply({ s3, bucket, writes, locals, io, target, limit, signal }: ApplyInput): Promise<void> {
  const progress = io.progress('templates.push.write', `Pushing ${writes.length} template${writes.length === 1 ? '' : 's'} to ${target}`);
  await mapConcurrent(writes, limit, async (t) => {
    let current: PushFileAction | undefined;
    try {
      // One file after another: within a template the order is fixed (the parts, then metadata.json).
      for (const f of t.files) {
        current = f;
        if (signal?.aborted) throw new MailengineError('INTERRUPTED', 'interrupted before this template was complete', { exitCode: ExitCode.Interrupted });
        if (f.action === 'delete') {
          await deleteRemoteObject(s3, bucket, f.key, signal);
        } else {
          const local = locals.get(t.name)?.files.find((l) => l.file === f.file);
          if (!local) throw new Error(`no content for ${f.key}`);
          f.versionId = (await uploadTemplateFile(s3, bucket, { name: t.name, file: local.file, body: local.body, sha256: local.sha256 }, signal)).versionId;
        }
        f.done = true;
      }
    } catch (err) {
      t.ok = false;
      const message = err instanceof Error ? err.message : String(err);
      t.error = { code: (err as { code?: string }).code ?? 'UNKNOWN', message: current ? `${current.file}: ${message}` : message };
    }
  });
  const failed = writes.filter((t) => !t.ok).length;
  if (failed > 0) progress.fail(`${failed} of ${writes.length} template${writes.length === 1 ? '' : 's'} could not be pushed to ${target}`);
  else progress.succeed(`Pushed ${writes.length} template${writes.length === 1 ? '' : 's'} to ${target}`);
  if (signal?.aborted) {
    const done = writes.filter((t) => t.ok).length;
    throw new MailengineError('INTERRUPTED', `Interrupted: ${done} of ${writes.length} templates were pushed to ${target}.`, {
      exitCode: ExitCode.Interrupted,
      suggestion: 'Run the same push again: it uploads only what is still missing or different.',
    });
  }
}

/** The error a push with failures ends in: "Failed to push N templates", each with its reason (exit 1). */
export function pushFailedError(report: PushReport): MailengineError {
  const failed = report.templates.filter((t) => !t.ok);
  const lines = failed.map((t) => `${t.name} (${t.change}): ${t.error?.message ?? 'unknown error'}`);
  return new MailengineError('TEMPLATES_PUSH_FAILED', `Failed to push ${failed.length} template${failed.length === 1 ? '' : 's'} to ${report.url}:\n  ${lines.join('\n  ')}`, {
    exitCode: ExitCode.Failed,
    suggestion: 'The table above shows what did go through. Fix the cause and run the same push again: it uploads only what is still missing or different.',
    details: { failed: failed.map((t) => ({ name: t.name, change: t.change, error: t.error })) },
  });
}
