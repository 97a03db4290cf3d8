import type { Output, Parameter, Stack, Tag } from '@aws-sdk/client-cloudformation';
import type { AwsClientFactory } from '../aws/clients.js';
import { isMailengineError } from '../errors.js';

/**
 * What a stack's status means for the next operation. CloudFormation has some thirty statuses;
 * the CLI acts on these few kinds.
 */
export type StackCondition =
  /** No stack by that name (or only a deleted one). */
  | 'absent'
  /** Settled and updatable. */
  | 'ready'
  /** Created by a CREATE change set that was never executed: treated as not yet installed. */
  | 'review'
  /** An operation is running; wait for it or refuse. */
  | 'busy'
  /** The first install failed and was rolled back: the stack can only be deleted. */
  | 'failed-create'
  /** Stuck: needs a specific recovery step before anything else. */
  | 'stuck';

const READY = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);
const STUCK = new Set(['CREATE_FAILED', 'ROLLBACK_FAILED', 'DELETE_FAILED', 'UPDATE_FAILED', 'UPDATE_ROLLBACK_FAILED', 'IMPORT_ROLLBACK_FAILED']);

export function stackCondition(status: string | undefined): StackCondition {
  if (!status || status === 'DELETE_COMPLETE') return 'absent';
  if (READY.has(status)) return 'ready';
  if (status === 'REVIEW_IN_PROGRESS') return 'review';
  if (status === 'ROLLBACK_COMPLETE') return 'failed-create';
  if (STUCK.has(status)) return 'stuck';
  if (status.endsWith('_IN_PROGRESS')) return 'busy';
  return 'stuck';
}

/** A stack as the CLI needs it: plain maps instead of CloudFormation's arrays. */
export interface StackSnapshot {
  stackId: string;
  stackName: string;
  status: string;
  statusReason?: string;
  condition: StackCondition;
  parameters: Record<string, string>;
  /** Parameter values as given (ParameterValue), where `parameters` holds the resolved ones. */
  givenParameters: Record<string, string>;
  outputs: Record<string, string>;
  tags: Record<string, string>;
  createdAt?: Date;
  updatedAt?: Date;
}

export function toSnapshot(stack: Stack): StackSnapshot {
  const pairs = <T>(items: T[] | undefined, key: (t: T) => string | undefined, value: (t: T) => string | undefined) =>
    Object.fromEntries((items ?? []).flatMap((item) => (key(item) === undefined ? [] : [[key(item) as string, value(item) ?? '']])));
  return {
    stackId: stack.StackId ?? '',
    stackName: stack.StackName ?? '',
    status: stack.StackStatus ?? '',
    ...(stack.StackStatusReason ? { statusReason: stack.StackStatusReason } : {}),
    condition: stackCondition(stack.StackStatus),
    parameters: pairs<Parameter>(stack.Parameters, (p) => p.ParameterKey, (p) => p.ResolvedValue ?? p.ParameterValue),
    givenParameters: pairs<Parameter>(stack.Parameters, (p) => p.ParameterKey, (p) => p.ParameterValue),
    outputs: pairs<Output>(stack.Outputs, (o) => o.OutputKey, (o) => o.OutputValue),
    tags: pairs<Tag>(stack.Tags, (t) => t.Key, (t) => t.Value),
    ...(stack.CreationTime ? { createdAt: stack.CreationTime } : {}),
    ...(stack.LastUpdatedTime ? { updatedAt: stack.LastUpdatedTime } : {}),
  };
}

/** The stack by name or id, or undefined when there is none. Other errors propagate. */
export async function describeStack(aws: AwsClientFactory, stackNameOrId: string): Promise<StackSnapshot | undefined> {
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cfn = await aws.cloudformation();
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackNameOrId }));
    const stack = out.Stacks?.[0];
    if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return undefined;
    return toSnapshot(stack);
  } catch (err) {
    if (isMailengineError(err) && err.code === 'STACK_NOT_FOUND') return undefined;
    throw err;
  }
}

/** A stack by its id, deleted ones included (CloudFormation keeps them findable by id for 90 days). */
export async function describeStackById(aws: AwsClientFactory, stackId: string): Promise<StackSnapshot | undefined> {
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cfn = await aws.cloudformation();
  try {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackId }))).Stacks?.[0];
    return stack ? toSnapshot(stack) : undefined;
  } catch (err) {
    if (isMailengineError(err) && err.code === 'STACK_NOT_FOUND') return undefined;
    throw err;
  }
}

/** The AWS console page of a stack's events, for "follow it there" hints. */
export function consoleUrl(region: string, stackId: string): string {
  const host = region.startsWith('cn-') ? `${region}.console.amazonaws.cn` : `${region}.console.aws.amazon.com`;
  return `https://${host}/cloudformation/home?region=${region}#/stacks/events?stackId=${encodeURIComponent(stackId)}`;
}
