import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { AwsClientFactory } from '../aws/clients.js';
import { LOCAL_REGION, type ResolvedSettings } from '../config/settings.js';
import { ExitCode, MailengineError } from '../errors.js';
import type { IoHost } from '../io/io-host.js';
import { localHashKeyFile, readLocalHashKey } from '../local/hash-key.js';
import { localStackResources, notProvisionedError } from '../local/resources.js';
import { LOCAL_CREDENTIALS } from '../model/local-stack.js';
import type { DeadLetterSource } from '../operations/dlq.js';
import type { DoctorReport } from '../operations/doctor/index.js';
import type { EngineResources } from '../operations/engine-resources.js';
import { QUEUED_COPIES_NOTE, type ErasureFacts } from '../operations/erase.js';
import type { SendingSwitches } from '../operations/sending-control.js';
import type { AccountListAccess } from '../operations/suppression-sync.js';
import type { LocalIdentity } from '../operations/whoami.js';
import type { LocalDeployResult } from '../stack/deploy-local.js';
import type { DestroyResult } from '../stack/destroy.js';
import type { DeployRequest, EngineInfo, EngineTarget } from './engine-target.js';
import { RunnerSwitches } from './local-runner.js';

/**
 * The local stack on this machine: the emulators hold the tables and bucket provisioned from the
 * engine template, and the engine runner plays EventBridge, SQS, Lambda and the Pause function.
 */
export class LocalTarget implements EngineTarget {
  readonly local = true;
  readonly stackName: string;
  readonly where: string;
  readonly title: string;
  private found?: Promise<EngineResources>;

  constructor(
    private readonly aws: AwsClientFactory,
    private readonly settings: ResolvedSettings,
    private readonly cwd: string,
    /** The environment a restarted engine runner gets. */
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.stackName = settings.stackName;
    this.where = `on the local stack (${settings.stackName})`;
    this.title = `the local engine ${settings.stackName}`;
  }

  /** The names the local stack recorded when it provisioned the tables and bucket from the template, read once. */
  resources(): Promise<EngineResources> {
    this.found ??= this.recorded();
    return this.found;
  }

  private async recorded(): Promise<EngineResources> {
    const names = localStackResources(this.cwd, this.stackName);
    if (!names?.TrackingTable || !names.SuppressionTable || !names.TemplatesBucket) {
      throw notProvisionedError(this.cwd, { stackName: this.stackName, environment: this.settings.environment });
    }
    return {
      stackName: this.stackName,
      trackingTable: names.TrackingTable,
      suppressionTable: names.SuppressionTable,
      templatesBucket: names.TemplatesBucket,
      configurationSet: this.stackName,
      eventBusName: `${this.stackName}-bus`,
      outputs: {},
    };
  }

  /** The engine runner's control endpoint (it answers on the EventBridge port). */
  private runner(): string {
    const endpoint = this.aws.settings.local?.eventbridge;
    if (!endpoint) throw new MailengineError('LOCAL_STACK_DOWN', 'The local stack has no engine runner endpoint.', { exitCode: ExitCode.Environment, suggestion: 'Start it with `mailengine local up`.' });
    return endpoint;
  }

  async sendingSwitches(): Promise<SendingSwitches> {
    await this.resources();
    return new RunnerSwitches(this.runner(), this.stackName, this.title);
  }

  async deadLetters(): Promise<DeadLetterSource> {
    const { RunnerDeadLetters } = await import('./local-dead-letters.js');
    return new RunnerDeadLetters(this.runner(), this.stackName, this.title);
  }

  /** A random key in a file created on first use; without `create` a missing file means no hash can exist yet. */
  hashKey(options: { create: boolean }): Promise<Buffer | undefined> {
    return readLocalHashKey(localHashKeyFile(this.cwd), options);
  }

  async accountSuppressionList(): Promise<AccountListAccess> {
    return { skipped: 'local', note: "The local stack has no SES account-level suppression list; only the engine's table was used." };
  }

  erasureFacts(): ErasureFacts {
    return { target: 'local', backups: { pointInTimeRecovery: false, windowDays: 0, note: 'The local stack keeps no backups.' }, notes: [QUEUED_COPIES_NOTE] };
  }

  /** No AWS account to ask (and no STS emulator): the local stack's endpoints and credentials, without a network call. */
  async identity(): Promise<LocalIdentity> {
    const local = this.aws.settings.local;
    if (!local) throw new MailengineError('LOCAL_STACK_DOWN', 'The local stack has recorded no endpoints in this directory.', { exitCode: ExitCode.Environment, suggestion: 'Start it with `mailengine local up`.' });
    return { local: true, region: this.settings.region ?? LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, endpoints: { dynamodb: local.dynamodb, s3: local.s3, sesv2: local.sesv2, eventbridge: local.eventbridge } };
  }

  async info(): Promise<EngineInfo> {
    const { localStackInfo } = await import('../stack/info-local.js');
    return { info: await localStackInfo({ aws: this.aws, cwd: this.cwd, stackName: this.stackName }) };
  }

  /** The local stack has no CloudFormation: "deploying" provisions the template's tables and bucket on the emulators. */
  async deploy(io: IoHost, request: DeployRequest): Promise<LocalDeployResult> {
    const { deployLocal } = await import('../stack/deploy-local.js');
    return deployLocal({ aws: this.aws, io, cwd: this.cwd, stackName: this.stackName, parameters: { ...request.configParameters, ...request.flagParameters }, env: this.env });
  }

  async destroy(): Promise<DestroyResult> {
    throw new MailengineError('LOCAL_UNSUPPORTED', 'destroy --local is not needed: the local stack has no CloudFormation stack to delete.', {
      exitCode: ExitCode.Usage,
      suggestion: 'Use `mailengine local down --purge` to stop it and delete its tables and buckets.',
    });
  }

  /** EventBridge accepts an event for a bus nobody serves and drops it, and so does the runner: ask it first. */
  async confirmServed(): Promise<void> {
    const { assertRunnerServes } = await import('../local/runner/serving.js');
    await assertRunnerServes(this.runner(), { stackName: this.stackName, eventBusName: `${this.stackName}-bus`, environment: this.settings.environment });
  }

  /** The local stack's parts, this stack's provisioning, the runner serving it, and its queues and templates. */
  async doctor(io: IoHost): Promise<DoctorReport> {
    const progress = io.progress('doctor.run', `Checking ${this.title}`);
    try {
      const { localDoctorFacts } = await import('./local-doctor.js');
      const { doctorLocal } = await import('../operations/doctor/local.js');
      return await doctorLocal(await localDoctorFacts(this.aws, this.cwd, this.settings));
    } finally {
      progress.stop();
    }
  }

  async sesIdentities(): Promise<{ ses: SESv2Client; region: string }> {
    throw new MailengineError('LOCAL_UNSUPPORTED', "The local stack's SES emulator has no identities: domain commands work against AWS only.", {
      exitCode: ExitCode.Usage,
      suggestion: 'Run it without --local, with --region set to where the engine sends from.',
    });
  }
}
