import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AwsClientFactory } from '../aws/clients.js';
import type { ResolvedSettings } from '../config/settings.js';
import { setSending, sendingState, type PauseClients, type PauseTarget, type SendingState } from '../engine/pause.js';
import { ExitCode, MailengineError, isMailengineError } from '../errors.js';
import type { IoHost } from '../io/io-host.js';
import type { DeadLetterSource } from '../operations/dlq.js';
import type { DoctorOptions, DoctorReport } from '../operations/doctor/index.js';
import type { EngineResources } from '../operations/engine-resources.js';
import { PITR_WINDOW_DAYS, QUEUED_COPIES_NOTE, type ErasureFacts } from '../operations/erase.js';
import { hashKeySecretName } from '../operations/hash-key.js';
import type { SendingSwitches, SwitchSnapshot } from '../operations/sending-control.js';
import { sesAccountList, type AccountListAccess } from '../operations/suppression-sync.js';
import { callerIdentity, type Identity } from '../operations/whoami.js';
import { readAutoPauseAlarms, type AutoPauseAlarm } from '../stack/alarms.js';
import type { DeployResult } from '../stack/deploy.js';
import type { DestroyResult } from '../stack/destroy.js';
import type { DeployRequest, DestroyRequest, EngineInfo, EngineTarget } from './engine-target.js';

/** A deployed engine: a CloudFormation stack in the account and region the clients act in. */
export class AwsTarget implements EngineTarget {
  readonly local = false;
  readonly stackName: string;
  readonly where: string;
  readonly title: string;
  private found?: Promise<EngineResources>;

  constructor(
    private readonly aws: AwsClientFactory,
    settings: ResolvedSettings,
  ) {
    this.stackName = settings.stackName;
    this.where = `in stack ${settings.stackName}${settings.region ? ` (${settings.region})` : ''}`;
    this.title = `stack ${settings.stackName}`;
  }

  /** The stack's outputs, read once. */
  resources(): Promise<EngineResources> {
    this.found ??= stackResources(this.aws, this.stackName);
    return this.found;
  }

  /**
   * Both switches come from the outputs (ConfigurationSetName, SenderEventSourceMappingId); a
   * stack without the mapping output cannot be paused safely (requests would burn their receive
   * count against a refusing SES), so that is an error.
   */
  async sendingSwitches(): Promise<SendingSwitches> {
    const resources = await this.resources();
    if (!resources.senderEventSourceMappingId) {
      throw new MailengineError('STACK_INCOMPLETE', `Stack ${this.stackName} has no output SenderEventSourceMappingId, so its Sender cannot be paused with its configuration set.`, {
        exitCode: ExitCode.NotFound,
        suggestion: 'Upgrade the stack with `mailengine deploy`; the current template has that output.',
      });
    }
    return new LambdaSesSwitches(
      this.stackName,
      this.title,
      { ses: await this.aws.sesv2(), lambda: await this.aws.lambda() },
      { configurationSet: resources.configurationSet, eventSourceMappingId: resources.senderEventSourceMappingId },
      resources.queues ? { sqs: await this.aws.sqs(), url: resources.queues.send } : undefined,
      () => readAutoPauseAlarms(this.aws, this.stackName),
    );
  }

  async deadLetters(): Promise<DeadLetterSource> {
    const resources = await this.resources();
    if (!resources.queues) {
      throw new MailengineError('STACK_INCOMPLETE', `Stack ${this.stackName} does not name its queues in its outputs.`, { exitCode: ExitCode.NotFound, suggestion: 'Upgrade it with `mailengine deploy`.' });
    }
    const { SqsDeadLetters } = await import('./aws-dead-letters.js');
    const q = resources.queues;
    return new SqsDeadLetters(await this.aws.sqs(), this.stackName, this.title, { send: { source: q.send, dlq: q.sendDlq }, feedback: { source: q.feedback, dlq: q.feedbackDlq } });
  }

  /** The stack's secret (SuppressionHashSecret): the UTF-8 bytes of its string, as the functions use it. */
  async hashKey(): Promise<Buffer> {
    const secretId = hashKeySecretName(this.stackName);
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    try {
      const out = await (await this.aws.secretsmanager()).send(new GetSecretValueCommand({ SecretId: secretId }));
      if (!out.SecretString) throw new MailengineError('HASH_KEY_EMPTY', `The secret ${secretId} holds no string value.`, { exitCode: ExitCode.Failed, suggestion: 'Redeploy the stack with `mailengine deploy`; the template creates the key.' });
      return Buffer.from(out.SecretString, 'utf8');
    } catch (err) {
      if (isMailengineError(err) && err.details?.awsError === 'ResourceNotFoundException') {
        throw new MailengineError('HASH_KEY_NOT_FOUND', `The suppression hash key (secret ${secretId}) does not exist ${this.aws.settings.region ? `in ${this.aws.settings.region}` : 'in this region'}.`, {
          exitCode: ExitCode.NotFound,
          cause: err,
          suggestion: 'Run `mailengine deploy` to complete the stack, which creates it.',
        });
      }
      throw err;
    }
  }

  accountSuppressionList(): Promise<AccountListAccess> {
    return sesAccountList(this.aws);
  }

