import { collectFilters, collectObjectReach, type NameUse } from './analyse.js';
import { hasFilter, sharedEnvironment } from './environment.js';
import { displayLocation, flattenTemplate, originOf, type FlatSource } from './flatten.js';
import { parseMetadata, TEMPLATED_FIELDS, type ParsedMetadata, type TemplatedField, type TemplateMetadata } from './metadata.js';
import { parseTemplate, type AstNode } from './nunjucks-api.js';
import { problemsOf, templateError, type TemplateProblem } from './problems.js';
import { BRAND_FILE, MemoryStore, TEMPLATE_FILES, type TemplateStore } from './store.js';

export type PartName = 'html' | 'text' | TemplatedField;

/**
 * A template ready to render: metadata checked, every part flattened (layouts and includes
 * resolved), defaults merged. The same shape whether it came from a folder on disk or from the
 * three stand-alone files in S3.
 */
export interface PreparedTemplate {
  name: string;
  store: TemplateStore;
  metadata: TemplateMetadata;
  /** metadata.json as written, unknown keys included. */
  rawMetadata: Record<string, unknown>;
  unknownMetadataKeys: string[];
  /**
   * Values used when templateData leaves a variable out: the layout's brand.json, then the
   * template's own `defaults`. templateData always wins.
   */
  defaults: Record<string, unknown>;
  parts: { html: FlatSource; text: FlatSource; subject: FlatSource } & Partial<Record<Exclude<TemplatedField, 'subject'>, FlatSource>>;
  /** Store names of the three files. */
  files: { html: string; text: string; metadata: string };
}

export const TEMPLATE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function templateFiles(name: string): PreparedTemplate['files'] {
  return { html: `${name}/${TEMPLATE_FILES.html}`, text: `${name}/${TEMPLATE_FILES.text}`, metadata: `${name}/${TEMPLATE_FILES.metadata}` };
}

/**
 * The layout's brand defaults (`_layout/brand.json`): company name, logo, colour, postal address
 * and so on, shared by every template. Absent file: no defaults.
 */
export function loadBrandDefaults(store: TemplateStore): Record<string, unknown> {
  const text = store.read(BRAND_FILE);
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw templateError([{ code: 'TEMPLATE_METADATA_INVALID', message: `not valid JSON: ${(err as Error).message}`, file: store.display(BRAND_FILE) }]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw templateError([{ code: 'TEMPLATE_METADATA_INVALID', message: 'must be a JSON object of default variable values', file: store.display(BRAND_FILE), line: 1 }]);
  }
  return value as Record<string, unknown>;
}

/**
 * Loads, checks and flattens template `name`. Every problem found (missing files, metadata,
 * syntax in any part, unknown filters) is reported together in one error.
 */
export function loadTemplate(store: TemplateStore, name: string): PreparedTemplate {
  if (!TEMPLATE_NAME_PATTERN.test(name)) {
    throw templateError([{ code: 'TEMPLATE_NOT_FOUND', message: `"${name}" is not a template name (letters, digits, ".", "_" and "-")` }]);
  }
  const files = templateFiles(name);
  const texts = { html: store.read(files.html), text: store.read(files.text), metadata: store.read(files.metadata) };
  if (texts.html === undefined && texts.text === undefined && texts.metadata === undefined) {
    throw templateError([{ code: 'TEMPLATE_NOT_FOUND', message: `no template named "${name}" (looked for ${store.display(name)})` }]);
  }
  const problems: TemplateProblem[] = [];
  for (const [part, file] of Object.entries(files) as Array<[keyof typeof files, string]>) {
    if (texts[part] === undefined) problems.push({ code: 'TEMPLATE_FILE_MISSING', message: `${TEMPLATE_FILES[part]} is missing`, file: store.display(file) });
  }

  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      problems.push(...problemsOf(err));
      return undefined;
    }
  };

  const parsed: ParsedMetadata | undefined = texts.metadata === undefined ? undefined : attempt(() => parseMetadata(texts.metadata as string, store.display(files.metadata)));
  const brand = attempt(() => loadBrandDefaults(store)) ?? {};
  const html = texts.html === undefined ? undefined : attempt(() => flattenTemplate(store, files.html));
  const text = texts.text === undefined ? undefined : attempt(() => flattenTemplate(store, files.text));
  const fields: Partial<Record<TemplatedField, FlatSource>> = {};
  if (parsed) {
    for (const field of TEMPLATED_FIELDS) {
      const value = parsed.metadata[field];
      if (value === undefined) continue;
      const flat = attempt(() => flattenTemplate(store, `${files.metadata}#${field}`, value));
      if (flat) fields[field] = flat;
    }
  }
  for (const [flat, kind] of [
    [html, 'html'],
    [text, 'text'],
    ...Object.values(fields).map((f) => [f, 'text'] as const),
  ] as Array<[FlatSource | undefined, 'html' | 'text']>) {
    if (!flat) continue;
    const ast = parseTemplate(flat.source);
    problems.push(...objectReach(store, flat, ast), ...unknownFilters(store, flat, kind, ast));
  }

  if (problems.length > 0 || !parsed || !html || !text || !fields.subject) throw templateError(problems);
  return {
    name,
    store,
    metadata: parsed.metadata,
    rawMetadata: parsed.raw,
    unknownMetadataKeys: parsed.unknownKeys,
    defaults: { ...brand, ...(parsed.metadata.defaults ?? {}) },
    parts: { ...fields, html, text, subject: fields.subject },
    files,
  };
}

