import { resourceAttributes } from './spec-rules.js';
import type { Finding, RuleContext } from './types.js';
import { intrinsicName, isObject, PSEUDO_PARAMETERS, walk, type Path } from './values.js';

/** `${Name}` and `${Resource.Attribute}` inside a Sub string; `${!Literal}` is an escape. */
const SUB_VARIABLE = /\$\{([^}]*)\}/g;

/** The logical id or parameter a finding belongs to: the first segment under a section. */
function owner(path: Path): string {
  return path.length >= 2 ? String(path[1]) : 'template';
}

/**
 * Every Ref, GetAtt, Sub variable, condition, DependsOn and FindInMap must point at something
 * that exists (GetAtt attributes checked against the resource database), and every parameter
 * must be used.
 */
export async function checkReferences({ template }: RuleContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  const parameters = new Set(Object.keys(template.Parameters ?? {}));
  const resources = template.Resources ?? {};
  const conditions = new Set(Object.keys(template.Conditions ?? {}));
  const mappings = new Set(Object.keys(template.Mappings ?? {}));
  const used = new Set<string>();

  const checkAttribute = async (resource: string, attribute: string, where: string, rule: 'getatt-dangling' | 'sub-dangling') => {
    const target = resources[resource];
    if (!target) {
      findings.push({ rule, resource: where, message: `${resource}.${attribute} names no resource called ${resource}` });
      return;
    }
    const attributes = await resourceAttributes(target.Type);
    if (attributes && !attributes.has(attribute)) {
      findings.push({
        rule,
        resource: where,
        message: `${target.Type} ${resource} has no attribute ${attribute} (it has ${[...attributes].join(', ') || 'none'})`,
      });
    }
  };

  const checkCondition = (name: unknown, where: string) => {
    if (typeof name === 'string' && !conditions.has(name)) {
      findings.push({ rule: 'condition-dangling', resource: where, message: `condition ${name} is not defined in Conditions` });
    }
  };

  const pending: Promise<void>[] = [];
  const sections = { Resources: template.Resources, Outputs: template.Outputs, Conditions: template.Conditions, Rules: (template as { Rules?: unknown }).Rules };
  for (const [section, content] of Object.entries(sections)) {
    if (content === undefined) continue;
    walk(content, (value, inner) => {
      const path: Path = [section, ...inner];
      const where = owner(path);
      const fn = intrinsicName(value);
      if (!fn) return;
      const args = (value as Record<string, unknown>)[fn];
      switch (fn) {
        case 'Ref': {
          const name = String(args);
          if (parameters.has(name)) used.add(name);
          else if (!(name in resources) && !PSEUDO_PARAMETERS.has(name)) {
            findings.push({ rule: 'ref-dangling', resource: where, message: `Ref ${name} names no parameter, resource or pseudo parameter` });
          }
          break;
        }
        case 'Fn::GetAtt': {
          if (Array.isArray(args) && typeof args[0] === 'string' && typeof args[1] === 'string') {
            pending.push(checkAttribute(args[0], args[1], where, 'getatt-dangling'));
          } else if (!Array.isArray(args) || typeof args[0] !== 'string') {
            findings.push({ rule: 'getatt-dangling', resource: where, message: 'Fn::GetAtt needs [LogicalId, Attribute]' });
          }
          break;
        }
        case 'Fn::Sub': {
          const [text, variables] = Array.isArray(args) ? [args[0], args[1]] : [args, undefined];
          if (typeof text !== 'string') break;
          const local = isObject(variables) ? new Set(Object.keys(variables)) : new Set<string>();
          for (const match of text.matchAll(SUB_VARIABLE)) {
            const name = match[1].trim();
            if (name.startsWith('!') || local.has(name) || PSEUDO_PARAMETERS.has(name)) continue;
            if (parameters.has(name)) {
              used.add(name);
            } else if (name.includes('.')) {
              const dot = name.indexOf('.');
              pending.push(checkAttribute(name.slice(0, dot), name.slice(dot + 1), where, 'sub-dangling'));
            } else if (!(name in resources)) {
              findings.push({ rule: 'sub-dangling', resource: where, message: `\${${name}} in Fn::Sub names no parameter, resource, pseudo parameter or Sub variable` });
            }
          }
          break;
        }
        case 'Fn::If':
          if (Array.isArray(args)) checkCondition(args[0], where);
          break;
        case 'Condition':
          // Inside Conditions a `{ Condition: Name }` refers to another condition; a resource's
          // own `Condition:` key is a plain string and is checked below.
          if (section === 'Conditions') checkCondition(args, where);
          break;
        case 'Fn::FindInMap':
          if (Array.isArray(args) && typeof args[0] === 'string' && !mappings.has(args[0])) {
            findings.push({ rule: 'mapping-dangling', resource: where, message: `Fn::FindInMap names no mapping called ${args[0]}` });
          }
          break;
      }
    });
  }
  await Promise.all(pending);

  for (const [id, resource] of Object.entries(resources)) {
    if (resource?.Condition !== undefined) checkCondition(resource.Condition, id);
    for (const dependency of ([] as unknown[]).concat(resource?.DependsOn ?? [])) {
      if (typeof dependency !== 'string' || !(dependency in resources)) {
        findings.push({ rule: 'depends-on-dangling', resource: id, message: `DependsOn ${String(dependency)} names no resource` });
      }
    }
  }
  for (const [id, output] of Object.entries(template.Outputs ?? {})) {
    if (output?.Condition !== undefined) checkCondition(output.Condition, id);
  }
  for (const name of parameters) {
    if (!used.has(name)) {
      findings.push({ rule: 'parameter-unused', resource: name, message: 'is never referenced; remove it or use it' });
    }
  }
  return findings;
}
