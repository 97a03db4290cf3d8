import { existsSync, statSync } from 'node:fs';
import { ExitCode, MailengineError } from '../errors.js';
import { collectReferences, freeVariables } from './analyse.js';
import { locateInSource, type FlatSource } from './flatten.js';
import { findUrlAttributes, isAcceptableUrl } from './links.js';
import { parseTemplate } from './nunjucks-api.js';
import { LineIndex, lineOfJsonKey } from './positions.js';
import { problemsOf, type TemplateProblem } from './problems.js';
import { missingRequiredVariables, renderTemplate, templateContext } from './render.js';
import { DirectoryStore, listTemplateNames, type TemplateStore } from './store.js';
import { loadTemplate, standaloneFiles, type PreparedTemplate } from './template.js';

/** SESMailEngine's per-file limit, which the Sender keeps: each pushed file must stay under it. */
export const MAX_FILE_BYTES = 256 * 1024;
/** Gmail cuts messages whose HTML is larger than about this and hides the rest behind a link. */
export const GMAIL_CLIP_BYTES = 102 * 1024;

export interface TemplateReport {
  name: string;
  version?: string;
  description?: string;
  ok: boolean;
  /** Anything here fails validation. */
  problems: TemplateProblem[];
  /** Worth a look, but not wrong. */
  warnings: TemplateProblem[];
}

export interface ValidationReport {
  /** The folder as the user named it. */
  dir: string;
  ok: boolean;
  templates: TemplateReport[];
  problemCount: number;
  warningCount: number;
}

export interface ValidateOptions {
  /** Absolute path of the templates folder. */
  dir: string;
  /** How to show it in messages; defaults to `dir`. */
  displayDir?: string;
  /** Only these templates (default: every template in the folder). */
  names?: string[];
}

/**
 * Checks every template in a folder the way `templates validate` reports it: each parses and
 * flattens, metadata is valid, sample data renders with no undefined variable, required variables
 * are used, the subject and text part are not empty, files stay under 256 KB, and every link and
 * image is absolute. Never throws for a bad template; only for a missing folder or name.
 */
export function validateTemplates(options: ValidateOptions): ValidationReport {
  const displayDir = options.displayDir ?? options.dir;
  assertTemplatesDir(options.dir, displayDir);
  const available = listTemplateNames(options.dir);
  const names = options.names?.length ? options.names : available;
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    throw new MailengineError('TEMPLATE_NOT_FOUND', `No template named ${unknown.map((n) => `"${n}"`).join(', ')} in ${displayDir}.`, {
      exitCode: ExitCode.NotFound,
      suggestion: available.length ? `Templates there: ${available.join(', ')}.` : 'The folder has no templates; run `mailengine templates init` to start from the starters.',
    });
  }
  if (names.length === 0) {
    throw new MailengineError('TEMPLATES_NOT_FOUND', `${displayDir} has no templates (folders with template.html, template.txt and metadata.json).`, {
      exitCode: ExitCode.NotFound,
      suggestion: 'Run `mailengine templates init` to copy the starter templates there.',
    });
  }
  const store = new DirectoryStore(options.dir, displayDir);
  const templates = names.map((name) => validateTemplate(store, name));
  const problemCount = templates.reduce((n, t) => n + t.problems.length, 0);
  const warningCount = templates.reduce((n, t) => n + t.warnings.length, 0);
  return { dir: displayDir, ok: problemCount === 0, templates, problemCount, warningCount };
}

/** Throws "not found" (exit 4) unless `dir` is a folder. */
export function assertTemplatesDir(dir: string, displayDir: string = dir): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new MailengineError('TEMPLATES_DIR_NOT_FOUND', `No templates folder at ${displayDir}.`, {
      exitCode: ExitCode.NotFound,
      suggestion: 'Pass the folder that holds your templates, or create one with `mailengine templates init`.',
    });
  }
}

/** Validates one template from any store. */
export function validateTemplate(store: TemplateStore, name: string): TemplateReport {
  return checkTemplate(store, name).report;
}

/**
 * Validates one template and hands back the loaded template with the report (absent when it
 * could not be loaded), so a caller that goes on to use it does not load it a second time.
 */
export function checkTemplate(store: TemplateStore, name: string): { report: TemplateReport; template?: PreparedTemplate } {
  let template: PreparedTemplate;
  try {
    template = loadTemplate(store, name);
  } catch (err) {
    return { report: { name, ok: false, problems: problemsOf(err, store.display(name)), warnings: [] } };
  }
  const problems: TemplateProblem[] = [];
  const warnings: TemplateProblem[] = [];
  const metadataFile = store.display(template.files.metadata);
  const metadataText = store.read(template.files.metadata) ?? '';
  // Point at the first of the keys that is in the file, or at its first line.
  const atKey = (...keys: string[]) => ({ file: metadataFile, line: keys.map((k) => lineOfJsonKey(metadataText, k)).find((l) => l !== undefined) ?? 1 });

  for (const key of template.unknownMetadataKeys) {
    warnings.push({ code: 'TEMPLATE_UNKNOWN_METADATA_KEY', message: `unknown key "${key}" (a typo?)`, ...atKey(key) });
  }

  const parts = Object.values(template.parts).filter((p): p is FlatSource => p !== undefined);
  checkVariables(template, parts, problems, warnings, atKey);
  checkSizes(template, problems);
  const reportedUrls = checkSourceUrls(store, template.parts.html, problems);
  checkSample(template, problems, warnings, atKey, reportedUrls);

  return {
    report: { name, version: template.metadata.version, description: template.metadata.description, ok: problems.length === 0, problems: byPosition(problems), warnings: byPosition(warnings) },
    template,
  };
}

