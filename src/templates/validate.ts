import { existsSync, statSync } from 'node:fs';
import { ExitCode, MailengineError } from '../errors.js';
import { collectMemberReads, collectNameUses, collectReferences, EACH, freeVariables, type MemberStep } from './analyse.js';
import type { VariableSchema, VariablesContract } from './contract.js';
import { compileContract, formatDataPath, type DataProblem } from './contract-check.js';
import { displayLocation, locateInSource, originOf, type FlatSource } from './flatten.js';
import { findUrlAttributes, isAcceptableUrl } from './links.js';
import { parseTemplate, type AstNode } from './nunjucks-api.js';
import { LineIndex, lineOfJsonKey, lineOfJsonPath } from './positions.js';
import { problemsOf, type TemplateProblem } from './problems.js';
import { missingRequiredVariables, renderTemplate, templateContext } from './render.js';
import { BRAND_FILE, DirectoryStore, listTemplateNames, type TemplateStore } from './store.js';
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
  const asts = parts.map((p) => parseTemplate(p.source));
  const undeclared = checkVariables(template, parts, asts, problems, warnings, atKey);
  const undeclaredMembers = checkMembers(template, parts, asts, problems);
  const contractBroken = checkContractData(template, metadataText, problems);
  checkSizes(template, problems);
  const reportedUrls = checkSourceUrls(store, template.parts.html, problems);
  checkSample(template, problems, warnings, atKey, reportedUrls, contractBroken, undeclared, undeclaredMembers);

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

/** Returns the names reported as undeclared against a contract. */
function checkVariables(template: PreparedTemplate, parts: FlatSource[], asts: AstNode[], problems: TemplateProblem[], warnings: TemplateProblem[], atKey: AtKey): Set<string> {
  const read = new Set(asts.flatMap((ast) => [...collectReferences(ast)]));
  const contract = template.metadata.variables;
  const metadataText = template.store.read(template.files.metadata) ?? '';
  // With a contract, each name is pointed at where the contract declares it.
  const atName = (name: string, list: 'requiredVariables' | 'optionalVariables') =>
    contract ? { file: atKey().file, line: lineOfJsonPath(metadataText, ['variables', 'properties', name]) ?? atKey('variables').line } : atKey(list);
  for (const name of template.metadata.requiredVariables) {
    if (!read.has(name)) problems.push({ code: 'TEMPLATE_REQUIRED_UNUSED', message: `required variable "${name}" is not used by the subject, HTML or text`, ...atName(name, 'requiredVariables') });
  }
  for (const name of template.metadata.optionalVariables) {
    if (!read.has(name)) warnings.push({ code: 'TEMPLATE_OPTIONAL_UNUSED', message: `optional variable "${name}" is not used anywhere`, ...atName(name, 'optionalVariables') });
  }
  const declared = new Set([...template.metadata.requiredVariables, ...template.metadata.optionalVariables, ...Object.keys(template.defaults), 'subject']);
  const undeclared = [...new Set(asts.flatMap((ast) => [...freeVariables(ast)]))].filter((n) => !declared.has(n)).sort();
  if (undeclared.length === 0) return new Set();
  if (contract) {
    // A contract promises callers that what it declares is all the template needs: each name
    // it leaves out is a problem, pointed at the first place the template reads it.
    for (const name of undeclared) {
      const place = firstUse(template.store, parts, asts, name);
      problems.push({ code: 'TEMPLATE_UNDECLARED_VARIABLE', message: `"${name}" is used but not declared in variables.properties`, ...(place ?? atKey('variables')) });
    }
    return new Set(undeclared);
  }
  warnings.push({
    code: 'TEMPLATE_UNDECLARED_VARIABLE',
    message: `used but not listed in requiredVariables or optionalVariables: ${undeclared.join(', ')}`,
    ...atKey('optionalVariables', 'requiredVariables'),
  });
  return new Set();
}

/**
 * With a contract, the fields the template reads inside declared objects and array elements
 * (`order.total`, `item.price` in a loop over `items`) must be declared too: the contract and the
 * types generated from it are all an app goes by. Each field is reported once, at its first use.
 * Returns where each problem is, so the sample render does not report the same read again.
 */
function checkMembers(template: PreparedTemplate, parts: FlatSource[], asts: AstNode[], problems: TemplateProblem[]): Set<string> {
  const contract = template.metadata.variables;
  const places = new Set<string>();
  if (!contract) return places;
  const reported = new Set<string>();
  for (const [i, part] of parts.entries()) {
    for (const read of collectMemberReads(asts[i])) {
      const gap = undeclaredMember(contract, read.path);
      if (!gap) continue;
      const origin = originOf(part, { line: read.lineno + 1, column: read.colno + 1 });
      const place = origin ? displayLocation(template.store, origin.file, part.sources.get(origin.file), origin.offset) : { file: template.store.display(template.files.metadata) };
      // Every read with a gap: the sample render stops at whichever comes first, in any part.
      places.add(`${place.file}:${place.line}`);
      if (reported.has(gap.field)) continue;
      reported.add(gap.field);
      problems.push({ code: 'TEMPLATE_UNDECLARED_VARIABLE', message: `"${gap.field}" is used but not declared in ${gap.declaredIn}`, ...place });
    }
  }
  return places;
}

