import type { Finding, RuleContext } from './types.js';
import { intrinsicName, walk } from './values.js';

/** Functions CloudFormation only understands after the AWS::LanguageExtensions transform. */
const LANGUAGE_EXTENSION_FUNCTIONS = new Set(['Fn::ToJsonString', 'Fn::Length', 'Fn::ForEach']);
const LANGUAGE_EXTENSIONS = 'AWS::LanguageExtensions';

/**
 * What this template relies on beyond CloudFormation's grammar (cfn-lint checks that): every
 * parameter documented, because the deploy prompt and the README show the Description; and the
 * transform that the engine's intrinsic deletion policies (`!If [RetainDataOnDelete, …]`) and
 * Fn::ToJsonString need, which cfn-lint does not ask for.
 */
export function checkTemplateStructure({ template }: RuleContext): Finding[] {
  const findings: Finding[] = [];

  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    if (!parameter?.Description) {
      findings.push({ rule: 'parameter-undocumented', resource: name, message: 'needs a Description: it is what the deploy prompt and the README show' });
    }
  }

  const transforms = ([] as unknown[]).concat((template as { Transform?: unknown }).Transform ?? []);
  const hasLanguageExtensions = transforms.includes(LANGUAGE_EXTENSIONS);
  const needsTransform = new Set<string>();

  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    for (const attribute of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
      const value: unknown = resource?.[attribute];
      if (value !== undefined && intrinsicName(value)) needsTransform.add(`${id}.${attribute}`);
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