  erasureFacts(finishedAt: string): ErasureFacts {
    return {
      target: 'aws',
      ...(this.aws.settings.region ? { region: this.aws.settings.region } : {}),
      backups: {
        pointInTimeRecovery: true,
        windowDays: PITR_WINDOW_DAYS,
        deletedDataRecoverableUntil: new Date(Date.parse(finishedAt) + PITR_WINDOW_DAYS * 86_400_000).toISOString(),
        note: `Both tables keep point-in-time recovery for ${PITR_WINDOW_DAYS} days: until then a restore to an earlier time would bring the erased items back. Erase the address again after any such restore.`,
      },
      notes: [QUEUED_COPIES_NOTE, "The functions' CloudWatch Logs (kept LogRetentionDays) may quote the address in the error of a rejected request; erase does not edit logs."],
    };
  }

  identity(io: IoHost): Promise<Identity> {
    return callerIdentity(this.aws, io);
  }

  async info(io: IoHost): Promise<EngineInfo> {
    const progress = io.progress('info.read', `Reading stack ${this.stackName}`);
    const { stackInfo, incompleteInfoError } = await import('../stack/info.js');
    try {
      const info = await stackInfo({ aws: this.aws, stackName: this.stackName });
      return { info, ...(info.problems.length > 0 ? { incomplete: incompleteInfoError(info.problems) } : {}) };
    } finally {
      progress.stop();
    }
  }

  async deploy(io: IoHost, request: DeployRequest): Promise<DeployResult> {
    const { deploy } = await import('../stack/deploy.js');
    return deploy({ ...request, aws: this.aws, io, stackName: this.stackName });
  }

  async destroy(io: IoHost, request: DestroyRequest): Promise<DestroyResult> {
    const { destroy } = await import('../stack/destroy.js');
    return destroy({ ...request, aws: this.aws, io, stackName: this.stackName });
  }

  async doctor(io: IoHost, options: DoctorOptions): Promise<DoctorReport> {
    const progress = io.progress('doctor.run', `Checking ${this.title}${this.aws.settings.region ? ` in ${this.aws.settings.region}` : ''}`);
    const { doctorAws } = await import('../operations/doctor/aws.js');
    try {
      return await doctorAws({ aws: this.aws, stackName: this.stackName, dns: options.dns });
    } finally {
      progress.stop();
    }
  }

  async sesIdentities() {
    const { sesRegion } = await import('../domain/region.js');
    const ses = await this.aws.sesv2();
    return { ses, region: await sesRegion(ses) };
  }
}

/** The engine's resources, from its stack's outputs. */
async function stackResources(aws: AwsClientFactory, stackName: string): Promise<EngineResources> {
  const cfn = await aws.cloudformation();
  const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = out.Stacks?.[0];
  const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const need = (key: string) => {
    const value = outputs[key];
    if (!value) {
      throw new MailengineError('STACK_INCOMPLETE', `Stack ${stackName} (${stack?.StackStatus ?? 'unknown status'}) has no output ${key}.`, {
        exitCode: ExitCode.NotFound,
        suggestion: 'Is this a mailengine stack? `mailengine info` shows its state; `mailengine deploy` completes or upgrades it.',
      });
    }
    return value;
  };
  return {
    stackName,
    trackingTable: need('TrackingTableName'),
    suppressionTable: need('SuppressionTableName'),
    templatesBucket: need('TemplatesBucketName'),
    configurationSet: need('ConfigurationSetName'),
    eventBusName: need('EventBusName'),
    queues: { send: need('SendQueueUrl'), sendDlq: need('SendDeadLetterQueueUrl'), feedback: need('FeedbackQueueUrl'), feedbackDlq: need('FeedbackDeadLetterQueueUrl') },
    senderEventSourceMappingId: outputs.SenderEventSourceMappingId,
    alarmTopicArn: outputs.AlarmTopicArn,
    outputs,
  };
}

/** A deployed engine's switches: its SES configuration set and the Sender's Lambda queue mapping (src/engine/pause.ts). */
class LambdaSesSwitches implements SendingSwitches {
  readonly local = false;

  constructor(
    readonly stackName: string,
    /** The target's name for the engine, as messages give it. */
    readonly title: string,
    private readonly clients: PauseClients,
    private readonly target: PauseTarget,
    private readonly sendQueue: { sqs: Pick<SQSClient, 'send'>; url: string } | undefined,
    readonly alarms: () => Promise<AutoPauseAlarm[]>,
  ) {}

  private async waiting(): Promise<number | undefined> {
    if (!this.sendQueue) return undefined;
    // GetQueueAttributes: Attributes.ApproximateNumberOfMessages is a string (API reference).
    const out = await this.sendQueue.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.sendQueue.url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    const n = Number(out.Attributes?.ApproximateNumberOfMessages);
    return Number.isFinite(n) ? n : undefined;
  }

  private snapshot(state: SendingState, waiting: number | undefined): SwitchSnapshot {
    return {
      state: state.state,
      configurationSetSending: state.sesSendingEnabled !== false,
      senderMapping: { id: this.target.eventSourceMappingId, state: state.mappingState ?? 'Unknown' },
      ...(waiting !== undefined ? { waiting } : {}),
    };
  }

  async read(): Promise<SwitchSnapshot> {
    const [state, waiting] = await Promise.all([sendingState(this.clients, this.target), this.waiting()]);
    return this.snapshot(state, waiting);
  }

  async set(enabled: boolean): Promise<SwitchSnapshot> {
    const state = await setSending(this.clients, this.target, enabled);
    return this.snapshot(state, await this.waiting());
  }
}
