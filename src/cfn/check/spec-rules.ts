import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import type { Finding, RuleContext } from './types.js';
import { alternatives, intrinsicName, isNoValue, isObject } from './values.js';

type SpecDatabase = Awaited<ReturnType<typeof loadAwsServiceSpec>>;

/**
 * The slice of `@aws-cdk/service-spec-types` this module reads. The database's own types come
 * from a transitive package; naming the fields here keeps the dependency to the one we install.
 */
type PropertyType =
  | { type: 'string'; allowedValues?: string[] }
  | { type: 'integer'; allowedValues?: number[] }
  | { type: 'number' | 'boolean' | 'json' | 'date-time' | 'null' | 'tag' }
  | { type: 'ref'; reference: { $ref: string } }
  | { type: 'array' | 'map'; element: PropertyType }
  | { type: 'union'; types: PropertyType[] };

interface PropertySpec {
  required?: boolean;
  type: PropertyType;
}

interface ResourceSpec {
  cloudFormationType: string;
  properties: Record<string, PropertySpec>;
  attributes: Record<string, unknown>;
}

let database: Promise<SpecDatabase> | undefined;

/** The resource database loads in about half a second; every check in a process shares it. */
function specDatabase(): Promise<SpecDatabase> {
  database ??= loadAwsServiceSpec();
  return database;
}

