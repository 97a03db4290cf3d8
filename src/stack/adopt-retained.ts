import { randomUUID } from 'node:crypto';
import type { Tag } from '@aws-sdk/client-cloudformation';
import type { AwsClientFactory } from '../aws/clients.js';
import type { IoHost } from '../io/io-host.js';
import { WaitInterrupted, interrupted } from './abortable.js';
import { changeSetName, createChangeSet, executeChangeSet } from './change-set.js';
import type { ExistingResource } from './retained-resources.js';
import { firstFailure } from './stack-events.js';
import { consoleUrl, type StackSnapshot } from './stack-status.js';
import { describeFailure } from './stack-trouble.js';
import { MailengineError } from '../errors.js';
import { waitForStack } from './wait-for-stack.js';

export interface AdoptOptions {
  aws: AwsClientFactory;
  io: IoHost;
  stackName: string;
  region: string;
  existing: ExistingResource[];
  /** Where the import-only template was uploaded. */
  templateUrl: string;
  tags: Tag[];
  version: string;
  pollMs: { stack: number; changeSet: number };
  signal?: AbortSignal;
}

/**
 * The first half of installing over retained data: an IMPORT change set creates the stack with
 * just the retained tables and secret in it, keeping their data (and the secret's key, which
 * erased addresses' hashes depend on). The caller then deploys the full template as an update.
 */
export async function adoptRetained(options: AdoptOptions): Promise<StackSnapshot> {
  const { aws, io, stackName, region } = options;
  const preparing = io.progress('deploy.adopt', `Adopting ${options.existing.length} retained resource${options.existing.length === 1 ? '' : 's'} into stack ${stackName}`);
  const changeSet = await createChangeSet(
    aws,
    {
      stackName,
      changeSetName: changeSetName(),
      type: 'IMPORT',
      templateUrl: options.templateUrl,
      parameters: [],
      tags: options.tags,
      description: `mailengine ${options.version}: adopt retained data`,
      resourcesToImport: options.existing.map((r) => ({ ResourceType: r.type, LogicalResourceId: r.logicalId, ResourceIdentifier: r.identifier })),
    },
    { pollMs: options.pollMs.changeSet, signal: options.signal },
  ).catch((err: unknown) => {
    preparing.fail(`Adopting the retained resources into stack ${stackName} failed`);
    if (err instanceof WaitInterrupted) throw interrupted('Interrupted before anything changed; the import change set was deleted.', 'Run `mailengine deploy --adopt-retained` again when ready.');
    throw err;
  });
  const token = `mailengine-import-${randomUUID()}`;
  const since = new Date();
  await executeChangeSet(aws, changeSet.stackId, changeSet.id, token);
  let settled;
  try {
    settled = await waitForStack({ aws, io, progress: preparing, stackId: changeSet.stackId, since, token, label: `Adopting into stack ${stackName}`, total: options.existing.length, pollMs: options.pollMs.stack, signal: options.signal });
  } catch (err) {
    preparing.stop();
    if (err instanceof WaitInterrupted) {
      throw interrupted(`Stopped watching; CloudFormation goes on importing into stack ${stackName}.`, `Run \`mailengine deploy\` again once \`mailengine info --stack ${stackName} --region ${region}\` shows IMPORT_COMPLETE.`);
    }
    throw err;
  }
  if (settled.stack?.status !== 'IMPORT_COMPLETE') {
    preparing.fail(`Adopting into stack ${stackName} failed (${settled.stack?.status ?? 'unknown'})`);
    throw new MailengineError('ADOPT_FAILED', `Adopting the retained resources into stack ${stackName} failed (${settled.stack?.status ?? 'unknown'}). First failure: ${describeFailure(firstFailure(settled.events))}.`, {
      suggestion: `The retained resources are as they were. Fix the cause, or delete them and deploy without --adopt-retained.\n    Events: ${consoleUrl(region, changeSet.stackId)}`,
    });
  }
  preparing.succeed(`Adopted ${options.existing.map((r) => r.name).join(', ')} into stack ${stackName}`);
  return settled.stack;
}