/**
 * The first step of `path` that reads a field a declared object leaves out, as `items[].colour`,
 * with where it would be declared. Nothing when every step is declared, or the path leaves what
 * the contract describes (a top-level name it does not declare, a string's or array's own members,
 * an object declared without properties).
 */
export function undeclaredMember(contract: VariablesContract, path: MemberStep[]): { field: string; declaredIn: string } | undefined {
  let schema: VariableSchema = { type: 'object', properties: contract.properties };
  let field = '';
  let declaredIn = 'variables';
  for (const [i, step] of path.entries()) {
    if (step === EACH || typeof step === 'number') {
      if (schema.type !== 'array' || !schema.items) return undefined;
      schema = schema.items;
      field += step === EACH ? '[]' : `[${step}]`;
      declaredIn += '.items';
      continue;
    }
    if (schema.type !== 'object' || !schema.properties) return undefined;
    field += i === 0 ? step : `.${step}`;
    if (!Object.hasOwn(schema.properties, step)) return i === 0 ? undefined : { field, declaredIn: `${declaredIn}.properties` };
    schema = schema.properties[step];
    declaredIn += `.properties.${step}`;
  }
  return undefined;
}

function firstUse(store: TemplateStore, parts: FlatSource[], asts: AstNode[], name: string): Pick<TemplateProblem, 'file' | 'line' | 'column'> | undefined {
  for (const [i, ast] of asts.entries()) {
    const [use] = collectNameUses(ast, new Set([name]));
    if (!use) continue;
    const origin = originOf(parts[i], { line: use.lineno + 1, column: use.colno + 1 });
    if (origin) return displayLocation(store, origin.file, parts[i].sources.get(origin.file), origin.offset);
  }
  return undefined;
}

/**
 * With a contract, the values the template ships with must keep it: the defaults (the layout's
 * brand.json and the template's own `defaults`) for each variable they give, and sampleData, with
 * the defaults under it, as a whole. Each problem points at the value at fault. Returns whether
 * any was found.
 */
function checkContractData(template: PreparedTemplate, metadataText: string, problems: TemplateProblem[]): boolean {
  const contract = template.metadata.variables;
  if (!contract) return false;
  const before = problems.length;
  const validate = compileContract(contract);
  const metadataFile = template.store.display(template.files.metadata);
  const own = template.metadata.defaults ?? {};
  const brandText = template.store.read(BRAND_FILE) ?? '';
  const at = (root: 'sampleData' | 'defaults', problem: DataProblem, code: string): TemplateProblem => {
    if (root === 'defaults' && !Object.hasOwn(own, problem.path[0])) {
      return { code, message: `${formatDataPath('brand', problem.path)}: ${problem.message}`, file: template.store.display(BRAND_FILE), line: lineOfJsonPath(brandText, problem.path) };
    }
    return { code, message: `${formatDataPath(root, problem.path)}: ${problem.message}`, file: metadataFile, line: lineOfJsonPath(metadataText, [root, ...problem.path]) ?? lineOfJsonKey(metadataText, root) ?? 1 };
  };
  // Defaults need not give every required variable: only what they do give is checked.
  for (const problem of validate(template.defaults)) {
    if (problem.path.length === 1 && !Object.hasOwn(template.defaults, problem.path[0])) continue;
    problems.push(at('defaults', problem, 'TEMPLATE_DEFAULTS_INVALID'));
  }
  const sample = template.metadata.sampleData;
  if (sample) {
    for (const problem of validate(templateContext(template, sample))) {
      // A default at fault was reported above, where it is written.
      if (problem.path.length > 0 && !Object.hasOwn(sample, problem.path[0]) && Object.hasOwn(template.defaults, problem.path[0])) continue;
      problems.push(at('sampleData', problem, 'TEMPLATE_SAMPLE_INVALID'));
    }
  }
  return problems.length > before;
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

function checkSample(
  template: PreparedTemplate,
  problems: TemplateProblem[],
  warnings: TemplateProblem[],
  atKey: AtKey,
  reportedUrls: Set<string>,
  contractBroken: boolean,
  undeclared: Set<string>,
  undeclaredMembers: Set<string>,
): void {
  const sample = template.metadata.sampleData;
  if (!sample) {
    warnings.push({ code: 'TEMPLATE_NO_SAMPLE_DATA', message: 'no sampleData, so the template was not test-rendered; add it to metadata.json', ...atKey('subject') });
    return;
  }
  // Data that breaks the contract was reported value by value; rendering it proves nothing more.
  if (contractBroken) return;
  const missing = missingRequiredVariables(template, templateContext(template, sample));
  if (missing.length > 0) {
    problems.push({ code: 'TEMPLATE_SAMPLE_INCOMPLETE', message: `sampleData has no value for required ${missing.map((n) => `"${n}"`).join(', ')}`, ...atKey('sampleData') });
    return;
  }
  let rendered;
  try {
    rendered = renderTemplate(template, sample);
  } catch (err) {
    // A name already reported as undeclared is one mistake, not two.
    const repeated = (p: TemplateProblem) =>
      p.code === 'TEMPLATE_UNDEFINED_VARIABLE' && ([...undeclared].some((name) => p.message === `undefined variable "${name}"`) || undeclaredMembers.has(`${p.file}:${p.line}`));
    problems.push(...problemsOf(err, template.store.display(template.files.html)).filter((p) => !repeated(p)));
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
