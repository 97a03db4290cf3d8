import { ExitCode, MailengineError } from '../errors.js';
import type { CfnTemplate } from '../cfn/template.js';

/** The account id the local stack pretends to be, for `${AWS::AccountId}` in names. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** What `Ref` and `Fn::Sub` can see when a template is read for the local stack. */
export interface CfnScope {
  stackName: string;
  region: string;
  accountId: string;
  /** Parameter values: the template's defaults overlaid with the environment's parameters. */
  parameters: Record<string, string>;
}

export function cfnScope(template: CfnTemplate, input: { stackName: string; region: string; parameters?: Record<string, string> }): CfnScope {
  const parameters: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    if (parameter.Default !== undefined) parameters[name] = String(parameter.Default);
  }
  return { stackName: input.stackName, region: input.region, accountId: LOCAL_ACCOUNT_ID, parameters: { ...parameters, ...input.parameters } };
}

function unsupported(where: string, what: string): MailengineError {
  return new MailengineError('LOCAL_TEMPLATE_UNSUPPORTED', `${where}: ${what} cannot be resolved for the local stack.`, {
    exitCode: ExitCode.Failed,
    suggestion: 'Local provisioning understands Ref to parameters and pseudo parameters, Fn::Sub, Fn::Join and Fn::Select in table and bucket properties.',
    details: { where },
  });
}

function ref(name: string, scope: CfnScope, where: string): string {
  switch (name) {
    case 'AWS::StackName':
      return scope.stackName;
    case 'AWS::Region':
      return scope.region;
    case 'AWS::AccountId':
      return scope.accountId;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::NoValue':
      throw unsupported(where, 'AWS::NoValue');
  }
  const value = scope.parameters[name];
  if (value === undefined) throw unsupported(where, `Ref ${name} (not a parameter with a value)`);
  return value;
}

function sub(text: string, variables: Record<string, unknown>, scope: CfnScope, where: string): string {
  // `${!Literal}` is CloudFormation's escape for a literal `${Literal}`.
  return text.replace(/\$\{(!?)([^}]+)\}/g, (_match, bang: string, name: string) => {
    if (bang) return `\${${name}}`;
    if (name in variables) return resolveString(variables[name], scope, where);
    if (name.includes('.')) throw unsupported(where, `\${${name}} (an attribute of another resource)`);
    return ref(name, scope, where);
  });
}

/**
 * Resolves the intrinsic functions that can appear in a table's or bucket's properties, deep.
 * Anything else (GetAtt, If, ImportValue) is an error naming where it was found.
 */
export function resolveCfnValue(value: unknown, scope: CfnScope, where: string): unknown {
  if (Array.isArray(value)) return value.map((item, i) => resolveCfnValue(item, scope, `${where}[${i}]`));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, arg] = entries[0];
    if (key === 'Ref') return ref(String(arg), scope, where);
    if (key === 'Fn::Sub') {
      if (typeof arg === 'string') return sub(arg, {}, scope, where);
      const [text, variables] = arg as [string, Record<string, unknown>];
      return sub(text, variables ?? {}, scope, where);
    }
    if (key === 'Fn::Join') {
      const [separator, items] = arg as [string, unknown[]];
      return (resolveCfnValue(items, scope, where) as unknown[]).map((item) => String(item)).join(separator);
    }
    if (key === 'Fn::Select') {
      const [index, items] = arg as [unknown, unknown[]];
      return (resolveCfnValue(items, scope, where) as unknown[])[Number(resolveCfnValue(index, scope, where))];
    }
    if (key.startsWith('Fn::') || key === 'Condition') throw unsupported(where, key);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveCfnValue(v, scope, `${where}.${k}`)]));
}

export function resolveString(value: unknown, scope: CfnScope, where: string): string {
  const resolved = resolveCfnValue(value, scope, where);
  if (typeof resolved !== 'string' && typeof resolved !== 'number') throw unsupported(where, JSON.stringify(value));
  return String(resolved);
}
