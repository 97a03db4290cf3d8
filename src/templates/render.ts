import { sharedEnvironment, type OutputKind } from './environment.js';
import { collectFilters } from './analyse.js';
import { displayLocation, locateInSource, originOf, type FlatSource, type SourceLocation } from './flatten.js';
import { nunjucks, parseTemplate } from './nunjucks-api.js';
import { LineIndex, lineOfJsonKey } from './positions.js';
import { describeNunjucksError, problemsOf, templateError, type TemplateProblem } from './problems.js';
import type { PartName, PreparedTemplate } from './template.js';

/** One rendered email, ready to hand to SES. */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  senderName?: string;
  senderEmail?: string;
  replyTo?: string;
}

export type TemplateData = Record<string, unknown>;

function isPlainObject(value: unknown): value is TemplateData {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The variables a template sees: its defaults, overlaid by templateData. */
export function templateContext(template: PreparedTemplate, data: TemplateData): TemplateData {
  return { ...template.defaults, ...data };
}

/**
 * The body also sees the rendered subject as `subject` (SESMailEngine templates use it for
 * `<title>`), unless templateData brings its own `subject`.
 */
export function bodyContext(context: TemplateData, subject: string): TemplateData {
  return context.subject === undefined || context.subject === null ? { ...context, subject } : context;
}

/** Required variables that templateData (with defaults) leaves undefined or null. */
export function missingRequiredVariables(template: PreparedTemplate, context: TemplateData): string[] {
  return template.metadata.requiredVariables.filter((name) => context[name] === undefined || context[name] === null);
}

/** Subjects and header fields are one line; templates spread them over several for readability. */
function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/**
 * Renders a prepared template with templateData. Required variables are checked first; then
 * every part is rendered and every failure is reported together, each with file and line.
 */
export function renderTemplate(template: PreparedTemplate, data: unknown): RenderedEmail {
  const metadataFile = template.store.display(template.files.metadata);
  if (!isPlainObject(data)) {
    throw templateError([{ code: 'TEMPLATE_DATA_INVALID', message: 'templateData must be a JSON object' }]);
  }
  const context = templateContext(template, data);
  const missing = missingRequiredVariables(template, context);
  if (missing.length > 0) {
    const metadataText = template.store.read(template.files.metadata) ?? '';
    throw templateError([
      {
        code: 'TEMPLATE_MISSING_VARIABLES',
        message: `templateData has no value for required variable${missing.length === 1 ? '' : 's'} ${missing.map((n) => `"${n}"`).join(', ')}`,
        file: metadataFile,
        line: lineOfJsonKey(metadataText, 'requiredVariables'),
      },
    ]);
  }

  const problems: TemplateProblem[] = [];
  const render = (part: PartName, kind: OutputKind, vars: TemplateData): string | undefined => {
    const flat = template.parts[part];
    if (!flat) return undefined;
    try {
      return renderFlat(template, flat, kind, vars);
    } catch (err) {
      problems.push(...problemsOf(err));
      return undefined;
    }
  };

  const subject = oneLine(render('subject', 'text', context) ?? '');
  const body = bodyContext(context, subject);
  const html = render('html', 'html', body);
  const text = render('text', 'text', body);
  const extras: Partial<Record<'senderName' | 'senderEmail' | 'replyTo', string>> = {};
  for (const field of ['senderName', 'senderEmail', 'replyTo'] as const) {
    const value = render(field, 'text', body);
    if (value !== undefined && oneLine(value) !== '') extras[field] = oneLine(value);
  }
  if (problems.length === 0 && subject === '') {
    problems.push({ code: 'TEMPLATE_EMPTY_SUBJECT', message: 'the subject renders empty', file: metadataFile, line: lineOfJsonKey(template.store.read(template.files.metadata) ?? '', 'subject') });
  }
  if (problems.length > 0 || html === undefined || text === undefined) throw templateError(problems);
  return { subject, html, text, ...extras };
}

// Compiled once per part and output kind: autoescaping is decided at compile time.
const compiled = new WeakMap<FlatSource, Map<OutputKind, nunjucks.Template>>();

/** Renders one flattened part; errors come back located in the original files. */
export function renderFlat(template: Pick<PreparedTemplate, 'store'>, flat: FlatSource, kind: OutputKind, vars: TemplateData): string {
  try {
    let byKind = compiled.get(flat);
    if (!byKind) {
      byKind = new Map();
      compiled.set(flat, byKind);
    }
    let compiledTemplate = byKind.get(kind);
    if (!compiledTemplate) {
      compiledTemplate = new nunjucks.Template(flat.source, sharedEnvironment(kind), flat.entry, true);
      byKind.set(kind, compiledTemplate);
    }
    return compiledTemplate.render(vars);
  } catch (err) {
    throw templateError([problemFromNunjucks(template.store, flat, err)]);
  }
}

const UNDEFINED_OUTPUT = 'attempted to output null or undefined value';
const SIMPLE_PATH = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[[^\]]+\])*$/;

/** A Nunjucks error as a problem in the original file, with the expression named when it is an undefined value. */
export function problemFromNunjucks(store: PreparedTemplate['store'], flat: FlatSource, err: unknown): TemplateProblem {
  const info = describeNunjucksError(err);
  let where: SourceLocation;
  if (info.line !== undefined) where = locateInSource(store, flat, { line: info.line, column: info.column ?? 1 });
  else if (info.filter) where = locateFilter(store, flat, info.filter) ?? displayLocation(store, flat.entry, undefined, undefined);
  else where = displayLocation(store, flat.entry, undefined, undefined);

  if (info.message === UNDEFINED_OUTPUT && info.line !== undefined) {
    // Nunjucks points at the `{{` of the output; read the expression from there.
    const offset = new LineIndex(flat.source).offsetOf({ line: info.line, column: info.column ?? 1 });
    const expression = /^\{\{-?\s*([\s\S]*?)\s*-?\}\}/.exec(flat.source.slice(offset))?.[1];
    const message = expression && SIMPLE_PATH.test(expression) ? `undefined variable "${expression}"` : `{{ ${expression ?? '...'} }} has no value (undefined or null)`;
    return { code: 'TEMPLATE_UNDEFINED_VARIABLE', message, ...where };
  }
  return { code: info.filter ? 'TEMPLATE_FILTER_ERROR' : 'TEMPLATE_RENDER_ERROR', message: info.message, ...where };
}

/** Filters do not record a line when they throw; find where the template uses that filter. */
function locateFilter(store: PreparedTemplate['store'], flat: FlatSource, filter: string): SourceLocation | undefined {
  const use = collectFilters(parseTemplate(flat.source)).find((u) => u.name === filter);
  if (!use) return undefined;
  const origin = originOf(flat, { line: use.lineno + 1, column: use.colno + 1 });
  return origin ? displayLocation(store, origin.file, flat.sources.get(origin.file), origin.offset) : undefined;
}
