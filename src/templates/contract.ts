import * as z from 'zod/mini';
import { OBJECT_REACHING_NAMES } from './analyse.js';

/**
 * A template's contract: the `variables` key of metadata.json, a JSON Schema for templateData.
 *
 *     "variables": {
 *       "type": "object",
 *       "properties": {
 *         "orderId": { "type": "string", "description": "Shown in the subject" },
 *         "items": { "type": "array", "items": { "type": "object", "properties": { "name": { "type": "string" } }, "required": ["name"] } }
 *       },
 *       "required": ["orderId", "items"]
 *     }
 *
 * A bounded subset of JSON Schema, the same at every level: `type` (string, number, integer,
 * boolean, array, object), `description`, `format` (email, uri, date-time, date; strings only),
 * `enum`, `items` (arrays), `properties` and `required` (objects). Any other keyword is refused,
 * so what the Sender checks, what `templates validate` checks and what `templates types`
 * generates always agree. Properties the contract does not name are allowed in templateData.
 */

export const VARIABLE_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];
export const VARIABLE_FORMATS = ['email', 'uri', 'date-time', 'date'] as const;
export type VariableFormat = (typeof VARIABLE_FORMATS)[number];
export type EnumValue = string | number | boolean;

export interface VariableSchema {
  type: VariableType;
  description?: string;
  format?: VariableFormat;
  enum?: EnumValue[];
  items?: VariableSchema;
  properties?: Record<string, VariableSchema>;
  required?: string[];
}

export interface VariablesContract {
  type?: 'object';
  description?: string;
  properties: Record<string, VariableSchema>;
  required?: string[];
}

export const VARIABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VARIABLE_NAME_MESSAGE = 'is not a variable name (letters, digits and _, not starting with a digit)';
const KEYWORDS = 'type, description, format, enum, items, properties and required';

type Ctx = { addIssue: (issue: { code: 'custom'; message: string; path?: PropertyKey[] }) => void };

function listDuplicates(names: string[] | undefined, ctx: Ctx, path: PropertyKey[]): void {
  const seen = new Set<string>();
  names?.forEach((name, i) => {
    if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [...path, i], message: `lists "${name}" twice` });
    seen.add(name);
  });
}

/** `required` must name declared properties: a required name with no type is a typo, not a contract. */
function checkRequired(schema: { properties?: Record<string, unknown>; required?: string[] }, ctx: Ctx): void {
  listDuplicates(schema.required, ctx, ['required']);
  schema.required?.forEach((name, i) => {
    if (!schema.properties || !Object.hasOwn(schema.properties, name)) ctx.addIssue({ code: 'custom', path: ['required', i], message: `"${name}" is required but not declared in properties` });
  });
}

function enumValueFits(type: VariableType, value: EnumValue): boolean {
  if (type === 'integer') return Number.isInteger(value);
  return typeof value === type;
}

const variableSchema: z.ZodMiniType<VariableSchema> = z
  .strictObject({
    type: z.enum(VARIABLE_TYPES),
    description: z.optional(z.string()),
    format: z.optional(z.enum(VARIABLE_FORMATS)),
    enum: z.optional(z.array(z.union([z.string(), z.number(), z.boolean()])).check(z.minLength(1))),
    items: z.optional(z.lazy(() => variableSchema)),
    properties: z.optional(z.record(z.string().check(z.minLength(1)), z.lazy(() => variableSchema))),
    required: z.optional(z.array(z.string())),
  })
  .check(
    z.superRefine((schema, ctx) => {
      if (schema.format !== undefined && schema.type !== 'string') ctx.addIssue({ code: 'custom', path: ['format'], message: `applies to strings, not ${schema.type}` });
      if (schema.items !== undefined && schema.type !== 'array') ctx.addIssue({ code: 'custom', path: ['items'], message: `applies to arrays, not ${schema.type}` });
      for (const key of ['properties', 'required'] as const) {
        if (schema[key] !== undefined && schema.type !== 'object') ctx.addIssue({ code: 'custom', path: [key], message: `applies to objects, not ${schema.type}` });
      }
      if (schema.enum && ['array', 'object'].includes(schema.type)) ctx.addIssue({ code: 'custom', path: ['enum'], message: `applies to strings, numbers and booleans, not ${schema.type}` });
      else schema.enum?.forEach((value, i) => {
        if (!enumValueFits(schema.type, value)) ctx.addIssue({ code: 'custom', path: ['enum', i], message: `${JSON.stringify(value)} is not of type ${schema.type}` });
      });
    }),
  );

