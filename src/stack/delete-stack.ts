import { randomUUID } from 'node:crypto';
import type { AwsClientFactory } from '../aws/clients.js';
import type { IoHost } from '../io/io-host.js';
import { lastOperationFailure, operationFailedError } from './stack-trouble.js';
import { firstFailure } from './stack-events.js';
import { waitForStack, type WaitForStackResult } from './wait-for-stack.js';

export interface DeleteStackOptions {
  aws: AwsClientFactory;
  io: IoHost;
  stackId: string;
  stackName: string;
  region: string;
  pollMs: number;
  signal?: AbortSignal;
  /** Resource count for the progress display. */
  total?: number;
}

/**
 * Deletes a stack and waits until it is gone, streaming its events. A DELETE_FAILED ends in an
 * error naming the resource that could not be deleted and why.
 */
export async function deleteStackAndWait(options: DeleteStackOptions): Promise<WaitForStackResult> {
  const { DeleteStackCommand } = await import('@aws-sdk/client-cloudformation');
  const token = `mailengine-delete-${randomUUID()}`;
  const since = new Date();
  await (await options.aws.cloudformation()).send(new DeleteStackCommand({ StackName: options.stackId, ClientRequestToken: token }));
  const progress = options.io.progress('stack.delete', `Deleting stack ${options.stackName}`);
  let result: WaitForStackResult;
  try {
    result = await waitForStack({ ...options, progress, since, token, label: `Deleting stack ${options.stackName}` });
  } catch (err) {
    progress.stop();
    throw err;
  }
  if (result.stack && result.stack.status !== 'DELETE_COMPLETE') {
    progress.fail(`Deleting stack ${options.stackName} failed (${result.stack.status})`);
    const failure = firstFailure(result.events) ?? (await lastOperationFailure(options.aws, options.stackId));
    throw operationFailedError(result.stack, failure, 'delete', options.region, options.stackName);
  }
  progress.succeed(`Deleted stack ${options.stackName}`);
  return result;
}
