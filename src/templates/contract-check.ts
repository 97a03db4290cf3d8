import type { VariableFormat, VariableSchema, VariablesContract } from './contract.js';

/**
 * Checks data against a template's contract. Contracts are a small subset of JSON Schema (see
 * contract.ts), so the checker is a direct walk of it: no schema compiler, no dependency. That
 * keeps it off the Sender's start-up path entirely: the Sender imports this module only when a
 * template with a contract is first used, and nothing here is shared with what loads at init.
 */

/** One way the data breaks the contract: where (`["items", 2, "price"]`) and what. */
export interface DataProblem {
  path: Array<string | number>;
  message: string;
}

export type DataValidator = (data: unknown) => DataProblem[];

/** A validator for the contract; compile once per template version and reuse it. */
export function compileContract(contract: VariablesContract): DataValidator {
  const root: VariableSchema = { type: 'object', properties: contract.properties, required: contract.required };
  return (data) => {
    const problems: DataProblem[] = [];
    check(root, data, [], problems);
    return problems;
  };
}

const FORMAT_WORDS: Record<VariableFormat, string> = {
  email: 'an email address',
  uri: 'a URI such as https://example.com/',
  'date-time': 'a date-time such as 2026-03-14T15:42:00Z',
  date: 'a date such as 2026-03-14',
};

/** An address SES would take: a dot-atom local part and a domain of labels ending in letters. */
const EMAIL = /^(?!\.)(?!.*\.\.)[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+(?<!\.)@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$/;
/** RFC 3339 `full-date`. */
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** RFC 3339 `date-time`: a time with seconds and an offset (`Z` or `±hh:mm`). */
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isUri(text: string): boolean {
  // An absolute URI: a scheme, then what the WHATWG parser accepts. That parser drops tabs and
  // line breaks and trims spaces, so a value with any of them is refused first: it is not a URI.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return /^[A-Za-z][A-Za-z0-9+.-]*:[^\s\u0000-\u001f\u007f]*$/.test(text) && URL.canParse(text);
}

const FORMAT_CHECKS: Record<VariableFormat, (text: string) => boolean> = {
  email: (text) => EMAIL.test(text),
  uri: isUri,
  'date-time': (text) => {
    const match = DATE_TIME.exec(text);
    return match !== null && isCalendarDate(match[1]);
  },
  date: isCalendarDate,
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fitsType(schema: VariableSchema, value: unknown): boolean {
  switch (schema.type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
  }
}

/** Appends what is wrong with `value` at `path`; a value of the wrong type is not looked into. */
function check(schema: VariableSchema, value: unknown, path: Array<string | number>, problems: DataProblem[]): void {
  if (!fitsType(schema, value)) {
    problems.push({ path, message: `expected ${schema.type}, got ${typeName(value)}` });
    return;
  }
  if (schema.enum && !schema.enum.includes(value as string | number | boolean)) {
    problems.push({ path, message: `expected one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}` });
    return;
  }
  if (schema.format && !FORMAT_CHECKS[schema.format](value as string)) {
    problems.push({ path, message: `expected ${FORMAT_WORDS[schema.format]}` });
    return;
  }
  if (schema.type === 'array' && schema.items) {
    const items = schema.items;
    (value as unknown[]).forEach((item, i) => check(items, item, [...path, i], problems));
  }
  if (schema.type === 'object' && schema.properties) {
    const object = value as Record<string, unknown>;
    const required = new Set(schema.required);
    for (const [name, property] of Object.entries(schema.properties)) {
      const present = Object.hasOwn(object, name) && object[name] !== undefined;
      if (present) check(property, object[name], [...path, name], problems);
      else if (required.has(name)) problems.push({ path: [...path, name], message: 'is required' });
    }
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** `templateData.items[2].price`, `templateData["odd key"]`: a path as a reader writes it. */
export function formatDataPath(root: string, path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${out}.${key}` : `${out}[${JSON.stringify(key)}]`), root);
}
