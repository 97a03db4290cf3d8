import { TABLES, type TableDefinition } from '../../src/model/tables.js';
import type { Finding, RuleContext } from './types.js';
import { alternatives, isObject } from './values.js';

interface KeyPair {
  partitionKey?: string;
  sortKey?: string;
}

function keysOf(schema: unknown): KeyPair {
  const keys: KeyPair = {};
  if (!Array.isArray(schema)) return keys;
  for (const entry of schema) {
    if (!isObject(entry)) continue;
    if (entry.KeyType === 'HASH') keys.partitionKey = String(entry.AttributeName);
    if (entry.KeyType === 'RANGE') keys.sortKey = String(entry.AttributeName);
  }
  return keys;
}

function describeKeys(keys: KeyPair): string {
  return keys.sortKey ? `(${keys.partitionKey}, ${keys.sortKey})` : `(${keys.partitionKey ?? 'none'})`;
}

function compareTable(id: string, properties: Record<string, unknown>, expected: TableDefinition): Finding[] {
  const findings: Finding[] = [];
  const differ = (message: string) => findings.push({ rule: 'table-contract', resource: id, message: `${message} (src/engine/tables.ts)` });

  const tableKeys = keysOf(properties.KeySchema);
  if (tableKeys.partitionKey !== expected.partitionKey || tableKeys.sortKey !== expected.sortKey) {
    differ(`key schema is ${describeKeys(tableKeys)}, the code uses ${describeKeys(expected)}`);
  }

  const declared = new Map<string, KeyPair>();
  for (const variant of alternatives(properties.GlobalSecondaryIndexes)) {
    if (!Array.isArray(variant)) continue;
    for (const index of variant) {
      if (isObject(index) && typeof index.IndexName === 'string') declared.set(index.IndexName, keysOf(index.KeySchema));
    }
  }
  const wanted = Object.values(expected.indexes);
  for (const index of wanted) {
    const found = declared.get(index.name);
    if (!found) {
      differ(`has no index ${index.name}, which the code queries`);
    } else if (found.partitionKey !== index.partitionKey || found.sortKey !== index.sortKey) {
      differ(`index ${index.name} is keyed ${describeKeys(found)}, the code uses ${describeKeys(index)}`);
    }
  }
  for (const name of declared.keys()) {
    if (!wanted.some((index) => index.name === name)) differ(`index ${name} is not one the code knows; add it to the contract or remove it`);
  }

  const ttl = properties.TimeToLiveSpecification;
  if (!isObject(ttl) || ttl.AttributeName !== expected.ttlAttribute || (ttl.Enabled !== true && ttl.Enabled !== 'true')) {
    differ(`TTL must be enabled on ${expected.ttlAttribute}`);
  }

  const keyAttributes = new Set([expected.partitionKey, expected.sortKey, ...wanted.flatMap((index) => [index.partitionKey, index.sortKey])].filter((name): name is string => Boolean(name)));
  const definitions = Array.isArray(properties.AttributeDefinitions) ? properties.AttributeDefinitions : [];
  const defined = new Set(definitions.filter(isObject).map((definition) => String(definition.AttributeName)));
  const missing = [...keyAttributes].filter((name) => !defined.has(name));
  const extra = [...defined].filter((name) => !keyAttributes.has(name));
  if (missing.length > 0) differ(`AttributeDefinitions lack ${missing.join(', ')}`);
  if (extra.length > 0) differ(`AttributeDefinitions declare ${extra.join(', ')}, which no key uses`);
  return findings;
}

/**
 * The tables in the template and the code that queries them share one contract: the keys and
 * index names in `src/engine/tables.ts`. A template that declares any DynamoDB table must declare
 * every contract table under its logical id, with exactly those keys, indexes and TTL attribute.
 */
export function checkTableContract({ template }: RuleContext, contract: readonly TableDefinition[] = TABLES): Finding[] {
  const resources = template.Resources ?? {};
  const hasTables = Object.values(resources).some((resource) => resource?.Type === 'AWS::DynamoDB::Table');
  if (!hasTables) return [];
  return contract.flatMap((expected) => {
    const resource = resources[expected.logicalId];
    if (resource?.Type !== 'AWS::DynamoDB::Table') {
      return [{ rule: 'table-contract' as const, resource: expected.logicalId, message: 'the code expects a DynamoDB table with this logical id (src/engine/tables.ts)' }];
    }
    return compareTable(expected.logicalId, resource.Properties ?? {}, expected);
  });
}
