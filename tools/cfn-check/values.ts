import type { CfnTemplate } from '../../src/cfn/template.js';

/** A JSON path into the template, as keys and list indexes. */
export type Path = readonly (string | number)[];

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The name of the intrinsic function when `value` is one (`{ Ref: x }`, `{ 'Fn::Sub': … }`), else
 * undefined. A one-key object is the only shape CloudFormation treats as a function call.
 */
export function intrinsicName(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const key = keys[0];
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::') ? key : undefined;
}

export function isNoValue(value: unknown): boolean {
  return isObject(value) && value.Ref === 'AWS::NoValue' && Object.keys(value).length === 1;
}

/**
 * The concrete alternatives a value can take: both branches of every `Fn::If` (without
 * `AWS::NoValue`), or the value itself. Rules that inspect literals use this so a conditional
 * cannot hide a bad value.
 */
export function alternatives(value: unknown): unknown[] {
  if (intrinsicName(value) === 'Fn::If') {
    const args = (value as Record<string, unknown>)['Fn::If'];
    if (Array.isArray(args) && args.length === 3) {
      return [...alternatives(args[1]), ...alternatives(args[2])].filter((v) => !isNoValue(v));
    }
  }
  return [value];
}

/** Calls `visit` for every value in the tree, parents before children. */
export function walk(value: unknown, visit: (value: unknown, path: Path) => void, path: Path = []): void {
  visit(value, path);
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, visit, [...path, index]));
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) walk(item, visit, [...path, key]);
  }
}

/**
 * A number a rule can reason about: a literal, a numeric string, or a Ref to a parameter with a
 * numeric Default. Anything else is undefined (the rule then says it cannot verify).
 */
export function resolveNumber(value: unknown, template: CfnTemplate): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  if (intrinsicName(value) === 'Ref') {
    const parameter = template.Parameters?.[String((value as { Ref: unknown }).Ref)];
    if (parameter && parameter.Default !== undefined) return resolveNumber(parameter.Default, template);
  }
  return undefined;
}

/** The logical id a `Ref`/`GetAtt` points at, if `value` is one of those. */
export function referencedResource(value: unknown): string | undefined {
  const name = intrinsicName(value);
  if (name === 'Ref') return String((value as { Ref: unknown }).Ref);
  if (name === 'Fn::GetAtt') {
    const args = (value as Record<string, unknown>)['Fn::GetAtt'];
    if (Array.isArray(args) && typeof args[0] === 'string') return args[0];
  }
  return undefined;
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, Record<string, unknown>][] {
  return Object.entries(template.Resources ?? {})
    .filter(([, resource]) => resource?.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

/** JSON text or an already-parsed object, as CloudFormation accepts for policy-like properties. */
export function jsonValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}
