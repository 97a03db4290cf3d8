import * as z from 'zod/mini';
import { contractOptional, contractRequired, contractShapeProblems, CONTRACT_KEYWORDS_HINT, VARIABLE_NAME_PATTERN, variablesContractSchema } from './contract.js';
import { LineIndex, lineOfJsonKey, lineOfJsonPath } from './positions.js';
import { templateError, type TemplateProblem } from './problems.js';

/**
 * metadata.json, one per template. The first block of fields is SESMailEngine's (so its
 * templates work unchanged); the second block is mailengine's additions.
 */
const variableName = z.string().check(z.regex(VARIABLE_NAME_PATTERN, { message: 'is not a variable name (letters, digits and _, not starting with a digit)' }));

/** A string that is itself a template (subject, sender name...): must not be blank. */
const templateString = z.string().check(z.refine((s) => s.trim().length > 0, { message: 'must not be empty' }));

const dataObject = z.record(z.string(), z.unknown());

export const templateMetadataSchema = z
  .looseObject({
    // SESMailEngine's fields.
    subject: templateString,
    senderName: z.optional(templateString),
    senderEmail: z.optional(templateString),
    replyTo: z.optional(templateString),
    description: z.optional(z.string()),
    requiredVariables: z._default(z.array(variableName), []),
    optionalVariables: z._default(z.array(variableName), []),
    version: z.optional(z.string().check(z.regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, { message: 'is not a semantic version such as 1.0.0' }))),
    // mailengine's additions.
    sampleData: z.optional(dataObject),
    defaults: z.optional(dataObject),
    /** The contract: a JSON Schema for templateData (see contract.ts). */
    variables: z.optional(variablesContractSchema),
  })
  .check(
    z.superRefine((meta, ctx) => {
      for (const key of ['requiredVariables', 'optionalVariables'] as const) {
        const seen = new Set<string>();
        meta[key].forEach((name, i) => {
          if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [key, i], message: `lists "${name}" twice` });
          seen.add(name);
        });
      }
      const optional = new Set(meta.optionalVariables);
      meta.requiredVariables.forEach((name, i) => {
        if (optional.has(name)) ctx.addIssue({ code: 'custom', path: ['requiredVariables', i], message: `"${name}" is in both requiredVariables and optionalVariables` });
      });
    }),
  );

/**
 * A template's metadata as parsed. With a contract (`variables`), `requiredVariables` and
 * `optionalVariables` are the contract's (the lists as written may only agree with it).
 */
export type TemplateMetadata = z.infer<typeof templateMetadataSchema>;

export const KNOWN_METADATA_KEYS: ReadonlySet<string> = new Set(Object.keys(templateMetadataSchema.shape));

/** The metadata fields that are templates and are rendered along with the body. */
export const TEMPLATED_FIELDS = ['subject', 'senderName', 'senderEmail', 'replyTo'] as const;
export type TemplatedField = (typeof TEMPLATED_FIELDS)[number];

export interface ParsedMetadata {
  metadata: TemplateMetadata;
  /** The object as written, unknown keys included, for writing the pushed copy. */
  raw: Record<string, unknown>;
  /** Keys neither SESMailEngine nor mailengine define; likely typos. */
  unknownKeys: string[];
}

/**
 * Parses and checks one metadata.json. Problems name the file and, where it can be found, the
 * line of the key at fault; all of them are reported at once.
 */
export function parseMetadata(text: string, file: string): ParsedMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw templateError([{ code: 'TEMPLATE_METADATA_INVALID', message: `not valid JSON: ${(err as Error).message}`, file, ...jsonErrorPosition(text, err as Error) }]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw templateError([{ code: 'TEMPLATE_METADATA_INVALID', message: 'must be a JSON object', file, line: 1 }]);
  }
  const parsed = templateMetadataSchema.safeParse(raw);
  const record = raw as Record<string, unknown>;
  const shapeProblems = contractShapeProblems(record);
  if (!parsed.success || shapeProblems.length > 0) {
    const issues = [...(parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: issue.path, message: describeIssue(issue, raw) }))), ...shapeProblems];
    const problems: TemplateProblem[] = issues.map((issue) => {
      const key = issue.path.map(String).join('.');
      const top = issue.path.length ? String(issue.path[0]) : undefined;
      const message = `${key || '(top level)'}: ${issue.message}`;
      // A key that is not there has no line of its own; point at its parent, or the start of the object.
      return { code: 'TEMPLATE_METADATA_INVALID', message, file, line: lineOfJsonPath(text, issue.path) ?? ((top && lineOfJsonKey(text, top)) || 1) };
    });
    throw templateError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  }
  const metadata = parsed.data;
  if (metadata.variables) {
    metadata.requiredVariables = contractRequired(metadata.variables);
    metadata.optionalVariables = contractOptional(metadata.variables);
  }
  return { metadata, raw: record, unknownKeys: Object.keys(record).filter((k) => !KNOWN_METADATA_KEYS.has(k)) };
}

type Issue = z.core.$ZodIssue;

const TYPE_WORDS: Record<string, string> = { string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false', array: 'an array', object: 'an object', record: 'an object' };

/**
 * zod/mini carries no English messages (they would load a locale at init), so every issue is
 * said here; the schema's own messages (refinements, patterns) are kept as written.
 */
function describeIssue(issue: Issue, raw: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return valueAt(raw, issue.path) === undefined ? 'is required' : `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    case 'unrecognized_keys':
      return `unknown keyword${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')} (${CONTRACT_KEYWORDS_HINT})`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'invalid_union':
      return 'expected a string, a number or true or false';
    case 'too_small':
      return 'must not be empty';
    case 'invalid_key':
      return `key ${issue.issues[0]?.message ?? 'is not allowed'}`;
    default:
      return issue.message && issue.message !== 'Invalid input' ? issue.message : 'is not valid';
  }
}

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** V8 says "at position N" (and, from Node 22, "line L column C"); turn either into a position. */
function jsonErrorPosition(text: string, err: Error): { line?: number; column?: number } {
  const lineColumn = /line (\d+) column (\d+)/.exec(err.message);
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const position = /position (\d+)/.exec(err.message);
  if (position) return new LineIndex(text).positionOf(Number(position[1]));
  return {};
}
