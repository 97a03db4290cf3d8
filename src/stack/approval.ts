import type { StackDiff } from './diff.js';

/**
 * When `deploy` asks before executing (`--require-approval`, as in the CDK):
 * - `never`: never asks;
 * - `broadening` (default): asks when the change touches permissions, resource policies,
 *   encryption or public access, or removes or replaces a resource that holds data;
 * - `any-change`: asks whenever anything changes.
 * A first install always creates IAM roles, so under `broadening` it is always asked about.
 */
export const APPROVAL_POLICIES = ['never', 'broadening', 'any-change'] as const;
export type ApprovalPolicy = (typeof APPROVAL_POLICIES)[number];

/** A few names, then a count: the question must fit on a line. */
function names(list: string[]): string {
  return list.length <= 3 ? list.join(', ') : `${list.slice(0, 3).join(', ')} and ${list.length - 3} more`;
}

/** Why this diff needs a yes under this policy; empty when it does not. */
export function approvalReasons(diff: StackDiff, policy: ApprovalPolicy): string[] {
  if (policy === 'never') return [];
  const reasons: string[] = [];
  if (policy === 'any-change' && (diff.resources.length > 0 || diff.parameters.length > 0)) {
    reasons.push(`it changes ${diff.resources.length} resource${diff.resources.length === 1 ? '' : 's'}${diff.parameters.length ? ` and ${diff.parameters.length} parameter${diff.parameters.length === 1 ? '' : 's'}` : ''}`);
  }
  if (diff.security.length > 0) {
    reasons.push(`it changes permissions or security settings of ${names(diff.security.map((r) => r.logicalId))}`);
  }
  if (diff.dataAtRisk.length > 0) {
    reasons.push(`it removes or replaces resources that hold data: ${diff.dataAtRisk.map((r) => `${r.logicalId} (${r.action})`).join(', ')}`);
  }
  return reasons;
}

/** True when a first install needs approval under this policy, known before any change set exists. */
export function installNeedsApproval(policy: ApprovalPolicy): boolean {
  return policy !== 'never';
}
