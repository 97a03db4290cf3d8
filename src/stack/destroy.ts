import type { AwsClientFactory } from '../aws/clients.js';
import { ExitCode, MailengineError, isMailengineError } from '../errors.js';
import { say, type IoHost } from '../io/io-host.js';
import { WaitInterrupted, interrupted } from './abortable.js';
import { purgeArtifacts, type PurgeResult } from './artifacts-bucket.js';
import { deleteStackAndWait } from './delete-stack.js';
import { resolveRegion } from './deploy-settings.js';
import { deleteAllVersions } from './empty-bucket.js';
import { presenceOf } from './data-left.js';
import { formatBytes, formatUsd } from './retained-cost.js';
import { messagesIn, stackDataItems, type StackDataItem } from './stack-data.js';
import { consoleUrl, describeStack } from './stack-status.js';
import { lastOperationFailure, describeFailure } from './stack-trouble.js';
import { waitForStack } from './wait-for-stack.js';

export interface DestroyOptions {
  aws: AwsClientFactory;
  io: IoHost;
  stackName: string;
  withRegion: (region: string) => AwsClientFactory;
  /** Also remove this stack's files from the artifacts bucket, and the bucket once it is empty. */
  purgeArtifacts: boolean;
  /** False for `--no-wait`: refuse while another operation runs on the stack. */
  wait: boolean;
  /** `--force`: delete even though requests wait in the queues (or could not be counted). */
  force?: boolean;
  signal?: AbortSignal;
  pollMs?: number;
}

export interface DestroyResult {
  action: 'deleted' | 'absent';
  stackName: string;
  region: string;
  /** Data resources found still there after the delete, with sizes and monthly cost. */
  retained: StackDataItem[];
  retainedMonthlyUsd: number;
  /** Data resources found gone after the delete. */
  deletedData: StackDataItem[];
  /** Data resources whose presence could not be checked after the delete, and why. */
  unchecked: Array<{ item: StackDataItem; reason: string }>;
  /** Messages the queues held when the delete began (only with --force or a person's yes). */
  messagesAtDelete: number;
  artifacts?: PurgeResult;
  seconds: number;
}

const TYPE_WORD: Record<string, string> = {
  'AWS::DynamoDB::Table': 'table',
  'AWS::S3::Bucket': 'bucket',
  'AWS::SecretsManager::Secret': 'secret',
  'AWS::SQS::Queue': 'queue',
  'AWS::Logs::LogGroup': 'log group',
};

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

function describeMessages(item: StackDataItem): string {
  const total = messagesIn(item);
  if (total === undefined || !item.messages) return 'messages not counted';
  if (total === 0) return 'empty';
  const { waiting = 0, inFlight = 0, delayed = 0 } = item.messages;
  const parts = [waiting ? `${waiting} waiting` : '', inFlight ? `${inFlight} in flight` : '', delayed ? `${delayed} delayed` : ''].filter(Boolean);
  return `${plural(total, 'message')} (${parts.join(', ')})`;
}

export function describeDataItem(item: StackDataItem): string {
  const word = TYPE_WORD[item.type] ?? item.type;
  if (item.type === 'AWS::SecretsManager::Secret') return `${word} ${item.name}`;
  if (item.type === 'AWS::SQS::Queue') return `${word} ${item.name}, ${describeMessages(item)}`;
  if (item.type === 'AWS::Logs::LogGroup') return `${word} ${item.name}${item.sizeBytes === undefined ? '' : `, ${formatBytes(item.sizeBytes)}`}`;
  const unit = item.type === 'AWS::S3::Bucket' ? 'object version' : 'item';
  const count = item.itemCount === undefined ? '' : `, ${item.itemCount.toLocaleString('en-US')} ${unit}${item.itemCount === 1 ? '' : 's'}`;
  return `${word} ${item.name}, ${item.sizeIsLowerBound ? 'at least ' : ''}${formatBytes(item.sizeBytes)}${count}`;
}

/** The queues that hold messages, or whose messages could not be counted. */
function queuesWithMessages(items: StackDataItem[]): StackDataItem[] {
  return items.filter((i) => i.type === 'AWS::SQS::Queue' && messagesIn(i) !== 0);
}

function messagesLine(queues: StackDataItem[]): string {
  return queues.map((q) => `${q.name}: ${messagesIn(q) === undefined ? 'could not be counted' : plural(messagesIn(q)!, 'message')}`).join('; ');
}

