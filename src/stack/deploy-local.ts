import { ExitCode, MailengineError } from '../errors.js';
import type { AwsClientFactory } from '../aws/clients.js';
import { say, type IoHost } from '../io/io-host.js';
import { provisionLocalStack, type ProvisionResult } from '../local/provision.js';
import { recordLocalResources } from '../local/resources.js';
import { localStackStatus } from '../local/status.js';
import { VERSION } from '../version.js';
import { packageFiles } from './package-files.js';

export interface LocalDeployResult {
  action: 'provisioned';
  target: 'local';
  stackName: string;
  engineVersion: string;
  template: string;
  tables: ProvisionResult['tables'];
  buckets: ProvisionResult['buckets'];
}

/**
 * `deploy --local`: the local stack has no CloudFormation, so "deploying" means creating the
 * template's tables (keys, indexes, TTL) and bucket on the emulators, idempotently, and recording
 * their names where the other `--local` commands look them up.
 */
export async function deployLocal(input: {
  aws: AwsClientFactory;
  io: IoHost;
  cwd: string;
  stackName: string;
  parameters: Record<string, string>;
  template?: string;
  /** The environment the engine runner is started with, should it need a restart. */
  env?: NodeJS.ProcessEnv;
}): Promise<LocalDeployResult> {
  const status = await localStackStatus({ dir: input.cwd });
  if (!status.running) {
    const down = status.parts.filter((p) => p.state !== 'running' || !p.healthy).map((p) => p.label);
    throw new MailengineError('LOCAL_STACK_DOWN', `The local stack is not running in this directory (${down.join(', ')} not answering).`, {
      exitCode: ExitCode.Environment,
      suggestion: 'Start it with `mailengine local up` (it provisions the tables too), then run this again.',
    });
  }
  const template = input.template ?? packageFiles().template;
  const progress = input.io.progress('deploy.local', `Creating the tables and bucket of stack ${input.stackName} on the local stack`);
  try {
    const result = await provisionLocalStack({ aws: input.aws, stackName: input.stackName, template, parameters: input.parameters });
    await recordLocalResources(input.cwd, result);
    const created = [...result.tables, ...result.buckets].filter((r) => r.status !== 'existing').length;
    progress.succeed(created === 0 ? `Stack ${input.stackName} was already provisioned on the local stack` : `Provisioned stack ${input.stackName} on the local stack`);
    // The runner reads which stack to serve when it starts: make it serve this one.
    const { serveStack } = await import('../local/up.js');
    const served = await serveStack({ dir: input.cwd, provisioned: result, env: input.env }, input.io);
    if (served.restarted) say.info(input.io, 'deploy.local.runner-switched', `The engine runner now serves stack ${input.stackName} (it was restarted for it).`);
    return { action: 'provisioned', target: 'local', stackName: input.stackName, engineVersion: VERSION, template: result.template, tables: result.tables, buckets: result.buckets };
  } catch (err) {
    progress.fail('Provisioning the local stack failed');
    throw err;
  }
}
