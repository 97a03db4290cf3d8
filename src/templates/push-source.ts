import { existsSync, statSync } from 'node:fs';
import { ExitCode, MailengineError, usageError } from '../errors.js';
import { formatProblem, type TemplateProblem } from './problems.js';
import { inputsUnchanged, loadPushCache, RecordingStore, savePushCache, type PushCacheEntry, type PushFileDigest } from './push-cache.js';
import { contentHash, etagOf, STANDALONE_FILE_NAMES } from './remote.js';
import { listTemplateNames } from './store.js';
import { standaloneFiles, TEMPLATE_NAME_PATTERN } from './template.js';
import { checkTemplate, type TemplateReport } from './validate.js';

export type { PushFileDigest } from './push-cache.js';

/** One stand-alone file as it will be uploaded. */
export interface PushFile extends PushFileDigest {
  body: string;
}

/** A valid template from the folder, flattened into the three files the Sender reads. */
export interface LocalTemplate {
  name: string;
  version?: string;
  files: PushFile[];
}

/**
 * A template whose files are all as the last push recorded them (see push-cache.ts): its
 * stand-alone files' hashes are known without reading, validating or flattening it. `load` does
 * that work, for when the bucket turns out not to hold those files.
 */
export interface CachedTemplate {
  name: string;
  version?: string;
  files: PushFileDigest[];
  cached: true;
  load(): LocalTemplate;
}

export type SourceTemplate = LocalTemplate | CachedTemplate;

export function isCached(template: SourceTemplate): template is CachedTemplate {
  return (template as CachedTemplate).cached === true;
}

export interface PushSource {
  /** The folder as the user named it. */
  dir: string;
  /** The names asked for; empty means the whole folder. */
  names: string[];
  /** Every template in the folder, selected or not: a prune keeps these. */
  available: string[];
  /** The templates to push, valid and flattened (or known from the record of the last push), sorted by name. */
  templates: SourceTemplate[];
  /** Names asked for that are not in the folder (only with `allowAbsent`): a prune may delete them. */
  absent: string[];
  warnings: TemplateProblem[];
  /** How many templates were taken from the record of the last push rather than read and validated. */
  fromCache: number;
  /** Writes the record for the next push (a no-op without `cacheFile`); the push calls it once it has written. */
  saveCache(): void;
}

export interface PushSourceOptions {
  /** Absolute path of the templates folder. */
  dir: string;
  displayDir?: string;
  /** Only these templates (default: every template in the folder). */
  names?: string[];
  /** Accept names that are not in the folder (for `--prune`, which deletes them from the bucket). */
  allowAbsent?: boolean;
  /**
   * The record of the last push of this folder (see pushCacheFile). Without it, or with `noCache`,
   * every template is read, validated and flattened.
   */
  cacheFile?: string;
  /** Ignore the record (it is still rewritten after the push). */
  noCache?: boolean;
}

/** The three stand-alone files of a checked template, with their hashes. */
function pushFiles(template: Parameters<typeof standaloneFiles>[0]): PushFile[] {
  const files = standaloneFiles(template);
  return STANDALONE_FILE_NAMES.map((file) => ({ file, body: files[file], sha256: contentHash(files[file]), md5: etagOf(files[file]), bytes: Buffer.byteLength(files[file], 'utf8') }));
}

function invalidTemplatesError(reports: TemplateReport[], failed: TemplateReport[]): MailengineError {
  const problems = failed.flatMap((r) => r.problems);
  const list = problems.map((p) => `${formatProblem(p)} [${p.code}]`).join('\n  ');
  return new MailengineError(
    'TEMPLATES_INVALID',
    `Nothing was pushed: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${failed.length} of ${reports.length} template${reports.length === 1 ? '' : 's'}:\n  ${list}`,
    {
      exitCode: ExitCode.Usage,
      suggestion: 'Fix them and push again; `mailengine templates validate` checks a folder without pushing.',
      details: { problems },
    },
  );
}

/**
 * Reads, validates and flattens the templates to push, before anything talks to S3. A template
 * that fails validation stops the whole push: every problem is listed with file and line, and
 * nothing is uploaded, so the bucket never holds a mix of old and half-fixed templates.
 *
 * With `cacheFile`, a template whose files all hash as the record of the last push says is taken
 * from the record instead (see push-cache.ts): its flattened files' hashes are known, and it is
 * read, validated and flattened only if the bucket turns out not to hold them.
 */
