import { existsSync, statSync } from 'node:fs';
import { ExitCode, MailengineError, usageError } from '../errors.js';
import { formatProblem, type TemplateProblem } from './problems.js';
import { contentHash, etagOf, STANDALONE_FILE_NAMES, type TemplateFileName } from './remote.js';
import { DirectoryStore, listTemplateNames } from './store.js';
import { standaloneFiles, TEMPLATE_NAME_PATTERN } from './template.js';
import { checkTemplate } from './validate.js';

/** One stand-alone file as it will be uploaded. */
export interface PushFile {
  file: TemplateFileName;
  body: string;
  sha256: string;
  /** MD5 of the body (hex), to compare with the listing's ETags. */
  md5: string;
  bytes: number;
}

/** A valid template from the folder, flattened into the three files the Sender reads. */
export interface LocalTemplate {
  name: string;
  version?: string;
  files: PushFile[];
}

export interface PushSource {
  /** The folder as the user named it. */
  dir: string;
  /** The names asked for; empty means the whole folder. */
  names: string[];
  /** Every template in the folder, selected or not: a prune keeps these. */
  available: string[];
  /** The templates to push, valid and flattened, sorted by name. */
  templates: LocalTemplate[];
  /** Names asked for that are not in the folder (only with `allowAbsent`): a prune may delete them. */
  absent: string[];
  warnings: TemplateProblem[];
}

export interface PushSourceOptions {
  /** Absolute path of the templates folder. */
  dir: string;
  displayDir?: string;
  /** Only these templates (default: every template in the folder). */
  names?: string[];
  /** Accept names that are not in the folder (for `--prune`, which deletes them from the bucket). */
  allowAbsent?: boolean;
}

/**
 * Reads, validates and flattens the templates to push, before anything talks to S3. A template
 * that fails validation stops the whole push: every problem is listed with file and line, and
 * nothing is uploaded, so the bucket never holds a mix of old and half-fixed templates.
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

  const store = new DirectoryStore(options.dir, displayDir);
  const checked = selected.map((name) => checkTemplate(store, name));
  const reports = checked.map((c) => c.report);
  const failed = reports.filter((r) => !r.ok);
  if (failed.length > 0) {
    const problems = failed.flatMap((r) => r.problems);
    const list = problems.map((p) => `${formatProblem(p)} [${p.code}]`).join('\n  ');
    throw new MailengineError(
      'TEMPLATES_INVALID',
      `Nothing was pushed: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${failed.length} of ${reports.length} template${reports.length === 1 ? '' : 's'}:\n  ${list}`,
      {
        exitCode: ExitCode.Usage,
        suggestion: 'Fix them and push again; `mailengine templates validate` checks a folder without pushing.',
        details: { problems },
      },
    );
  }

  const templates = checked.map(({ report, template }): LocalTemplate => {
    // Valid, so loaded: the template validation loaded is the one pushed.
    const files = standaloneFiles(template as NonNullable<typeof template>);
    return {
      name: report.name,
      version: report.version,
      files: STANDALONE_FILE_NAMES.map((file) => ({ file, body: files[file], sha256: contentHash(files[file]), md5: etagOf(files[file]), bytes: Buffer.byteLength(files[file], 'utf8') })),
    };
  });
  return { dir: displayDir, names, available, templates, absent, warnings: reports.flatMap((r) => r.warnings) };
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
