import type { LocalEndpoints } from '../../model/local-stack.js';
import type { LocalStackEndpoints } from '../endpoints.js';
import type { SpawnSpec } from '../processes.js';
import type { ProvisionResult } from '../provision.js';
import type { LocalStatePaths } from '../state.js';

/** A part is named after the endpoint it serves, so ports, endpoints and parts share one key. */
export type LocalPartName = keyof LocalEndpoints;

export interface PartLaunchContext {
  paths: LocalStatePaths;
  port: number;
  host: string;
  /** DynamoDB without a data file; nothing survives `down`. */
  inMemory: boolean;
  env: NodeJS.ProcessEnv;
  endpoints: LocalStackEndpoints;
  /** Set for `engine` parts, which start after the tables and bucket exist. */
  provisioned?: ProvisionResult;
}

/**
 * One child process of the local stack. `up` starts `emulator` parts first, provisions the
 * tables and bucket, then starts `engine` parts (the engine runner registers itself as one,
 * serving the `eventbridge` endpoint).
 */
export interface LocalPart {
  name: LocalPartName;
  label: string;
  stage: 'emulator' | 'engine';
  /** How long it may take from spawn to answering before `up` gives up. */
  readyTimeoutMs: number;
  /**
   * Checks prerequisites (the optional package, Java) and builds the command. The only place an
   * emulator package is looked up, so nothing loads until `up` runs. The command line must contain
   * `marker(paths)`.
   */
  launch(ctx: PartLaunchContext): Promise<Omit<SpawnSpec, 'logFile'>>;
  /**
   * A string only this part's process for this state directory has on its command line: how
   * `down` and `status` tell our process from one that reused a stale pid, and how `down` finds
   * a part whose pid file is gone.
   */
  marker(paths: LocalStatePaths): string;
  /** True when whatever listens at `endpoint` answers the way this emulator does. */
  isHealthy(endpoint: string, timeoutMs: number): Promise<boolean>;
}

/** Node-based emulators get a clean runtime: the user's NODE_OPTIONS (loaders, inspectors) are not theirs. */
export function nodeChildEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _options, ...rest } = env;
  return rest;
}