export function preparePushSource(options: PushSourceOptions): PushSource {
  const displayDir = options.displayDir ?? options.dir;
  const names = [...new Set(options.names ?? [])];
  assertFolder(options.dir, displayDir, names);
  const bad = names.filter((n) => !TEMPLATE_NAME_PATTERN.test(n));
  if (bad.length > 0) {
    throw usageError('TEMPLATE_NAME_INVALID', `${bad.map((n) => `"${n}"`).join(', ')} ${bad.length === 1 ? 'is not a template name' : 'are not template names'}.`, 'Template names are folder names: letters, digits, ".", "_" and "-", starting with a letter or digit.');
  }

  const available = listTemplateNames(options.dir);
  const absent = names.filter((n) => !available.includes(n));
  if (absent.length > 0 && !options.allowAbsent) {
    throw new MailengineError('TEMPLATE_NOT_FOUND', `No template named ${absent.map((n) => `"${n}"`).join(', ')} in ${displayDir}.`, {
      exitCode: ExitCode.NotFound,
      suggestion: available.length ? `Templates there: ${available.join(', ')}. To delete a template from the bucket, name it with --prune.` : 'The folder has no templates; run `mailengine templates init` to start from the starters.',
    });
  }
  const selected = names.length > 0 ? names.filter((n) => available.includes(n)).sort() : available;
  if (available.length === 0 && names.length === 0) {
    // An empty folder is far more likely a wrong path than a wish to empty the bucket.
    throw new MailengineError('TEMPLATES_NOT_FOUND', `${displayDir} has no templates (folders with template.html, template.txt and metadata.json).`, {
      exitCode: ExitCode.NotFound,
      suggestion: 'Pass the folder that holds your templates, or run `mailengine templates init` to copy the starters there.',
    });
  }

  const previous = options.cacheFile ? loadPushCache(options.cacheFile, displayDir) : new Map<string, PushCacheEntry>();
  const entries = new Map([...previous].filter(([name]) => available.includes(name)));
  /** Reads, validates and flattens one template, noting what it read for the next push. */
  const check = (name: string) => {
    const store = new RecordingStore(options.dir, displayDir);
    const { report, template } = checkTemplate(store, name);
    // Valid, so loaded: the template validation loaded is the one pushed.
    const local: LocalTemplate | undefined = report.ok && template ? { name, version: report.version, files: pushFiles(template) } : undefined;
    if (local) entries.set(name, { inputs: store.inputs, version: local.version, warnings: report.warnings, files: local.files.map(({ file, sha256, md5, bytes }) => ({ file, sha256, md5, bytes })) });
    else entries.delete(name);
    return { report, local };
  };

  const digests = new Map<string, string | null>();
  const reports: TemplateReport[] = [];
  const templates: SourceTemplate[] = [];
  for (const name of selected) {
    const entry = options.noCache ? undefined : previous.get(name);
    if (entry && inputsUnchanged(options.dir, entry, digests)) {
      reports.push({ name, ok: true, version: entry.version, problems: [], warnings: entry.warnings });
      templates.push({
        name,
        version: entry.version,
        files: entry.files,
        cached: true,
        load: () => {
          const { report, local } = check(name);
          // The files changed between the comparison and now: stop as a push of them would have.
          if (!local) throw invalidTemplatesError([report], [report]);
          return local;
        },
      });
      continue;
    }
    const { report, local } = check(name);
    reports.push(report);
    if (local) templates.push(local);
  }
  const failed = reports.filter((r) => !r.ok);
  if (failed.length > 0) throw invalidTemplatesError(reports, failed);

  return {
    dir: displayDir,
    names,
    available,
    templates,
    absent,
    warnings: reports.flatMap((r) => r.warnings),
    fromCache: templates.filter(isCached).length,
    saveCache: () => {
      if (options.cacheFile) savePushCache(options.cacheFile, displayDir, entries);
    },
  };
}

function assertFolder(dir: string, displayDir: string, names: string[]): void {
  if (existsSync(dir) && statSync(dir).isDirectory()) return;
  throw new MailengineError('TEMPLATES_DIR_NOT_FOUND', `No templates folder at ${displayDir}.`, {
    exitCode: ExitCode.NotFound,
    // `push welcome` reads "welcome" as the folder; the usual intent was a template name.
    suggestion:
      names.length === 0
        ? `Pass the folder that holds your templates. To push only some templates, name the folder first: \`mailengine templates push templates ${displayDir}\`.`
        : 'Pass the folder that holds your templates, or create one with `mailengine templates init`.',
  });
}
