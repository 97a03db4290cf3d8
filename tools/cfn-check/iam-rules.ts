import type { Finding, RuleContext } from './types.js';
import { intrinsicName, isObject, walk, type Path } from './values.js';

/**
 * The comment that accepts one `Resource: "*"`: `# cfn-check: allow-star-resource <reason>` on the
 * line of the `*` or the line above it. Some actions have no resource-level permissions at all
 * (for example `cloudwatch:PutMetricData`); the reason records that it was checked.
 */
export const STAR_RESOURCE_MARKER = 'allow-star-resource';

const SERVICE_WILDCARD = /^[A-Za-z0-9-]+:\*$/;

/** Literal strings of a policy field with their paths, through lists and both Fn::If branches. */
function literals(value: unknown, path: Path): { value: string; path: Path }[] {
  if (typeof value === 'string') return [{ value, path }];
  if (Array.isArray(value)) return value.flatMap((item, index) => literals(item, [...path, index]));
  if (intrinsicName(value) === 'Fn::If') {
    const args = (value as Record<string, unknown>)['Fn::If'];
    if (Array.isArray(args)) return [1, 2].flatMap((index) => literals(args[index], [...path, 'Fn::If', index]));
  }
  return [];
}

/**
 * Least privilege in every policy document of the template (role policies, resource policies,
 * and the publisher policy offered as an output): no `*` or `service:*` actions, no NotAction or
 * NotResource grants, and `Resource: "*"` only where a marker comment says why nothing narrower
 * exists. Deny statements may be broad on purpose (the TLS-only bucket policy) and are skipped.
 */
export function checkIamPolicies({ template, source }: RuleContext): Finding[] {
  const findings: Finding[] = [];
  const sections = { Resources: template.Resources, Outputs: template.Outputs };
  for (const [section, content] of Object.entries(sections)) {
    if (content === undefined) continue;
    walk(content, (value, inner) => {
      if (!isObject(value) || !('Effect' in value) || !('Action' in value || 'NotAction' in value)) return;
      if (value.Effect === 'Deny') return;
      const path: Path = [section, ...inner];
      const where = String(path[1]);
      const sid = typeof value.Sid === 'string' ? ` (Sid ${value.Sid})` : '';
      for (const key of ['NotAction', 'NotResource'] as const) {
        if (key in value) {
          findings.push({ rule: 'iam-not-action', resource: where, message: `Allow statement${sid} uses ${key}, which grants everything not listed` });
        }
      }
      for (const action of literals(value.Action, [...path, 'Action'])) {
        if (action.value === '*' || SERVICE_WILDCARD.test(action.value)) {
          findings.push({ rule: 'iam-star-action', resource: where, message: `Allow statement${sid} grants "${action.value}"; list the actions it needs` });
        }
      }
      for (const resource of literals(value.Resource, [...path, 'Resource'])) {
        if (resource.value !== '*') continue;
        if (source?.markerReason(resource.path, STAR_RESOURCE_MARKER)) continue;
        findings.push({
          rule: 'iam-star-resource',
          resource: where,
          message: `Allow statement${sid} applies to Resource "*"; name the ARNs, or add "# cfn-check: ${STAR_RESOURCE_MARKER} <why>" if the actions have no resource-level permissions`,
        });
      }
    });
  }
  return findings;
}
