import type { Parameter, ResourceChange, ResourceToImport, Tag } from '@aws-sdk/client-cloudformation';
import { randomBytes } from 'node:crypto';
import type { AwsClientFactory } from '../aws/clients.js';
import { MailengineError, isMailengineError } from '../errors.js';
import { pollUntil } from '../util/poll.js';
import { WaitInterrupted, pause } from './abortable.js';

/** The template uses AWS::LanguageExtensions (a macro) and creates IAM roles without names. */
export const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'] as const;

export interface ChangeSetRequest {
  stackName: string;
  changeSetName: string;
  /** IMPORT adopts existing resources (and creates the stack when there is none). */
  type: 'CREATE' | 'UPDATE' | 'IMPORT';
  templateUrl: string;
  parameters: Parameter[];
  tags: Tag[];
  description: string;
  /** For IMPORT: which existing resource each logical id is. */
  resourcesToImport?: ResourceToImport[];
}

export interface ChangeSetResult {
  id: string;
  name: string;
  stackId: string;
  /** False when CloudFormation found nothing to change; the change set is then already deleted. */
  hasChanges: boolean;
  changes: ResourceChange[];
  statusReason?: string;
}

// CloudFormation reports "nothing to do" as a FAILED change set, in one of two wordings.
const NO_CHANGES = [/didn't contain changes/i, /No updates are to be performed/i];

/**
 * A change set name that sorts by time and says who made it: `mailengine-20260301T101500-3fa2`.
 * The suffix keeps two deploys in the same second (a review, then the real one) apart: names
 * must be unique per stack.
 */
export function changeSetName(now = new Date()): string {
  return `mailengine-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(2).toString('hex')}`;
}

/**
 * Creates a change set and waits until CloudFormation has worked out what it would do. Returns
 * every change with property values (the diff needs them); an empty change set is deleted here
 * and returned with `hasChanges: false`.
 */
export async function createChangeSet(aws: AwsClientFactory, request: ChangeSetRequest, wait: { pollMs: number; signal?: AbortSignal }): Promise<ChangeSetResult> {
  const { CreateChangeSetCommand, DescribeChangeSetCommand } = await import('@aws-sdk/client-cloudformation');
  const cfn = await aws.cloudformation();
  const created = await cfn.send(
    new CreateChangeSetCommand({
      StackName: request.stackName,
      ChangeSetName: request.changeSetName,
      ChangeSetType: request.type,
      TemplateURL: request.templateUrl,
      Parameters: request.parameters,
      Capabilities: [...CAPABILITIES],
      Tags: request.tags,
      Description: request.description,
      ...(request.resourcesToImport ? { ResourcesToImport: request.resourcesToImport } : {}),
    }),
  );
  const id = created.Id ?? request.changeSetName;
  const stackId = created.StackId ?? request.stackName;
  const describe = () => cfn.send(new DescribeChangeSetCommand({ ChangeSetName: id, StackName: stackId }));
  let described: Awaited<ReturnType<typeof describe>>;
  try {
    ({ value: described } = await pollUntil(
      async () => {
        const out = await describe();
        return { done: out.Status === 'CREATE_COMPLETE' || out.Status === 'FAILED', value: out };
      },
      { delayMs: wait.pollMs, signal: wait.signal, sleep: pause },
    ));
  } catch (err) {
    // Interrupted while CloudFormation was still working it out: leave nothing behind.
    if (err instanceof WaitInterrupted) await deleteChangeSet(aws, stackId, id);
    throw err;
  }
  if (described.Status === 'FAILED') {
    const reason = described.StatusReason ?? '';
    await deleteChangeSet(aws, stackId, id);
    if (NO_CHANGES.some((pattern) => pattern.test(reason))) {
      return { id, name: request.changeSetName, stackId, hasChanges: false, changes: [], statusReason: reason };
    }
    throw new MailengineError('CHANGE_SET_FAILED', `CloudFormation could not prepare the change: ${reason || 'no reason given'}`, {
      suggestion: 'Nothing was changed. Fix what the reason names (a parameter value, a permission, a resource limit) and deploy again.',
      details: { changeSet: id, statusReason: reason },
    });
  }
  const readChanges = async (withValues: boolean) => {
    const changes: ResourceChange[] = [];
    let next: string | undefined;
    do {
      const page = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: id, StackName: stackId, NextToken: next, ...(withValues ? { IncludePropertyValues: true } : {}) }));
      for (const change of page.Changes ?? []) if (change.ResourceChange) changes.push(change.ResourceChange);
      next = page.NextToken;
    } while (next);
    return changes;
  };
  let changes: ResourceChange[];
  try {
    changes = await readChanges(true);
  } catch (err) {
    // Property values are a refinement; should CloudFormation refuse them for a change set, the
    // diff still has every resource and property name without them.
    if (!isMailengineError(err) || err.details?.awsError !== 'ValidationError') throw err;
    changes = await readChanges(false);
  }
  return { id, name: request.changeSetName, stackId, hasChanges: true, changes };
}

/** Best effort: a change set left behind is untidy, not harmful, so a failure here is not fatal. */
export async function deleteChangeSet(aws: AwsClientFactory, stackId: string, changeSetId: string): Promise<boolean> {
  const { DeleteChangeSetCommand } = await import('@aws-sdk/client-cloudformation');
  try {
    await (await aws.cloudformation()).send(new DeleteChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackId }));
    return true;
  } catch {
    return false;
  }
}

export async function executeChangeSet(aws: AwsClientFactory, stackId: string, changeSetId: string, token: string): Promise<void> {
  const { ExecuteChangeSetCommand } = await import('@aws-sdk/client-cloudformation');
  await (await aws.cloudformation()).send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackId, ClientRequestToken: token }));
}
