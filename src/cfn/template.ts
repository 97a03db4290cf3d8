import { readFile } from 'node:fs/promises';
import { parse, type CollectionTag, type ScalarTag, type Tags } from 'yaml';
import { packagePath } from '../package-root.js';

/**
 * Reads a CloudFormation YAML template into the same plain structure its JSON form would have:
 * `!Ref X` becomes `{ Ref: 'X' }`, `!GetAtt A.B` becomes `{ 'Fn::GetAtt': ['A', 'B'] }`, and so on.
 */
export interface CfnTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Metadata?: Record<string, unknown>;
  Parameters?: Record<string, CfnParameter>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: unknown; Condition?: string }>;
}

export interface CfnParameter {
  Type: string;
  Description?: string;
  Default?: unknown;
  AllowedValues?: unknown[];
  AllowedPattern?: string;
  MinValue?: number;
  MaxValue?: number;
  MinLength?: number;
  MaxLength?: number;
  ConstraintDescription?: string;
  NoEcho?: boolean;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Record<string, unknown>;
}

const FUNCTIONS = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'Transform', 'And', 'Equals', 'If', 'Not', 'Or', 'Length', 'ToJsonString'];

function scalarTag(tag: string, build: (value: string) => unknown): ScalarTag {
  return { tag: `!${tag}`, resolve: (value: string) => build(value) } as ScalarTag;
}

function collectionTag(tag: string, collection: 'seq' | 'map', build: (value: unknown) => unknown): CollectionTag {
  return {
    tag: `!${tag}`,
    collection,
    resolve: (value: { toJSON(): unknown }) => build(value.toJSON()),
  } as unknown as CollectionTag;
}

const cfnTags: Tags = [
  scalarTag('Ref', (v) => ({ Ref: v })),
  scalarTag('Condition', (v) => ({ Condition: v })),
  scalarTag('GetAtt', (v) => {
    const dot = v.indexOf('.');
    return { 'Fn::GetAtt': [v.slice(0, dot), v.slice(dot + 1)] };
  }),
  collectionTag('GetAtt', 'seq', (v) => ({ 'Fn::GetAtt': v })),
  ...FUNCTIONS.flatMap((fn) => [
    scalarTag(fn, (v) => ({ [`Fn::${fn}`]: v })),
    collectionTag(fn, 'seq', (v) => ({ [`Fn::${fn}`]: v })),
    collectionTag(fn, 'map', (v) => ({ [`Fn::${fn}`]: v })),
  ]),
];

export function parseTemplate(text: string): CfnTemplate {
  const doc = parse(text, { customTags: cfnTags, uniqueKeys: true, maxAliasCount: -1 }) as CfnTemplate;
  if (!doc || typeof doc !== 'object' || typeof doc.Resources !== 'object') {
    throw new Error('not a CloudFormation template: no Resources section');
  }
  return doc;
}

export async function loadTemplate(path: string): Promise<CfnTemplate> {
  return parseTemplate(await readFile(path, 'utf8'));
}

/** The engine's template, shipped with the package. */
export function engineTemplatePath(): string {
  return packagePath('cfn', 'mailengine.yaml');
}
