import { z } from 'zod';
import { LineIndex, lineOfJsonKey } from './positions.js';
import { templateError, type TemplateProblem } from './problems.js';

/**
 * metadata.json, one per template. The first block of fields is SESMailEngine's (so its
 * templates work unchanged); the second block is mailengine's additions.
 */
const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'is not a variable name (letters, digits and _, not starting with a digit)' });

/** A string that is itself a template (subject, sender name...): must not be blank. */
const templateString = z.string().refine((s) => s.trim().length > 0, { message: 'must not be empty' });

const dataObject = z.record(z.string(), z.unknown());

export const templateMetadataSchema = z
  .looseObject({
    // SESMailEngine's fields.
    subject: templateString,
    senderName: templateString.optional(),
    senderEmail: templateString.optional(),
    replyTo: templateString.optional(),
    description: z.string().optional(),
    requiredVariables: z.array(variableName).default([]),
    optionalVariables: z.array(variableName).default([]),
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, { message: 'is not a semantic version such as 1.0.0' })
      .optional(),
    // mailengine's additions.
    sampleData: dataObject.optional(),
    defaults: dataObject.optional(),
  })
  .superRefine((meta, ctx) => {
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
  });

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
  if (!parsed.success) {
    const problems: TemplateProblem[] = parsed.error.issues.map((issue) => {
      const key = issue.path.map(String).join('.');
      const top = issue.path.length ? String(issue.path[0]) : undefined;
      const absent = issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined;
      const message = absent ? `${key}: is required` : `${key || '(top level)'}: ${issue.message}`;
      // A key that is not there has no line of its own; point at the start of the object.
      return { code: 'TEMPLATE_METADATA_INVALID', message, file, line: (top && lineOfJsonKey(text, top)) || 1 };
    });
    throw templateError(problems);
  }
  const record = raw as Record<string, unknown>;
  return { metadata: parsed.data, raw: record, unknownKeys: Object.keys(record).filter((k) => !KNOWN_METADATA_KEYS.has(k)) };
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
