/**
 * The local stack's programmatic API, for tests and tools: one call starts (or finds) the stack
 * and returns everything a client needs, plus `stop()`.
 */
import type { IoHost } from '../io/io-host.js';
import { LOCAL_CREDENTIALS } from '../model/local-stack.js';
import type { LocalStackEndpoints } from './endpoints.js';
import { downLocalStack, type DownResult } from './down.js';
import type { ProvisionResult } from './provision.js';
import { upLocalStack, type LocalProvisionOptions, type UpOptions, type UpResult } from './up.js';

export { LOCAL_CREDENTIALS, type LocalEndpoints, type LocalPorts } from '../model/local-stack.js';
export { localEnvironment, readLocalEndpoints, type LocalStackEndpoints } from './endpoints.js';
export { downLocalStack, type DownOptions, type DownResult } from './down.js';
export { findFreePorts } from './ports.js';
export { clearReceivedEmails, listReceivedEmails, waitForReceivedEmail, type ListReceivedOptions, type ReceivedEmail } from './ses-inbox.js';
export { localStackResources, readLocalResources, type LocalResources } from './resources.js';
export { localStackStatus, type StatusResult } from './status.js';
export { upLocalStack, type LocalStackOptions, type UpOptions, type UpResult } from './up.js';
export type { ProvisionResult } from './provision.js';

export interface StartLocalStackOptions extends Omit<UpOptions, 'provision'> {
  /**
   * Provision the template's tables and bucket for this stack name (template: the engine's own
   * unless given). Off when omitted.
   */
  provision?: LocalProvisionOptions;
  io?: IoHost;
}

export interface LocalStackHandle {
  /** The project directory given as `dir`. */
  dir: string;
  stateDir: string;
  endpoints: LocalStackEndpoints;
  inbox: string;
  region: string;
  credentials: typeof LOCAL_CREDENTIALS;
  /** The environment variables an app sets to use the stack (`AWS_ENDPOINT_URL_*`, region, keys). */
  env: Record<string, string>;
  provisioned: ProvisionResult | null;
  /** The full report of the `up` that started it. */
  up: UpResult;
  /** Stops every part and proves none is left; safe to call twice. */
  stop(options?: { purge?: boolean }): Promise<DownResult>;
}

/**
 * Starts the local stack in `dir` (or adopts the one already running there) and resolves once
 * every part answers.
 *
 * ```ts
 * const [dynamodb, s3, sesv2, eventbridge] = await findFreePorts(4);
 * const stack = await startLocalStack({ dir, ports: { dynamodb, s3, sesv2, eventbridge }, inMemory: true });
 * const ddb = new DynamoDBClient({ endpoint: stack.endpoints.dynamodb, region: stack.region, credentials: stack.credentials });
 * await stack.stop();
 * ```
 */
export async function startLocalStack(options: StartLocalStackOptions): Promise<LocalStackHandle> {
  const { io, ...up } = options;
  const result = await upLocalStack({ ...up, provision: options.provision ?? false }, io);
  return {
    dir: options.dir,
    stateDir: result.stateDir,
    endpoints: result.endpoints,
    inbox: result.inbox,
    region: result.region,
    credentials: LOCAL_CREDENTIALS,
    env: result.env,
    provisioned: result.provisioned,
    up: result,
    stop: (stopOptions) => downLocalStack({ dir: options.dir, purge: stopOptions?.purge }, io),
  };
}
