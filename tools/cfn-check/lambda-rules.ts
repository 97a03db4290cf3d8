import type { Finding, RuleContext } from './types.js';
import { alternatives, resourcesOfType } from './values.js';

/** Older Node.js runtimes are deprecated or close to it (nodejs20.x in 2026). */
export const MIN_NODE_RUNTIME = 22;
const NODE_RUNTIME = /^nodejs(\d+)\.x$/;

export function checkRuntimes({ template }: RuleContext): Finding[] {
  const findings: Finding[] = [];
  for (const [id, properties] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    if (properties.PackageType === 'Image') continue;
    if (properties.Runtime === undefined) {
      findings.push({ rule: 'lambda-runtime', resource: id, message: `has no Runtime; use nodejs${MIN_NODE_RUNTIME}.x or newer` });
      continue;
    }
    for (const runtime of alternatives(properties.Runtime)) {
      if (typeof runtime !== 'string') continue;
      const major = NODE_RUNTIME.exec(runtime)?.[1];
      if (major === undefined || Number(major) < MIN_NODE_RUNTIME) {
        findings.push({ rule: 'lambda-runtime', resource: id, message: `Runtime ${runtime} is older than nodejs${MIN_NODE_RUNTIME}.x (or not Node.js)` });
      }
    }
  }
  return findings;
}
