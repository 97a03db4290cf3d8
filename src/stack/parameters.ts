import type { Parameter } from '@aws-sdk/client-cloudformation';
import type { CfnParameter, CfnTemplate } from '../cfn/template.js';
import { ExitCode, MailengineError, usageError } from '../errors.js';

/** Set by `deploy` itself on every run; a user value would be overwritten, so it is refused. */
export const MANAGED_PARAMETERS = ['CodeBucket', 'SenderCodeKey', 'FeedbackCodeKey', 'PauseCodeKey', 'EngineVersion'] as const;

export type ParameterSource = 'flag' | 'config' | 'previous' | 'deploy' | 'prompt' | 'default';

export interface PlannedParameter {
  name: string;
  /** The value sent, or (for `previous`) the value the stack already has. */
  value?: string;
  source: ParameterSource;
}

export interface ParameterPlan {
  parameters: PlannedParameter[];
  /** Required (no default, no previous value) and not given: to be asked for. */
  missing: string[];
}

/** Checks a value the way CloudFormation will, so a typo fails here, before anything is uploaded. */
export function checkParameterValue(name: string, spec: CfnParameter, value: string): string | undefined {
  // The template's own wording ("must be an email address") reads better than its regular expression.
  const pattern = spec.ConstraintDescription ? `${name} ${spec.ConstraintDescription}` : `${name} does not match ${spec.AllowedPattern}`;
  if (spec.AllowedValues && !spec.AllowedValues.map(String).includes(value)) return `${name} must be one of ${spec.AllowedValues.map(String).join(', ')}`;
  if (spec.Type === 'Number') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) return `${name} must be a number`;
    if (spec.MinValue !== undefined && n < spec.MinValue) return `${name} must be at least ${spec.MinValue}`;
    if (spec.MaxValue !== undefined && n > spec.MaxValue) return `${name} must be at most ${spec.MaxValue}`;
  }
  if (spec.AllowedPattern && spec.Type === 'String' && !new RegExp(spec.AllowedPattern).test(value)) return pattern;
  if (spec.MinLength !== undefined && value.length < spec.MinLength) return `${name} must be at least ${spec.MinLength} characters`;
  if (spec.MaxLength !== undefined && value.length > spec.MaxLength) return `${name} must be at most ${spec.MaxLength} characters`;
  return undefined;
}

export interface PlanInput {
  template: CfnTemplate;
  /** The stack's current values; undefined on a first install. */
  previous?: Record<string, string>;
  /** From the environment in mailengine.config.json. */
  config: Record<string, string>;
  /** From `--parameters Key=Value`. */
  flags: Record<string, string>;
  /** What deploy sets itself (code bucket and keys, engine version). */
  managed: Record<string, string>;
}

/**
 * Checks the values given in the config file and on the command line against the template:
 * unknown names, names deploy sets itself, and values outside the template's constraints. Needs
 * nothing from AWS, so a typo fails before the first call.
 */
export function checkGivenParameters(template: CfnTemplate, config: Record<string, string>, flags: Record<string, string>): void {
  const declared = template.Parameters ?? {};
  const known = Object.keys(declared);
  const problems: string[] = [];
  for (const [origin, values] of [
    ['--parameters', flags],
    ['the config file', config],
  ] as const) {
    for (const name of Object.keys(values)) {
      if (!(name in declared)) problems.push(`${name} (from ${origin}) is not a parameter of the engine template`);
      else if ((MANAGED_PARAMETERS as readonly string[]).includes(name)) problems.push(`${name} (from ${origin}) is set by \`mailengine deploy\` itself`);
      else {
        const problem = checkParameterValue(name, declared[name], values[name]);
        if (problem) problems.push(`${problem} (from ${origin}, got "${values[name]}")`);
      }
    }
  }
  if (problems.length > 0) {
    throw usageError('PARAMETER_INVALID', `Invalid parameters:\n  ${problems.join('\n  ')}`, `The engine template's parameters: ${known.filter((n) => !(MANAGED_PARAMETERS as readonly string[]).includes(n)).join(', ')}. See "The engine's infrastructure" in docs/reference.md.`, {
      problems,
    });
  }
}

/**
 * Decides each parameter's value: a flag, else the config file, else — on an upgrade — the
 * stack's previous value (sent as UsePreviousValue, so CloudFormation keeps exactly what it has),
 * else the template default. Required ones with none of these are reported as missing.
 */
export function planParameters(input: PlanInput): ParameterPlan {
  checkGivenParameters(input.template, input.config, input.flags);
  const declared = input.template.Parameters ?? {};
  const parameters: PlannedParameter[] = [];
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(declared)) {
    if (name in input.managed) parameters.push({ name, value: input.managed[name], source: 'deploy' });
    else if (name in input.flags) parameters.push({ name, value: input.flags[name], source: 'flag' });
    else if (name in input.config) parameters.push({ name, value: input.config[name], source: 'config' });
    else if (input.previous && name in input.previous) parameters.push({ name, value: input.previous[name], source: 'previous' });
    else if (spec.Default !== undefined) parameters.push({ name, value: String(spec.Default), source: 'default' });
    else missing.push(name);
  }
  return { parameters, missing };
}

/**
 * The parameters as CloudFormation takes them. Defaults are left out, so the template decides;
 * previous values travel as UsePreviousValue rather than as a copy, so a value changed outside the
 * CLI is kept, not reverted.
 */
export function toCfnParameters(plan: PlannedParameter[]): Parameter[] {
  return plan
    .filter((p) => p.source !== 'default')
    .map((p) => (p.source === 'previous' ? { ParameterKey: p.name, UsePreviousValue: true } : { ParameterKey: p.name, ParameterValue: p.value ?? '' }));
}

/** The values the stack will have after this deploy, for the diff. */
export function effectiveValues(plan: PlannedParameter[]): Record<string, string> {
  return Object.fromEntries(plan.map((p) => [p.name, p.value ?? '']));
}

/** `Key=Value` pairs from `--parameters`, checked for shape only. */
export function parseParameterFlags(pairs: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new MailengineError('PARAMETER_INVALID', `--parameters takes Key=Value pairs; "${pair}" has no "=".`, {
        exitCode: ExitCode.Usage,
        suggestion: 'For example: --parameters SendConcurrency=20 AdminEmail=ops@example.com',
      });
    }
    values[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return values;
}