/** Where a use in the flattened source came from, in the files as written. */
function locateUse(store: TemplateStore, flat: FlatSource, use: NameUse): Pick<TemplateProblem, 'file' | 'line' | 'column'> {
  const origin = originOf(flat, { line: use.lineno + 1, column: use.colno + 1 });
  return origin ? displayLocation(store, origin.file, flat.sources.get(origin.file), origin.offset) : { file: store.display(flat.entry) };
}

/** A filter Nunjucks does not know fails only at render time and without a line; catch it early. */
function unknownFilters(store: TemplateStore, flat: FlatSource, kind: 'html' | 'text', ast: AstNode): TemplateProblem[] {
  const env = sharedEnvironment(kind);
  return collectFilters(ast)
    .filter((use) => !hasFilter(env, use.name))
    .map((use) => ({ code: 'TEMPLATE_UNKNOWN_FILTER', message: `unknown filter "${use.name}"`, ...locateUse(store, flat, use) }));
}

/**
 * Nunjucks is not a sandbox: through `constructor` and friends a template reaches JavaScript and
 * can run any code in the Sender (or on the machine that previews it). Refused before anything
 * renders it.
 */
function objectReach(store: TemplateStore, flat: FlatSource, ast: AstNode): TemplateProblem[] {
  return collectObjectReach(ast).map((use) => ({
    code: 'TEMPLATE_UNSAFE_EXPRESSION',
    message: `"${use.name}" reaches JavaScript objects, not template data; templates may not use constructor, __proto__ or prototype in an expression (Nunjucks is not a sandbox)`,
    ...locateUse(store, flat, use),
  }));
}

/** The three files of a stand-alone template, as the Sender reads them from `templates/<name>/`. */
export interface StandaloneFiles {
  'template.html': string;
  'template.txt': string;
  'metadata.json': string;
}

/**
 * What `templates push` uploads: the flattened HTML and text, and metadata.json with the brand
 * defaults folded into `defaults` and any templated field flattened. Renders exactly as the
 * template on disk does.
 */
export function standaloneFiles(template: PreparedTemplate): StandaloneFiles {
  const metadata: Record<string, unknown> = { ...template.rawMetadata };
  for (const field of TEMPLATED_FIELDS) {
    const flat = template.parts[field];
    if (flat) metadata[field] = flat.source;
  }
  if (Object.keys(template.defaults).length > 0) metadata.defaults = template.defaults;
  else delete metadata.defaults;
  return {
    'template.html': template.parts.html.source,
    'template.txt': template.parts.text.source,
    'metadata.json': `${JSON.stringify(metadata, null, 2)}\n`,
  };
}

/**
 * A stand-alone template from its three files (as stored in S3). Includes and layouts are not
 * available here; a template that still uses them fails with the name it could not find.
 */
export function loadStandaloneTemplate(name: string, files: Partial<StandaloneFiles>, displayPrefix = 'templates/'): PreparedTemplate {
  const store = new MemoryStore(
    Object.fromEntries(Object.entries(files).map(([file, text]) => [`${name}/${file}`, text as string])),
    displayPrefix,
  );
  return loadTemplate(store, name);
}