function messagesWaitingError(stackName: string, region: string, queues: StackDataItem[], declined: boolean): MailengineError {
  const at = `--stack ${stackName} --region ${region}`;
  const retained = queues.every((q) => q.retainedOnDelete);
  return new MailengineError(
    'MESSAGES_WAITING',
    `Requests are waiting in stack ${stackName}'s queues (${messagesLine(queues)}); ${retained ? 'the queues would be kept, but nothing would process them' : 'deleting the stack deletes them'}.`,
    {
      exitCode: declined ? ExitCode.Failed : ExitCode.Usage,
      suggestion: [
        'Nothing was deleted. Let them drain first:',
        `  \`mailengine resume ${at}\` if the engine is paused, so the Sender works through the send queue (\`mailengine info ${at}\` shows the depths);`,
        `  \`mailengine dlq list ${at}\` shows what was dead-lettered, \`mailengine dlq redrive ${at}\` sends it back to be processed;`,
        '  or run destroy again with --force to delete the stack with the messages in it.',
      ].join('\n    '),
      details: { queues: queues.map((q) => ({ name: q.name, messages: messagesIn(q) ?? null, retainedOnDelete: q.retainedOnDelete })) },
    },
  );
}

/**
 * Deletes the stack after the user typed its name (or passed --yes). Requests waiting in a queue
 * or DLQ are never deleted unless the user says so (--force, or yes to a question naming them).
 * With RetainData=true the tables, templates bucket, suppression hash key, queues and log groups
 * stay; with RetainData=false the templates bucket is emptied first, since CloudFormation cannot
 * delete a bucket that still holds objects. Afterwards each data resource is looked up, and only
 * what is really left is reported as left.
 */
