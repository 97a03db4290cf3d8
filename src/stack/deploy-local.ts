import { ExitCode, MailengineError } from '../errors.js';
import type { AwsClientFactory } from '../aws/clients.js';
import { say, type IoHost } from '../io/io-host.js';
import { httpRequest } from '../local/http.js';
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
export async function deployLocal(input: { aws: AwsClientFactory; io: IoHost; cwd: string; stackName: string; parameters: Record<string, string>; template?: string }): Promise<LocalDeployResult> {
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
    await checkRunnerServes(input.aws, input.io, input.stackName);
    return { action: 'provisioned', target: 'local', stackName: input.stackName, engineVersion: VERSION, template: result.template, tables: result.tables, buckets: result.buckets };
  } catch (err) {
    progress.fail('Provisioning the local stack failed');
    throw err;
  }
}

/**
 * The engine runner reads which stack to serve when it starts. Started before the tables existed
 * (`local up --no-provision`), or for another stack, it will not process this one's requests
 * until the local stack is restarted; say so rather than let requests wait unexplained.
 */
async function checkRunnerServes(aws: AwsClientFactory, io: IoHost, stackName: string): Promise<void> {
  const endpoint = aws.settings.local?.eventbridge;
  if (!endpoint) return;
  try {
    const res = await httpRequest(`${endpoint}/_mailengine/state`, { timeoutMs: 2000 });
    const engine = (JSON.parse(res.body) as { engine?: { configured?: boolean; stackName?: string } }).engine;
    if (engine?.configured && engine.stackName === stackName) return;
    const serving = engine?.configured && engine.stackName ? `serves stack ${engine.stackName}` : 'serves no stack yet';
    say.warn(io, 'deploy.local.runner-stale', `The engine runner ${serving}; restart the local stack (\`mailengine local down\`, then \`mailengine local up --stack ${stackName}\`) for it to process stack ${stackName}'s requests.`);
  } catch {
    // An older or absent runner: nothing to check against.
  }
}
