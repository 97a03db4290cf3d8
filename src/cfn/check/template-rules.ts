import type { Finding, RuleContext } from './types.js';
import { alternatives, intrinsicName, isObject, walk } from './values.js';

const TEMPLATE_KEYS = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs']);
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'Condition', 'DependsOn', 'DeletionPolicy', 'UpdateReplacePolicy', 'Metadata', 'CreationPolicy', 'UpdatePolicy']);
const PARAMETER_KEYS = new Set(['Type', 'Description', 'Default', 'AllowedValues', 'AllowedPattern', 'ConstraintDescription', 'MinValue', 'MaxValue', 'MinLength', 'MaxLength', 'NoEcho']);
const OUTPUT_KEYS = new Set(['Value', 'Description', 'Export', 'Condition']);
const POLICY_VALUES = new Set(['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot']);
/** Functions CloudFormation only understands after the AWS::LanguageExtensions transform. */
const LANGUAGE_EXTENSION_FUNCTIONS = new Set(['Fn::ToJsonString', 'Fn::Length', 'Fn::ForEach']);
const LANGUAGE_EXTENSIONS = 'AWS::LanguageExtensions';

function unknownKeys(value: unknown, allowed: Set<string>, resource: string, what: string): Finding[] {
  if (!isObject(value)) return [];
  return Object.keys(value)
    .filter((key) => !allowed.has(key))
    .map((key) => ({ rule: 'template-unknown-key', resource, message: `${key} is not a ${what} key` }));
}

/**
 * The template's own grammar: known sections and keys (a typo such as `Propertes` would otherwise
 * deploy as a resource with no properties), documented parameters, valid deletion policies, and
 * the transform that intrinsic deletion policies and Fn::ToJsonString need.
 */
export function checkTemplateStructure({ template }: RuleContext): Finding[] {
  const findings: Finding[] = [];
  findings.push(...unknownKeys(template, TEMPLATE_KEYS, 'template', 'template section'));

  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    findings.push(...unknownKeys(parameter, PARAMETER_KEYS, name, 'parameter'));
    if (!parameter?.Description) {
      findings.push({ rule: 'parameter-undocumented', resource: name, message: 'needs a Description: it is what the deploy prompt and the README show' });
    }
  }
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    findings.push(...unknownKeys(output, OUTPUT_KEYS, name, 'output'));
  }

  const transforms = ([] as unknown[]).concat((template as { Transform?: unknown }).Transform ?? []);
  const hasLanguageExtensions = transforms.includes(LANGUAGE_EXTENSIONS);
  const needsTransform = new Set<string>();

  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    findings.push(...unknownKeys(resource, RESOURCE_KEYS, id, 'resource'));
    for (const attribute of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
      const value: unknown = resource?.[attribute];
      if (value === undefined) continue;
      if (intrinsicName(value)) needsTransform.add(`${id}.${attribute}`);
      for (const branch of alternatives(value)) {
        if (typeof branch === 'string' && !POLICY_VALUES.has(branch)) {
          findings.push({ rule: 'spec-invalid-value', resource: id, message: `${attribute} "${branch}" is not one of ${[...POLICY_VALUES].join(', ')}` });
        }
      }
    }
  }
  walk(template, (value, path) => {
    const fn = intrinsicName(value);
    if (fn && LANGUAGE_EXTENSION_FUNCTIONS.has(fn)) needsTransform.add(`${path.join('.')} (${fn})`);
  });
  if (needsTransform.size > 0 && !hasLanguageExtensions) {
    findings.push({
      rule: 'template-transform-missing',
      resource: 'template',
      message: `add "Transform: ${LANGUAGE_EXTENSIONS}"; needed by ${[...needsTransform].join(', ')}`,
    });
  }
  return findings;
}