/** In file order, so the list reads top to bottom like the files do. */
function byPosition(problems: TemplateProblem[]): TemplateProblem[] {
  const rank = (n: number | undefined) => n ?? Number.MAX_SAFE_INTEGER;
  return [...problems].sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || rank(a.line) - rank(b.line) || rank(a.column) - rank(b.column));
}

type AtKey = (...keys: string[]) => Pick<TemplateProblem, 'file' | 'line'>;

function checkVariables(template: PreparedTemplate, parts: FlatSource[], problems: TemplateProblem[], warnings: TemplateProblem[], atKey: AtKey): void {
  const asts = parts.map((p) => parseTemplate(p.source));
  const read = new Set(asts.flatMap((ast) => [...collectReferences(ast)]));
  for (const name of template.metadata.requiredVariables) {
    if (!read.has(name)) problems.push({ code: 'TEMPLATE_REQUIRED_UNUSED', message: `required variable "${name}" is not used by the subject, HTML or text`, ...atKey('requiredVariables') });
  }
  for (const name of template.metadata.optionalVariables) {
    if (!read.has(name)) warnings.push({ code: 'TEMPLATE_OPTIONAL_UNUSED', message: `optional variable "${name}" is not used anywhere`, ...atKey('optionalVariables') });
  }
  const declared = new Set([...template.metadata.requiredVariables, ...template.metadata.optionalVariables, ...Object.keys(template.defaults), 'subject']);
  const undeclared = [...new Set(asts.flatMap((ast) => [...freeVariables(ast)]))].filter((n) => !declared.has(n)).sort();
  if (undeclared.length > 0) {
    warnings.push({
      code: 'TEMPLATE_UNDECLARED_VARIABLE',
      message: `used but not listed in requiredVariables or optionalVariables: ${undeclared.join(', ')}`,
      ...atKey('optionalVariables', 'requiredVariables'),
    });
  }
}

function checkSizes(template: PreparedTemplate, problems: TemplateProblem[]): void {
  const files = standaloneFiles(template);
  const names = { 'template.html': template.files.html, 'template.txt': template.files.text, 'metadata.json': template.files.metadata } as const;
  for (const [file, text] of Object.entries(files) as Array<[keyof typeof names, string]>) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_FILE_BYTES) {
      problems.push({
        code: 'TEMPLATE_TOO_LARGE',
        message: `is ${kb(bytes)} with its layout and includes; the limit is ${kb(MAX_FILE_BYTES)} (host images, trim CSS)`,
        file: template.store.display(names[file]),
      });
    }
  }
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** Reports relative URLs written into the template; returns them so the rendered check skips them. */
function checkSourceUrls(store: TemplateStore, html: FlatSource, problems: TemplateProblem[]): Set<string> {
  const lines = new LineIndex(html.source);
  const reported = new Set<string>();
  for (const url of findUrlAttributes(html.source)) {
    if (isAcceptableUrl(url.value, true)) continue;
    reported.add(`${url.attribute}=${url.value}`);
    problems.push({
      code: 'TEMPLATE_RELATIVE_URL',
      message: `${url.attribute}="${url.value}" is not an absolute URL; emails need https://, http://, mailto: or tel:`,
      ...locateInSource(store, html, lines.positionOf(url.offset)),
    });
  }
  return reported;
}

function checkSample(template: PreparedTemplate, problems: TemplateProblem[], warnings: TemplateProblem[], atKey: AtKey, reportedUrls: Set<string>): void {
  const sample = template.metadata.sampleData;
  if (!sample) {
    warnings.push({ code: 'TEMPLATE_NO_SAMPLE_DATA', message: 'no sampleData, so the template was not test-rendered; add it to metadata.json', ...atKey('subject') });
    return;
  }
  const missing = missingRequiredVariables(template, templateContext(template, sample));
  if (missing.length > 0) {
    problems.push({ code: 'TEMPLATE_SAMPLE_INCOMPLETE', message: `sampleData has no value for required ${missing.map((n) => `"${n}"`).join(', ')}`, ...atKey('sampleData') });
    return;
  }
  let rendered;
  try {
    rendered = renderTemplate(template, sample);
  } catch (err) {
    problems.push(...problemsOf(err, template.store.display(template.files.html)));
    return;
  }
  const htmlFile = template.store.display(template.files.html);
  if (rendered.text.trim() === '') {
    problems.push({ code: 'TEMPLATE_EMPTY_TEXT', message: 'the text part renders empty with the sample data; every email needs a plain-text part', file: template.store.display(template.files.text) });
  }
  const htmlBytes = Buffer.byteLength(rendered.html, 'utf8');
  if (htmlBytes > MAX_FILE_BYTES) {
    problems.push({ code: 'TEMPLATE_TOO_LARGE', message: `renders ${kb(htmlBytes)} of HTML with the sample data; the limit is ${kb(MAX_FILE_BYTES)}`, file: htmlFile });
  } else if (htmlBytes > GMAIL_CLIP_BYTES) {
    warnings.push({ code: 'TEMPLATE_GMAIL_CLIPPING', message: `renders ${kb(htmlBytes)} of HTML; Gmail clips messages above about ${kb(GMAIL_CLIP_BYTES)}`, file: htmlFile });
  }
  for (const url of findUrlAttributes(rendered.html)) {
    // A relative URL written literally in the template was reported above, with its line.
    if (isAcceptableUrl(url.value, false) || reportedUrls.has(`${url.attribute}=${url.value}`)) continue;
    problems.push({ code: 'TEMPLATE_RELATIVE_URL', message: `with the sample data, renders ${url.attribute}="${url.value}", which is not an absolute URL`, file: htmlFile });
  }
}