export const variablesContractSchema = z
  .strictObject({
    type: z.optional(z.literal('object')),
    description: z.optional(z.string()),
    properties: z.record(z.string().check(z.regex(VARIABLE_NAME_PATTERN, { message: VARIABLE_NAME_MESSAGE })), variableSchema),
    required: z.optional(z.array(z.string())),
  });

/**
 * The checks that need a schema's shape (`required` names declared, no name listed twice, the
 * name lists agreeing with the contract), run on metadata as written beside the schema's parse.
 * Not zod refinements: zod runs those only once everything else about a schema parses, so a
 * contract with several mistakes would have them reported one round after another. Also refuses
 * property names no template may read, which zod would quietly drop. Returns each problem with
 * its path from the metadata's root.
 */
export function contractShapeProblems(metadata: Record<string, unknown>): Array<{ path: PropertyKey[]; message: string }> {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  const isNames = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');
  const walk = (schema: unknown, path: PropertyKey[]): void => {
    if (!isObject(schema)) return;
    const properties = isObject(schema.properties) ? schema.properties : undefined;
    // `required` on a schema of another type is its own mistake, which zod reports.
    if (isNames(schema.required) && (schema.type === undefined || schema.type === 'object')) {
      checkRequired({ properties, required: schema.required }, { addIssue: (issue) => problems.push({ path: [...path, ...(issue.path ?? [])], message: issue.message }) });
    }
    for (const [name, property] of Object.entries(properties ?? {})) {
      // zod drops a `__proto__` key without a word; no template may read these names anyway.
      if (OBJECT_REACHING_NAMES.has(name)) problems.push({ path: [...path, 'properties', name], message: `"${name}" is a name templates may not use (it reaches into JavaScript's objects)` });
      walk(property, [...path, 'properties', name]);
    }
    walk(schema.items, [...path, 'items']);
  };
  const variables = metadata.variables;
  walk(variables, ['variables']);
  if (isObject(variables) && isObject(variables.properties)) {
    const lists = {
      requiredVariables: isNames(metadata.requiredVariables) ? metadata.requiredVariables : undefined,
      optionalVariables: isNames(metadata.optionalVariables) ? metadata.optionalVariables : undefined,
    };
    const contract = { properties: variables.properties, required: isNames(variables.required) ? variables.required : undefined } as VariablesContract;
    problems.push(...contractContradictions(contract, lists));
  }
  return problems;
}

/** Said when a contract uses a keyword outside the subset. */
export const CONTRACT_KEYWORDS_HINT = `contracts use ${KEYWORDS}`;

/** The names a contract requires, in its order. */
export function contractRequired(contract: VariablesContract): string[] {
  return contract.required ?? [];
}

/** The names a contract declares but does not require, in its order. */
export function contractOptional(contract: VariablesContract): string[] {
  const required = new Set(contractRequired(contract));
  return Object.keys(contract.properties).filter((name) => !required.has(name));
}

/**
 * How a contract and SESMailEngine's name lists relate: the contract is the truth, and the lists,
 * when given, must agree with it (each listed name declared; required in the list, required in the
 * contract; optional in the list, optional in the contract). Lists may leave names out; the
 * effective lists are the contract's. Returns one problem per contradiction.
 */
export function contractContradictions(contract: VariablesContract, lists: { requiredVariables?: string[]; optionalVariables?: string[] }): Array<{ path: PropertyKey[]; message: string }> {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  const required = new Set(contractRequired(contract));
  lists.requiredVariables?.forEach((name, i) => {
    if (!Object.hasOwn(contract.properties, name)) problems.push({ path: ['requiredVariables', i], message: `"${name}" is not declared in variables.properties` });
    else if (!required.has(name)) problems.push({ path: ['requiredVariables', i], message: `"${name}" is required here but optional in variables (add it to variables.required, or drop it from requiredVariables)` });
  });
  lists.optionalVariables?.forEach((name, i) => {
    if (!Object.hasOwn(contract.properties, name)) problems.push({ path: ['optionalVariables', i], message: `"${name}" is not declared in variables.properties` });
    else if (required.has(name)) problems.push({ path: ['optionalVariables', i], message: `"${name}" is optional here but required in variables.required` });
  });
  return problems;
}