/** Custom resources carry whatever properties their provider defines. */
export function isCustomResourceType(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

/** The resource type's definition, or undefined when the database has no such type. */
export async function resourceSpec(type: string): Promise<ResourceSpec | undefined> {
  const db = await specDatabase();
  const found = db.lookup('resource', 'cloudFormationType', 'equals', type);
  return found.length > 0 ? (found[0] as unknown as ResourceSpec) : undefined;
}

/** Attribute names GetAtt accepts for a type; undefined when the type cannot be checked. */
export async function resourceAttributes(type: string): Promise<Set<string> | undefined> {
  if (isCustomResourceType(type)) return undefined;
  const spec = await resourceSpec(type);
  return spec ? new Set(Object.keys(spec.attributes)) : undefined;
}

function describeType(db: SpecDatabase, type: PropertyType): string {
  switch (type.type) {
    case 'ref':
      return `an object (${db.get('typeDefinition', type.reference).name})`;
    case 'array':
      return `a list of ${describeType(db, type.element)}`;
    case 'map':
      return 'a map';
    case 'union':
      return type.types.map((t) => describeType(db, t)).join(' or ');
    case 'tag':
      return 'a tag ({ Key, Value })';
    default:
      return `${/^[aeiou]/.test(type.type) ? 'an' : 'a'} ${type.type}`;
  }
}

/** Whether the value is the kind of thing (object, list, scalar) the type describes. */
function hasShapeOf(value: unknown, type: PropertyType): boolean {
  switch (type.type) {
    case 'json':
      return true;
    case 'ref':
    case 'map':
    case 'tag':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'union':
      return type.types.some((member) => hasShapeOf(value, member));
    default:
      return !Array.isArray(value) && !isObject(value);
  }
}

function formatPath(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/** Checks one value against its declared type; returns the problems instead of recording them. */
function checkValue(db: SpecDatabase, id: string, value: unknown, type: PropertyType, path: string): Finding[] {
  const fn = intrinsicName(value);
  if (fn === 'Fn::If') {
    return alternatives(value).flatMap((branch) => checkValue(db, id, branch, type, path));
  }
  // Any other function's result is only known at deploy time.
  if (fn) return [];
  const wrongShape = (): Finding[] => [
    { rule: 'spec-wrong-shape', resource: id, message: `${path} must be ${describeType(db, type)}` },
  ];
  switch (type.type) {
    case 'json':
      return [];
    case 'ref': {
      if (!isObject(value)) return wrongShape();
      const definition = db.get('typeDefinition', type.reference) as unknown as { name: string; properties: Record<string, PropertySpec> };
      return checkProperties(db, id, value, definition.properties, path, definition.name);
    }
    case 'array':
      if (!Array.isArray(value)) return wrongShape();
      return value.flatMap((item, index) => checkValue(db, id, item, type.element, formatPath(path, index)));
    case 'map':
      if (!isObject(value)) return wrongShape();
      return Object.entries(value).flatMap(([key, item]) => checkValue(db, id, item, type.element, formatPath(path, key)));
    case 'tag': {
      if (!isObject(value) || !('Key' in value) || !('Value' in value)) return wrongShape();
      const extra = Object.keys(value).filter((key) => key !== 'Key' && key !== 'Value');
      return extra.map((key) => ({ rule: 'spec-unknown-property', resource: id, message: `${formatPath(path, key)}: a tag has only Key and Value` }));
    }
    case 'union': {
      const outcomes = type.types.map((member) => checkValue(db, id, value, member, path));
      if (outcomes.some((found) => found.length === 0)) return [];
      // Report against the member whose shape the value has, so the message is about its content.
      const index = type.types.findIndex((member) => hasShapeOf(value, member));
      return index >= 0 ? outcomes[index] : wrongShape();
    }
    default: {
      if (Array.isArray(value) || isObject(value)) return wrongShape();
      const allowed = 'allowedValues' in type ? (type.allowedValues as (string | number)[] | undefined) : undefined;
      if (allowed && allowed.length > 0 && (typeof value === 'string' || typeof value === 'number') && !allowed.map(String).includes(String(value))) {
        return [{ rule: 'spec-invalid-value', resource: id, message: `${path} is "${String(value)}"; allowed: ${allowed.join(', ')}` }];
      }
      return [];
    }
  }
}

/** Edit distance, for "did you mean" hints on misspelt property names. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function closest(name: string, known: string[]): string | undefined {
  const lower = name.toLowerCase();
  const scored = known.map((candidate) => ({ candidate, score: distance(lower, candidate.toLowerCase()) }));
  const best = scored.sort((x, y) => x.score - y.score)[0];
  return best && best.score <= 2 ? best.candidate : undefined;
}

function checkProperties(
  db: SpecDatabase,
  id: string,
  value: Record<string, unknown>,
  properties: Record<string, PropertySpec>,
  path: string,
  owner: string,
): Finding[] {
  const findings: Finding[] = [];
  for (const [key, item] of Object.entries(value)) {
    const property = properties[key];
    const where = formatPath(path, key);
    if (!property) {
      const near = closest(key, Object.keys(properties));
      findings.push({
        rule: 'spec-unknown-property',
        resource: id,
        message: `${where} is not a property of ${owner}${near ? ` (did you mean ${near}?)` : ''}`,
      });
      continue;
    }
    findings.push(...checkValue(db, id, item, property.type, where));
  }
  for (const [key, property] of Object.entries(properties)) {
    if (property.required && (!(key in value) || isNoValue(value[key]))) {
      findings.push({ rule: 'spec-missing-property', resource: id, message: `${formatPath(path, key)} is required by ${owner}` });
    }
  }
  return findings;
}

/**
 * Resource types, properties at every depth, required properties, value shapes and enumerated
 * values, all checked against the CloudFormation resource database in `@aws-cdk/aws-service-spec`
 * (built from the registry schemas AWS publishes, so it knows current resource types).
 */
export async function checkAgainstSpec({ template }: RuleContext): Promise<Finding[]> {
  const db = await specDatabase();
  const findings: Finding[] = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const type = resource?.Type;
    if (typeof type !== 'string') {
      findings.push({ rule: 'spec-unknown-type', resource: id, message: 'has no Type' });
      continue;
    }
    if (isCustomResourceType(type)) continue;
    const spec = await resourceSpec(type);
    if (!spec) {
      findings.push({ rule: 'spec-unknown-type', resource: id, message: `${type} is not a CloudFormation resource type` });
      continue;
    }
    const properties = resource.Properties ?? {};
    for (const variant of alternatives(properties)) {
      if (!isObject(variant)) {
        findings.push({ rule: 'spec-wrong-shape', resource: id, message: 'Properties must be an object' });
        continue;
      }
      findings.push(...checkProperties(db, id, variant, spec.properties, 'Properties', type));
    }
  }
  return findings;
}
