import { ExitCode, MailengineError, type ExitCode as ExitCodeValue } from '../errors.js';

/**
 * One thing wrong with a template, located as precisely as we can: `file` is the path shown to the
 * user, `line` and `column` are 1-based. Validation collects these; rendering throws them inside a
 * MailengineError (`details.problems`), so both paths speak the same language.
 */
export interface TemplateProblem {
  code: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

export function formatLocation(problem: Pick<TemplateProblem, 'file' | 'line' | 'column'>): string {
  if (!problem.file) return '';
  if (problem.line === undefined) return problem.file;
  return problem.column === undefined ? `${problem.file}:${problem.line}` : `${problem.file}:${problem.line}:${problem.column}`;
}

export function formatProblem(problem: TemplateProblem): string {
  const where = formatLocation(problem);
  return where ? `${where}: ${problem.message}` : problem.message;
}

const SUGGESTIONS: Record<string, string> = {
  TEMPLATE_SYNTAX_ERROR: 'Fix the template syntax at the position shown (Nunjucks/Jinja2).',
  TEMPLATE_UNDEFINED_VARIABLE: 'Pass the variable in templateData, give it a default with `| default(...)`, or guard it with `{% if name %}`.',
  TEMPLATE_MISSING_VARIABLES: 'Every variable in requiredVariables must be in templateData (or in the template defaults).',
  TEMPLATE_NOT_FOUND: 'Check the name, or run `mailengine templates validate` to list the templates found.',
  TEMPLATE_FLATTEN_UNSUPPORTED: 'See docs/templates.md for what layouts and includes may contain.',
  TEMPLATE_METADATA_INVALID: 'See "metadata.json" in docs/templates.md for the accepted keys.',
  TEMPLATE_UNSAFE_EXPRESSION: 'Use only the values in templateData and the documented filters; see "Templates can run code" in docs/templates.md.',
};

/** A template problem as the one error type the core throws. Invalid template or data: exit 2; missing: exit 4. */
export function templateError(problems: TemplateProblem[], exitCode?: ExitCodeValue): MailengineError {
  const first = problems[0];
  const message = problems.length === 1 ? formatProblem(first) : `${problems.length} problems:\n  ${problems.map(formatProblem).join('\n  ')}`;
  const code = problems.every((p) => p.code === first.code) ? first.code : 'TEMPLATE_INVALID';
  return new MailengineError(code, message, {
    exitCode: exitCode ?? (code === 'TEMPLATE_NOT_FOUND' ? ExitCode.NotFound : ExitCode.Usage),
    suggestion: SUGGESTIONS[code],
    details: { problems },
  });
}

/** The problems carried by an error from the template core, or one describing an unexpected error. */
export function problemsOf(err: unknown, fallbackFile?: string): TemplateProblem[] {
  if (err instanceof MailengineError && Array.isArray(err.details?.problems)) return err.details.problems as TemplateProblem[];
  const message = err instanceof Error ? err.message : String(err);
  return [{ code: 'TEMPLATE_RENDER_ERROR', message, file: fallbackFile }];
}

/** Thrown by the helper filters; the renderer turns it into a located problem. */
export class FilterError extends Error {
  constructor(
    readonly filter: string,
    message: string,
  ) {
    super(message);
    this.name = 'FilterError';
  }
}

export interface NunjucksErrorInfo {
  message: string;
  /** 1-based, as Nunjucks reports them; absent when Nunjucks did not know. */
  line?: number;
  column?: number;
  filter?: string;
}

/**
 * Nunjucks errors carry `lineno`/`colno` and a message prefixed with "(path) [Line n, Column m]"
 * once per template it passed through. Keep the position and the innermost message only.
 */
export function describeNunjucksError(err: unknown): NunjucksErrorInfo {
  const e = err as { message?: unknown; lineno?: unknown; colno?: unknown; cause?: unknown };
  const cause = e?.cause;
  const raw = typeof e?.message === 'string' ? e.message : String(err);
  let message = raw.replace(/^(?:\([^)\n]*\)(?: \[Line \d+(?:, Column \d+)?\])?\n\s*(?:Template render error: )?)+/, '');
  message = message.replace(/^(?:Error|TypeError|RangeError|FilterError): /, '');
  const line = typeof e?.lineno === 'number' && e.lineno > 0 ? e.lineno : undefined;
  const column = line !== undefined && typeof e?.colno === 'number' && e.colno > 0 ? e.colno : undefined;
  if (cause instanceof FilterError) return { message: cause.message, line, column, filter: cause.filter };
  return { message, line, column };
}
