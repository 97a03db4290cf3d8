import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { AwsClientFactory } from '../aws/clients.js';
import type { ResolvedSettings } from '../config/settings.js';
import type { IoHost } from '../io/io-host.js';
import type { DeadLetterSource } from '../operations/dlq.js';
import type { DoctorOptions, DoctorReport } from '../operations/doctor/index.js';
import type { EngineResources } from '../operations/engine-resources.js';
import type { ErasureFacts } from '../operations/erase.js';
import type { SendingSwitches } from '../operations/sending-control.js';
import type { AccountListAccess } from '../operations/suppression-sync.js';
import type { Identity, LocalIdentity } from '../operations/whoami.js';
import type { LocalDeployResult } from '../stack/deploy-local.js';
import type { DeployOptions, DeployResult } from '../stack/deploy.js';
import type { DestroyOptions, DestroyResult } from '../stack/destroy.js';
import type { LocalStackInfo } from '../stack/info-local.js';
import type { StackInfo } from '../stack/info.js';

/** What `deploy` asks of a target: everything the AWS path needs; the local stack uses the parameters. */
export type DeployRequest = Omit<DeployOptions, 'aws' | 'io' | 'stackName'>;
export type DestroyRequest = Omit<DestroyOptions, 'aws' | 'io' | 'stackName'>;

/** `info`: a deployed stack as CloudFormation and the services report it, or the local stack's parts. */
export interface EngineInfo {
  info: StackInfo | LocalStackInfo;
  /** What could not be read; the info above shows the rest. */
  incomplete?: Error;
}

/**
 * The engine a command works on, wherever it runs: a deployed CloudFormation stack in an AWS
 * account, or the local stack on this machine. Chosen once (`openEngineTarget`) from the settings;
 * everything that differs between the two lives behind this port, in `aws.ts` and `local.ts`, so
 * commands and operations never ask which one they have.
 */
export interface EngineTarget {
  readonly stackName: string;
  /** Reported as data (`local` in JSON results, an erasure receipt's `target`); never branched on outside the adapters. */
  readonly local: boolean;
  /** How messages place the engine: "in stack prod (eu-west-1)" or "on the local stack (mailengine)". */
  readonly where: string;
  /** How messages name it: "stack prod" or "the local engine mailengine". */
  readonly title: string;
  /** Table, bucket, bus and queue names (stack outputs, or what the local stack recorded). */
  resources(): Promise<EngineResources>;
  /** The two switches `pause` and `resume` turn, and what they read back. */
  sendingSwitches(): Promise<SendingSwitches>;
  /** The dead-letter queues `dlq list` and `dlq redrive` work on. */
  deadLetters(): Promise<DeadLetterSource>;
  /** The suppression hash key; `create` only when a hash is about to be written. */
  hashKey(options: { create: boolean }): Promise<Buffer | undefined>;
  /** The SES account-level suppression list, or why it is not used. */
  accountSuppressionList(options?: { engineOnly?: boolean }): Promise<AccountListAccess>;
  /** What an erasure receipt states about backups and copies erase cannot reach. */
  erasureFacts(finishedAt: string): ErasureFacts;
  /** Who the commands act as. */
  identity(io: IoHost): Promise<Identity | LocalIdentity>;
  info(io: IoHost): Promise<EngineInfo>;
  deploy(io: IoHost, request: DeployRequest): Promise<DeployResult | LocalDeployResult>;
  destroy(io: IoHost, request: DestroyRequest): Promise<DestroyResult>;
  /**
   * Checks that a request published on the engine's bus will be taken; present where that can
   * fail quietly (the local runner serves one stack, and drops events for any other bus).
   */
  confirmServed?(): Promise<void>;
  /** Every `doctor` check that applies to this engine; what does not apply is a skip saying why. */
  doctor(io: IoHost, options: DoctorOptions): Promise<DoctorReport>;
  /** SES's identity API, for the domain commands, and the region it answers for. */
  sesIdentities(): Promise<{ ses: SESv2Client; region: string }>;
}

/** The one place that decides between AWS and the local stack. */
export async function openEngineTarget(aws: AwsClientFactory, settings: ResolvedSettings, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<EngineTarget> {
  if (settings.local) {
    const { LocalTarget } = await import('./local.js');
    return new LocalTarget(aws, settings, cwd, env);
  }
  const { AwsTarget } = await import('./aws.js');
  return new AwsTarget(aws, settings);
}
