import type { Finding, RuleContext } from './types.js';
import { intrinsicName, isObject, walk } from './values.js';

const SUB_VARIABLE = /\$\{([^}!][^}]*)\}/g;

/** The resources one resource depends on: its Ref, GetAtt and Sub targets and its DependsOn. */
function dependenciesOf(resource: unknown, resources: Set<string>): Set<string> {
  const found = new Set<string>();
  const add = (name: unknown) => {
    if (typeof name === 'string' && resources.has(name)) found.add(name);
  };
  if (isObject(resource)) ([] as unknown[]).concat(resource.DependsOn ?? []).forEach(add);
  walk(resource, (value) => {
    const fn = intrinsicName(value);
    const args = fn ? (value as Record<string, unknown>)[fn] : undefined;
    if (fn === 'Ref') add(args);
    if (fn === 'Fn::GetAtt' && Array.isArray(args)) add(args[0]);
    if (fn === 'Fn::Sub') {
      const [text, variables] = Array.isArray(args) ? [args[0], args[1]] : [args, undefined];
      if (typeof text !== 'string') return;
      for (const match of text.matchAll(SUB_VARIABLE)) {
        const name = match[1].trim().split('.')[0];
        if (!(isObject(variables) && name in variables)) add(name);
      }
    }
  });
  return found;
}

/**
 * CloudFormation refuses a template whose resources depend on each other in a circle; the
 * error only appears when a change set is created. Reports each circle once.
 */
export function checkDependencyCycles({ template }: RuleContext): Finding[] {
  const resources = template.Resources ?? {};
  const ids = new Set(Object.keys(resources));
  const graph = new Map([...ids].map((id) => [id, [...dependenciesOf(resources[id], ids)].sort()]));
  const findings: Finding[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (id: string) => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of graph.get(id) ?? []) {
      if (state.get(next) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(next));
        const key = [...cycle].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          const start = [...cycle].sort()[0];
          const rotated = [...cycle.slice(cycle.indexOf(start)), ...cycle.slice(0, cycle.indexOf(start))];
          findings.push({ rule: 'dependency-cycle', resource: start, message: `depends on itself: ${[...rotated, start].join(' -> ')}` });
        }
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of [...ids].sort()) if (!state.has(id)) visit(id);
  return findings;
}
