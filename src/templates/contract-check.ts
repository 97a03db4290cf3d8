import { z } from 'zod';
import type { VariablesContract } from './contract.js';

/**
 * Checks data against a template's contract. The contract is compiled by zod's JSON Schema
 * reader (`z.fromJSONSchema`): zod is already a dependency and the reader builds plain
 * validators (no code generation), with the path and kind of every problem. It loads the full
 * zod, so the Sender imports this module only when a template with a contract is first used.
 */

/** One way the data breaks the contract: where (`["items", 2, "price"]`) and what. */
export interface DataProblem {
  path: Array<string | number>;
  message: string;
}

export type DataValidator = (data: unknown) => DataProblem[];

/** A validator for the contract; compile once per template version and reuse it. */
export function compileContract(contract: VariablesContract): DataValidator {
  const schema = z.fromJSONSchema({ ...contract, type: 'object' } as Parameters<typeof z.fromJSONSchema>[0]);
  return (data) => {
    const result = schema.safeParse(data);
    if (result.success) return [];
    return result.error.issues.map((issue) => {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      return { path, message: describe(issue, valueAt(data, path)) };
    });
  };
}

const FORMAT_WORDS: Record<string, string> = {
  email: 'an email address',
  url: 'a URI such as https://example.com/',
  datetime: 'a date-time such as 2026-03-14T15:42:00Z',
  date: 'a date such as 2026-03-14',
};

function describe(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'is required';
      return `expected ${issue.expected === 'int' ? 'integer' : issue.expected}, got ${typeName(value)}`;
    case 'invalid_format':
      return `expected ${FORMAT_WORDS[issue.format] ?? `the ${issue.format} format`}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function valueAt(value: unknown, path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** `templateData.items[2].price`, `templateData["odd key"]`: a path as a reader writes it. */
export function formatDataPath(root: string, path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${out}.${key}` : `${out}[${JSON.stringify(key)}]`), root);
}
