import type { AwsClientFactory } from '../aws/clients.js';
import { ExitCode, MailengineError } from '../errors.js';
import { firstFailure, type StackEventLine } from './stack-events.js';
import { consoleUrl, type StackSnapshot } from './stack-status.js';

const OPERATION_START = new Set(['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'DELETE_IN_PROGRESS', 'IMPORT_IN_PROGRESS']);

/** The failure that explains the stack's last operation, read from its most recent events. */
export async function lastOperationFailure(aws: AwsClientFactory, stackId: string): Promise<StackEventLine | undefined> {
  const { DescribeStackEventsCommand } = await import('@aws-sdk/client-cloudformation');
  const page = await (await aws.cloudformation()).send(new DescribeStackEventsCommand({ StackName: stackId }));
  const events: StackEventLine[] = (page.StackEvents ?? [])
    .map((e) => ({
      time: e.Timestamp ?? new Date(0),
      logicalId: e.LogicalResourceId ?? '',
      resourceType: e.ResourceType ?? '',
      status: e.ResourceStatus ?? '',
      ...(e.ResourceStatusReason ? { reason: e.ResourceStatusReason } : {}),
      isStack: e.ResourceType === 'AWS::CloudFormation::Stack' && e.LogicalResourceId === e.StackName,
    }))
    .reverse();
  let start = 0;
  events.forEach((e, i) => {
    if (e.isStack && OPERATION_START.has(e.status)) start = i;
  });
  return firstFailure(events.slice(start));
}

export function describeFailure(event: StackEventLine | undefined): string {
  if (!event) return 'CloudFormation gave no reason';
  return `${event.logicalId}${event.isStack ? '' : ` (${event.resourceType})`} ${event.status}: ${event.reason ?? 'no reason given'}`;
}

/** A resource that already exists under the name the template gives it: retained data, usually. */
export function isNameCollision(event: StackEventLine | undefined): boolean {
  return /already exists/i.test(event?.reason ?? '');
}

const ADOPT_HINT =
  'A resource with that name already exists, most likely kept by an earlier `mailengine destroy` (RetainData=true). Run `mailengine deploy --adopt-retained` to adopt the retained resources into the stack, or delete them first.';

/**
 * Why a stack in a stuck status cannot be deployed to, and the exact way out. Each of these needs
 * a decision CloudFormation will not take on its own.
 */
export function stuckStackError(stack: StackSnapshot, region: string, failure: StackEventLine | undefined): MailengineError {
  const name = stack.stackName;
  const at = `--stack-name ${name} --region ${region}`;
  const why = failure ? ` The first failure: ${describeFailure(failure)}.` : '';
  const follow = `Events: ${consoleUrl(region, stack.stackId)}`;
  const explain = (message: string, suggestion: string) =>
    new MailengineError('STACK_NEEDS_ATTENTION', `${message}${why}`, { exitCode: ExitCode.Failed, suggestion: `${suggestion}\n    ${follow}`, details: { stackStatus: stack.status } });
  switch (stack.status) {
    case 'UPDATE_ROLLBACK_FAILED':
      return explain(
        `Stack ${name} is in UPDATE_ROLLBACK_FAILED: an update failed, and rolling it back failed too, so CloudFormation will not touch it until the rollback is finished.`,
        `Usually a resource was changed or deleted outside CloudFormation. Fix that resource and run \`aws cloudformation continue-update-rollback ${at}\`; if it cannot be fixed, add \`--resources-to-skip ${failure && !failure.isStack ? failure.logicalId : '<LogicalId>'}\`. Once the stack is UPDATE_ROLLBACK_COMPLETE, run \`mailengine deploy\` again.`,
      );
    case 'ROLLBACK_FAILED':
      return explain(
        `Stack ${name} is in ROLLBACK_FAILED: the first install failed and CloudFormation could not remove everything it had created.`,
        `Delete it with \`mailengine destroy --stack ${name}\` (or \`aws cloudformation delete-stack ${at} --retain-resources <LogicalId>\` for what cannot be deleted), then deploy again.`,
      );
    case 'DELETE_FAILED':
      return explain(`Stack ${name} is in DELETE_FAILED: an earlier delete stopped part-way.`, `Run \`mailengine destroy --stack ${name}\` again; it retries the delete.`);
    case 'UPDATE_FAILED':
      return explain(
        `Stack ${name} is in UPDATE_FAILED: an update failed with rollback turned off.`,
        `Roll it back with \`aws cloudformation rollback-stack ${at}\`, then deploy again.`,
      );
    case 'CREATE_FAILED':
      return explain(`Stack ${name} is in CREATE_FAILED: the first install failed with rollback turned off.`, `Delete it with \`mailengine destroy --stack ${name}\`, then deploy again.`);
    default:
      return explain(`Stack ${name} is in ${stack.status}, which mailengine cannot deploy over.`, `Look at its events and bring it back to a COMPLETE status, then deploy again.`);
  }
}

/** The error for an operation that ended badly, with the resource and reason that caused it. */
export function operationFailedError(stack: StackSnapshot | undefined, failure: StackEventLine | undefined, kind: 'install' | 'upgrade' | 'delete', region: string, stackName: string): MailengineError {
  const status = stack?.status ?? 'unknown';
  const lines: Record<typeof kind, string> = {
    install: `The install of stack ${stackName} failed and was rolled back (${status}).`,
    upgrade: `The upgrade of stack ${stackName} failed (${status}).`,
    delete: `Deleting stack ${stackName} failed (${status}).`,
  };
  let suggestion: string;
  if (isNameCollision(failure) && kind === 'install') suggestion = ADOPT_HINT;
  else if (kind === 'install') suggestion = 'Fix the cause, then run `mailengine deploy` again: it offers to delete the failed stack and install it anew.';
  else if (kind === 'upgrade' && status === 'UPDATE_ROLLBACK_COMPLETE') suggestion = 'The stack is back as it was before; nothing else changed. Fix the cause and deploy again.';
  else if (kind === 'upgrade') suggestion = 'Run `mailengine deploy` again for the way out of this status.';
  else suggestion = 'Fix the cause (often a bucket that is not empty, or a resource in use elsewhere) and run `mailengine destroy` again.';
  return new MailengineError('STACK_OPERATION_FAILED', `${lines[kind]} First failure: ${describeFailure(failure)}.`, {
    exitCode: ExitCode.Failed,
    suggestion: `${suggestion}\n    Events: ${stack ? consoleUrl(region, stack.stackId) : '(stack gone)'}`,
    details: { stackStatus: status, ...(failure ? { failedResource: failure.logicalId, reason: failure.reason } : {}) },
  });
}