export async function destroy(options: DestroyOptions): Promise<DestroyResult> {
  const began = Date.now();
  const { io, stackName } = options;
  const pollMs = options.pollMs ?? 5000;
  const { aws, region } = await resolveRegion(options.aws, io, options.withRegion);
  const follow = `mailengine info --stack ${stackName} --region ${region}`;
  const account = async () => {
    const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    return (await (await aws.sts()).send(new GetCallerIdentityCommand({}))).Account ?? '';
  };
  const seconds = () => Math.round((Date.now() - began) / 1000);
  const none = { retained: [], retainedMonthlyUsd: 0, deletedData: [], unchecked: [], messagesAtDelete: 0 };

  let stack = await describeStack(aws, stackName);
  if (stack?.condition === 'busy') {
    if (!options.wait) {
      throw new MailengineError('STACK_BUSY', `Stack ${stackName} is busy (${stack.status}): another operation is running on it.`, {
        exitCode: ExitCode.Failed,
        suggestion: `Nothing was deleted. Wait for it (\`${follow}\`) and run destroy again, or run it without --no-wait to wait here.`,
      });
    }
    const progress = io.progress('destroy.wait-busy', `Stack ${stackName} is busy (${stack.status}); waiting for that operation to finish`);
    try {
      await waitForStack({ aws, io, progress, stackId: stack.stackId, since: new Date(), label: `Waiting for stack ${stackName}`, pollMs, signal: options.signal });
      progress.succeed(`The operation running on stack ${stackName} finished`);
    } catch (err) {
      progress.stop();
      if (err instanceof WaitInterrupted) throw interrupted('Stopped waiting; nothing was deleted.', `Follow the running operation with \`${follow}\`.`);
      throw err;
    }
    stack = await describeStack(aws, stackName);
  }

  if (!stack) {
    say.info(io, 'destroy.absent', `No stack named ${stackName} in ${region}: nothing to delete.`);
    const artifacts = options.purgeArtifacts ? await purgeArtifacts(aws, await account(), region, stackName) : undefined;
    return { action: 'absent', stackName, region, ...none, ...(artifacts ? { artifacts } : {}), seconds: seconds() };
  }
  if (stack.status === 'DELETE_FAILED') {
    say.warn(io, 'destroy.retry', `An earlier delete of ${stackName} failed (${describeFailure(await lastOperationFailure(aws, stack.stackId))}); trying again.`);
  }

  const accountId = await account();
  // A stack still in review was never installed: it manages nothing.
  const items = stack.condition === 'review' ? [] : await stackDataItems(aws, stack, region, accountId);
  const retained = items.filter((i) => i.retainedOnDelete);
  const deletedData = items.filter((i) => !i.retainedOnDelete);
  const retainedMonthlyUsd = retained.reduce((sum, i) => sum + i.monthlyUsd, 0);

  const lines = [
    stack.condition === 'review'
      ? `Stack ${stackName} in ${region} (account ${accountId}, ${stack.status}) was never installed: it holds only a change set waiting for review, and will be deleted.`
      : `Stack ${stackName} in ${region} (account ${accountId}, ${stack.status}) will be deleted with every resource it manages.`,
  ];
  if (retained.length > 0) {
    lines.push(`Kept (RetainData=${stack.parameters.RetainData ?? 'true'}), about ${formatUsd(retainedMonthlyUsd)} a month while kept:`);
    for (const item of retained) lines.push(`  ${describeDataItem(item)}`);
  }
  if (deletedData.length > 0) {
    lines.push('DELETED for good, with all their data (RetainData=false):');
    for (const item of deletedData) lines.push(`  ${describeDataItem(item)}`);
  }
  lines.push(
    options.purgeArtifacts
      ? "This stack's code and templates in the artifacts bucket are deleted too (--purge-artifacts)."
      : 'The artifacts bucket (packaged code) is kept; --purge-artifacts removes it.',
  );
  io.notify({ code: 'destroy.plan', level: deletedData.length > 0 ? 'warn' : 'info', message: lines.join('\n'), data: { retained, deletedData } });

  const waiting = queuesWithMessages(items);
  if (waiting.length > 0 && !options.force) {
    const question = {
      kind: 'confirm' as const,
      code: 'destroy.delete-messages' as const,
      message: `Requests are waiting in the queues (${messagesLine(waiting)}). Delete the stack anyway${waiting.every((q) => q.retainedOnDelete) ? ', leaving them in queues nothing processes' : ', and them with it'}?`,
      default: false,
      flag: '--force',
    };
    const accepted = await io.requestResponse(question).catch((err: unknown) => {
      if (isMailengineError(err) && err.code === 'PROMPT_REQUIRED') throw messagesWaitingError(stackName, region, waiting, false);
      throw err;
    });
    if (!accepted) throw messagesWaitingError(stackName, region, waiting, true);
  }
  const messagesAtDelete = waiting.reduce((sum, q) => sum + (messagesIn(q) ?? 0), 0);

  const confirmed = await io.requestResponse({ kind: 'type-to-confirm', code: 'destroy.confirm', message: `Delete stack ${stackName}?`, expected: stackName });
  if (!confirmed) {
    throw new MailengineError('DESTROY_DECLINED', `The name typed was not ${stackName}; nothing was deleted.`, { exitCode: ExitCode.Failed, suggestion: 'Run `mailengine destroy` again and type the stack name exactly.' });
  }

  for (const bucket of deletedData.filter((i) => i.type === 'AWS::S3::Bucket')) {
    const emptying = io.progress('destroy.empty-bucket', `Emptying bucket ${bucket.physicalId} (every version), so CloudFormation can delete it`);
    const removed = await deleteAllVersions(aws, bucket.physicalId);
    emptying.succeed(`Emptied bucket ${bucket.physicalId} (${removed} object versions)`);
  }

  try {
    await deleteStackAndWait({ aws, io, stackId: stack.stackId, stackName, region, pollMs, signal: options.signal });
  } catch (err) {
    if (err instanceof WaitInterrupted) {
      throw interrupted(`Stopped watching; CloudFormation goes on deleting stack ${stackName}.`, `Follow it with \`${follow}\`, or in the console: ${consoleUrl(region, stack.stackId)}`);
    }
    throw err;
  }

  const left = await whatIsLeft(aws, io, items);
  const artifacts = options.purgeArtifacts ? await purgeArtifacts(aws, accountId, region, stackName) : undefined;
  return { action: 'deleted', stackName, region, ...left, messagesAtDelete, ...(artifacts ? { artifacts } : {}), seconds: seconds() };
}

/** Looks each data resource up after the delete; warns where that differs from the plan. */
async function whatIsLeft(aws: AwsClientFactory, io: IoHost, items: StackDataItem[]): Promise<Pick<DestroyResult, 'retained' | 'retainedMonthlyUsd' | 'deletedData' | 'unchecked'>> {
  const retained: StackDataItem[] = [];
  const deletedData: StackDataItem[] = [];
  const unchecked: DestroyResult['unchecked'] = [];
  for (const item of items) {
    const presence = await presenceOf(aws, item);
    if (presence.state === 'unknown') {
      unchecked.push({ item, reason: presence.reason });
      continue;
    }
    const there = presence.state === 'present';
    (there ? retained : deletedData).push(item);
    if (there !== item.retainedOnDelete) {
      say.warn(io, 'destroy.unexpected', `${describeDataItem(item)}: expected to be ${item.retainedOnDelete ? 'kept' : 'deleted'}, but it is ${there ? 'still there' : 'gone'}.`);
    }
  }
  return { retained, retainedMonthlyUsd: retained.reduce((sum, i) => sum + i.monthlyUsd, 0), deletedData, unchecked };
}
