import type { AwsClientFactory } from '../aws/clients.js';
import { ExitCode, MailengineError } from '../errors.js';
import { say, type IoHost } from '../io/io-host.js';
import { WaitInterrupted, interrupted } from './abortable.js';
import { purgeArtifacts, type PurgeResult } from './artifacts-bucket.js';
import { deleteStackAndWait } from './delete-stack.js';
import { resolveRegion } from './deploy-settings.js';
import { deleteAllVersions } from './empty-bucket.js';
import { formatBytes, formatUsd } from './retained-cost.js';
import { stackDataItems, type StackDataItem } from './stack-data.js';
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
  signal?: AbortSignal;
  pollMs?: number;
}

export interface DestroyResult {
  action: 'deleted' | 'absent';
  stackName: string;
  region: string;
  /** Data resources that outlive the stack, with sizes and monthly cost. */
  retained: StackDataItem[];
  retainedMonthlyUsd: number;
  /** Data resources deleted with the stack (RetainData=false). */
  deletedData: StackDataItem[];
  artifacts?: PurgeResult;
  seconds: number;
}

const TYPE_WORD: Record<string, string> = {
  'AWS::DynamoDB::Table': 'table',
  'AWS::S3::Bucket': 'bucket',
  'AWS::SecretsManager::Secret': 'secret',
};

export function describeDataItem(item: StackDataItem): string {
  const word = TYPE_WORD[item.type] ?? item.type;
  if (item.type === 'AWS::SecretsManager::Secret') return `${word} ${item.name}`;
  const unit = item.type === 'AWS::S3::Bucket' ? 'object version' : 'item';
  const count = item.itemCount === undefined ? '' : `, ${item.itemCount.toLocaleString('en-US')} ${unit}${item.itemCount === 1 ? '' : 's'}`;
  return `${word} ${item.name}, ${item.sizeIsLowerBound ? 'at least ' : ''}${formatBytes(item.sizeBytes)}${count}`;
}

/**
 * Deletes the stack after the user typed its name (or passed --yes). With RetainData=true the
 * tables, templates bucket and suppression hash key stay and are listed with what they cost;
 * with RetainData=false the templates bucket is emptied first, since CloudFormation cannot delete
 * a bucket that still holds objects.
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
    return { action: 'absent', stackName, region, retained: [], retainedMonthlyUsd: 0, deletedData: [], ...(artifacts ? { artifacts } : {}), seconds: seconds() };
  }
  if (stack.status === 'DELETE_FAILED') {
    say.warn(io, 'destroy.retry', `An earlier delete of ${stackName} failed (${describeFailure(await lastOperationFailure(aws, stack.stackId))}); trying again.`);
  }

  const accountId = await account();
  const items = await stackDataItems(aws, stack, region, accountId);
  const retained = items.filter((i) => i.retainedOnDelete);
  const deletedData = items.filter((i) => !i.retainedOnDelete);
  const retainedMonthlyUsd = retained.reduce((sum, i) => sum + i.monthlyUsd, 0);

  const lines = [`Stack ${stackName} in ${region} (account ${accountId}, ${stack.status}) will be deleted with every resource it manages.`];
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

  const artifacts = options.purgeArtifacts ? await purgeArtifacts(aws, accountId, region, stackName) : undefined;
  return { action: 'deleted', stackName, region, retained, retainedMonthlyUsd, deletedData, ...(artifacts ? { artifacts } : {}), seconds: seconds() };
}
