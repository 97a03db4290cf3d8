import { readFile } from 'node:fs/promises';
import { ExitCode, MailengineError } from '../errors.js';
import { compileContract, formatDataPath } from './contract-check.js';
import { problemsOf, type TemplateProblem } from './problems.js';
import { renderTemplate, templateContext, type RenderedEmail, type TemplateData } from './render.js';
import { DirectoryStore, listTemplateNames, type TemplateStore } from './store.js';
import { loadTemplate } from './template.js';

/** One template rendered for a person to look at; `problems` instead of a crash when it fails. */
export interface TemplatePreview {
  name: string;
  description?: string;
  version?: string;
  /** Where the data came from: the template's sampleData, or a file the user gave. */
  dataSource: 'sampleData' | 'file';
  email?: RenderedEmail;
  problems: TemplateProblem[];
}

/**
 * Renders template `name` with `data`, or with its sampleData when no data is given. Problems
 * (syntax, undefined variables, no sample data) come back in the result rather than thrown, so a
 * preview page can show them; a template that does not exist still throws (exit 4).
 */
export function previewTemplate(store: TemplateStore, name: string, data?: TemplateData): TemplatePreview {
  const dataSource = data === undefined ? 'sampleData' : 'file';
  let template;
  try {
    template = loadTemplate(store, name);
  } catch (err) {
    if (err instanceof MailengineError && err.exitCode === ExitCode.NotFound) throw err;
    return { name, dataSource, problems: problemsOf(err, store.display(name)) };
  }
  const base = { name, description: template.metadata.description, version: template.metadata.version, dataSource } as const;
  const input = data ?? template.metadata.sampleData;
  if (input === undefined) {
    return {
      ...base,
      problems: [{ code: 'TEMPLATE_NO_SAMPLE_DATA', message: 'no sampleData in metadata.json; add it, or pass --data with a JSON file', file: store.display(template.files.metadata) }],
    };
  }
  // As the Sender does: data that breaks the template's contract is refused before rendering.
  const contract = template.metadata.variables;
  if (contract) {
    const broken = compileContract(contract)(templateContext(template, input));
    if (broken.length > 0) {
      const file = data === undefined ? store.display(template.files.metadata) : undefined;
      return { ...base, problems: broken.map((p) => ({ code: 'TEMPLATE_DATA_INVALID', message: `${formatDataPath(data === undefined ? 'sampleData' : 'templateData', p.path)}: ${p.message}`, file })) };
    }
  }
  try {
    return { ...base, email: renderTemplate(template, input), problems: [] };
  } catch (err) {
    return { ...base, problems: problemsOf(err, store.display(template.files.html)) };
  }
}

/** Every template in a folder, previewed with its sample data. */
export function previewAll(dir: string, displayDir: string = dir): TemplatePreview[] {
  const store = new DirectoryStore(dir, displayDir);
  return listTemplateNames(dir).map((name) => previewTemplate(store, name));
}

/** Reads a `--data` file: a JSON object of template variables. */
export async function readTemplateData(path: string, displayPath: string = path): Promise<TemplateData> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new MailengineError('DATA_FILE_NOT_FOUND', `Cannot read the data file ${displayPath}.`, { exitCode: ExitCode.NotFound, cause, suggestion: 'Check the path given to --data.' });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new MailengineError('DATA_FILE_INVALID', `${displayPath} is not valid JSON: ${(cause as Error).message}`, { exitCode: ExitCode.Usage, cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MailengineError('DATA_FILE_INVALID', `${displayPath} must hold a JSON object of template variables, like {"userName": "Maya"}.`, { exitCode: ExitCode.Usage });
  }
  return value as TemplateData;
}
