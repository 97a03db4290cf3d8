import type { AwsClientFactory } from '../aws/clients.js';
import { ExitCode, MailengineError } from '../errors.js';
import { say, type IoHost } from '../io/io-host.js';
import { WaitInterrupted, interrupted } from './abortable.js';
import { deleteStackAndWait } from './delete-stack.js';
import { describeStack, type StackSnapshot } from './stack-status.js';
import { describeFailure, lastOperationFailure, stuckStackError } from './stack-trouble.js';
import { waitForStack } from './wait-for-stack.js';

export interface PrepareOptions {
  aws: AwsClientFactory;
  io: IoHost;
  stackName: string;
  region: string;
  /** `--no-wait`: refuse instead of waiting for an operation already running. */
  noWait: boolean;
  pollMs: number;
  signal?: AbortSignal;
  /** Follow-up hint for messages: `mailengine info --stack x --region y`. */
  followCommand: string;
}

export interface PreparedStack {
  /** The stack to update; undefined for a first install. */
  stack?: StackSnapshot;
  type: 'CREATE' | 'UPDATE';
  /** A REVIEW_IN_PROGRESS stack exists (an unexecuted first install) and will be created through. */
  reviewStackId?: string;
  /** A failed first install was deleted to make room. */
  recreated: boolean;
}

/**
 * Brings the stack to a state a change set can be made against: waits out (or refuses) an
 * operation in progress, offers to delete a failed first install (ROLLBACK_COMPLETE can only be
 * deleted), and explains the statuses that need a person (UPDATE_ROLLBACK_FAILED and friends).
 */
export async function prepareStack(options: PrepareOptions): Promise<PreparedStack> {
  const { aws, io, stackName, region } = options;
  let recreated = false;
  for (;;) {
    const stack = await describeStack(aws, stackName);
    switch (stack?.condition ?? 'absent') {
      case 'absent':
        return { type: 'CREATE', recreated };
      case 'review':
        return { type: 'CREATE', reviewStackId: stack!.stackId, recreated };
      case 'ready':
        return { stack, type: 'UPDATE', recreated };
      case 'stuck':
        throw stuckStackError(stack!, region, await lastOperationFailure(aws, stack!.stackId));
      case 'busy': {
        if (options.noWait) {
          throw new MailengineError('STACK_BUSY', `Stack ${stackName} is busy (${stack!.status}): another operation is running on it.`, {
            exitCode: ExitCode.Failed,
            suggestion: `Nothing was changed. Wait for it (\`${options.followCommand}\` shows its status) and deploy again, or deploy without --no-wait to wait here.`,
            details: { stackStatus: stack!.status },
          });
        }
        const progress = io.progress('deploy.wait-busy', `Stack ${stackName} is busy (${stack!.status}); waiting for that operation to finish`);
        try {
          await waitForStack({ aws, io, progress, stackId: stack!.stackId, since: new Date(), label: `Waiting for stack ${stackName} (${stack!.status})`, pollMs: options.pollMs, signal: options.signal });
        } catch (err) {
          progress.stop();
          if (err instanceof WaitInterrupted) {
            throw interrupted(`Stopped waiting. This deploy changed nothing; the operation already running on stack ${stackName} continues.`, `Follow it with \`${options.followCommand}\`.`);
          }
          throw err;
        }
        progress.succeed(`The operation running on stack ${stackName} finished`);
        continue;
      }
      case 'failed-create': {
        const failure = await lastOperationFailure(aws, stack!.stackId);
        say.warn(io, 'deploy.failed-create', `Stack ${stackName} is in ROLLBACK_COMPLETE: its first install failed (${describeFailure(failure)}) and everything it created was removed.`);
        const recreate = await io.requestResponse({
          kind: 'confirm',
          code: 'deploy.recreate',
          message: `Delete the failed stack ${stackName} and install it again?`,
          default: true,
        });
        if (!recreate) {
          throw new MailengineError('DEPLOY_DECLINED', `Stack ${stackName} was left in ROLLBACK_COMPLETE; nothing was changed.`, {
            exitCode: ExitCode.Failed,
            suggestion: 'A stack in ROLLBACK_COMPLETE can only be deleted. Run `mailengine deploy` again and answer yes, or `mailengine destroy`.',
          });
        }
        try {
          await deleteStackAndWait({ aws, io, stackId: stack!.stackId, stackName, region, pollMs: options.pollMs, signal: options.signal });
        } catch (err) {
          if (err instanceof WaitInterrupted) {
            throw interrupted(`Stopped watching; CloudFormation goes on deleting the failed stack ${stackName}.`, `Run \`mailengine deploy\` again once \`${options.followCommand}\` no longer finds it.`);
          }
          throw err;
        }
        recreated = true;
        continue;
      }
    }
  }
}
