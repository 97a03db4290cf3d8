import type { Finding, RuleContext } from './types.js';
import { alternatives, isObject, jsonValue, resourcesOfType } from './values.js';

const DETAIL_TYPE_KEY = 'events:detail-type';

function mentionsPutEvents(action: unknown): boolean {
  const actions = Array.isArray(action) ? action : [action];
  return actions.some((a) => typeof a === 'string' && (a === '*' || /^events:(\*|PutEvents)$/i.test(a)));
}

/** Whether any operator of the condition block tests the event's detail-type (keys are case-insensitive). */
function limitsDetailType(condition: unknown): boolean {
  if (!isObject(condition)) return false;
  return Object.values(condition).some((keys) => isObject(keys) && Object.keys(keys).some((key) => key.toLowerCase() === DETAIL_TYPE_KEY));
}

/**
 * A bus policy that lets someone put events must say which detail-types: a bus whose rules and
 * listeners trust one detail-type (the engine's "Email Status Changed") must not accept it from
 * every publisher. The older form of the resource (Action and Principal as properties, a
 * Type/Key/Value condition) cannot test the detail-type, so it fails too.
 */
export function checkBusPolicies({ template }: RuleContext): Finding[] {
  const findings: Finding[] = [];
  for (const [id, properties] of resourcesOfType(template, 'AWS::Events::EventBusPolicy')) {
    if (properties.Statement === undefined) {
      if (mentionsPutEvents(properties.Action ?? 'events:PutEvents')) {
        findings.push({ rule: 'bus-policy-any-detail-type', resource: id, message: `allows PutEvents without a Statement, so it cannot limit ${DETAIL_TYPE_KEY}` });
      }
      continue;
    }
    for (const branch of alternatives(properties.Statement)) {
      const statement = jsonValue(branch);
      if (!isObject(statement) || statement.Effect !== 'Allow' || !mentionsPutEvents(statement.Action)) continue;
      if (!limitsDetailType(statement.Condition)) {
        findings.push({ rule: 'bus-policy-any-detail-type', resource: id, message: `allows PutEvents of any detail-type; add a ${DETAIL_TYPE_KEY} condition naming the events publishers may put` });
      }
    }
  }
  return findings;
}
