import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AwsClientFactory } from '../aws/clients.js';
import { setSending, sendingState, type PauseClients, type PauseTarget, type SendingState, type SendingVerdict } from '../engine/pause.js';
import { ExitCode, MailengineError, isMailengineError } from '../errors.js';
import type { IoHost } from '../io/io-host.js';
import { pauseRunner, resumeRunner, runnerState } from '../local/runner/client.js';
import type { RunnerState } from '../local/runner/runner.js';
import { describeAlarm, readAutoPauseAlarms, type AutoPauseAlarm } from '../stack/alarms.js';
import type { EngineResources } from './engine-resources.js';

export type EngineSendingState = SendingVerdict;

/** `pause`, `resume`: what the engine's two switches say now, and what the command changed. */
export interface SendingControlResult {
  action: 'pause' | 'resume';
  stackName: string;
  local: boolean;
  /** False when the engine already was in the state asked for. */
  changed: boolean;
  state: EngineSendingState;
  before: EngineSendingState;
  configurationSet: string;
  /** SES accepts sends through the configuration set. */
  configurationSetSending: boolean;
  /** The Sender's queue mapping (absent locally, where the runner plays it). */
  senderMapping?: { id: string; state: string };
  /** Requests waiting in the send queue afterwards, when it could be read. */
  waiting?: number;
  /** …and before: on resume, what had waited and is now being sent. */
  waitingBefore?: number;
  /** The auto-pause alarms and their states (deployed stacks, when CloudWatch could be read). */
  alarms?: AutoPauseAlarm[];
  notes: string[];
}

/** Where the two switches are: a deployed stack's SES configuration set and Lambda mapping, or the local runner. */
export type SendingTarget =
  | { kind: 'aws'; stackName: string; clients: PauseClients; target: PauseTarget; sqs?: Pick<SQSClient, 'send'>; sendQueueUrl?: string; alarms: () => Promise<AutoPauseAlarm[]> }
  | { kind: 'local'; stackName: string; endpoint: string };

interface Snapshot {
  state: EngineSendingState;
  configurationSetSending: boolean;
  senderMapping?: { id: string; state: string };
  waiting?: number;
}

/**
 * The switches of the engine the settings name. For a deployed stack, both come from its outputs
 * (ConfigurationSetName, SenderEventSourceMappingId); a stack without the mapping output cannot be
 * paused safely (requests would burn their receive count against a refusing SES), so that is an error.
 */
export async function sendingTarget(aws: AwsClientFactory, resources: EngineResources): Promise<SendingTarget> {
  if (resources.local) {
    const endpoint = aws.settings.local?.eventbridge;
    if (!endpoint) throw new MailengineError('LOCAL_STACK_DOWN', 'The local stack has no engine runner endpoint.', { exitCode: ExitCode.Environment, suggestion: 'Start it with `mailengine local up`.' });
    return { kind: 'local', stackName: resources.stackName, endpoint };
  }
  if (!resources.senderEventSourceMappingId) {
    throw new MailengineError('STACK_INCOMPLETE', `Stack ${resources.stackName} has no output SenderEventSourceMappingId, so its Sender cannot be paused with its configuration set.`, {
      exitCode: ExitCode.NotFound,
      suggestion: 'Upgrade the stack with `mailengine deploy`; the current template has that output.',
    });
  }
  return {
    kind: 'aws',
    stackName: resources.stackName,
    clients: { ses: await aws.sesv2(), lambda: await aws.lambda() },
    target: { configurationSet: resources.configurationSet, eventSourceMappingId: resources.senderEventSourceMappingId },
    sqs: resources.queues ? await aws.sqs() : undefined,
    sendQueueUrl: resources.queues?.send,
    alarms: () => readAutoPauseAlarms(aws, resources.stackName),
  };
}

async function waitingInQueue(target: Extract<SendingTarget, { kind: 'aws' }>): Promise<number | undefined> {
  if (!target.sqs || !target.sendQueueUrl) return undefined;
  // GetQueueAttributes: Attributes.ApproximateNumberOfMessages is a string (API reference).
  const out = await target.sqs.send(new GetQueueAttributesCommand({ QueueUrl: target.sendQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  const n = Number(out.Attributes?.ApproximateNumberOfMessages);
  return Number.isFinite(n) ? n : undefined;
}

function fromAws(state: SendingState, target: Extract<SendingTarget, { kind: 'aws' }>, waiting: number | undefined): Snapshot {
  return {
    state: state.state,
    configurationSetSending: state.sesSendingEnabled !== false,
    senderMapping: { id: target.target.eventSourceMappingId, state: state.mappingState ?? 'Unknown' },
    ...(waiting !== undefined ? { waiting } : {}),
  };
}

function fromRunner(state: RunnerState, stackName: string): Snapshot {
  if (!state.engine.configured || state.engine.stackName !== stackName) {
    throw new MailengineError('LOCAL_ENGINE_NOT_FOUND', `The local engine runner serves ${state.engine.stackName ? `stack ${state.engine.stackName}` : 'no engine'}, not ${stackName}.`, {
      exitCode: ExitCode.NotFound,
      suggestion: `Run \`mailengine local up --stack ${stackName}\`, or name the stack it serves with --stack.`,
    });
  }
  // The runner flips both switches together, as the Pause function does.
  return { state: state.paused ? 'paused' : 'running', configurationSetSending: !state.paused, waiting: state.queues.send.visible };
}

async function snapshot(target: SendingTarget): Promise<Snapshot> {
  if (target.kind === 'local') return fromRunner(await runnerState(target.endpoint), target.stackName);
  const [state, waiting] = await Promise.all([sendingState(target.clients, target.target), waitingInQueue(target)]);
  return fromAws(state, target, waiting);
}

async function flip(target: SendingTarget, enabled: boolean): Promise<Snapshot> {
  if (target.kind === 'local') return fromRunner(await (enabled ? resumeRunner(target.endpoint) : pauseRunner(target.endpoint)), target.stackName);
  const state = await setSending(target.clients, target.target, enabled);
  return fromAws(state, target, await waitingInQueue(target));
}

function result(
  action: 'pause' | 'resume',
  target: SendingTarget,
  configurationSet: string,
  before: Snapshot,
  after: Snapshot,
  changed: boolean,
  notes: string[],
  alarms?: AutoPauseAlarm[],
): SendingControlResult {
  return {
    action,
    stackName: target.stackName,
    local: target.kind === 'local',
    changed,
    state: after.state,
    before: before.state,
    configurationSet,
    configurationSetSending: after.configurationSetSending,
    ...(after.senderMapping ? { senderMapping: after.senderMapping } : {}),
    ...(after.waiting !== undefined ? { waiting: after.waiting } : {}),
    ...(before.waiting !== undefined ? { waitingBefore: before.waiting } : {}),
    ...(alarms ? { alarms } : {}),
    notes,
  };
}

/** The alarms, or a note saying why they could not be read. */
async function readAlarms(target: SendingTarget, notes: string[]): Promise<AutoPauseAlarm[] | undefined> {
  if (target.kind !== 'aws') return undefined;
  try {
    return await target.alarms();
  } catch (err) {
    if (!isMailengineError(err)) throw err;
    notes.push(`The auto-pause alarms could not be read: ${err.message}`);
    return undefined;
  }
}

/**
 * Pauses the engine: the Sender's queue mapping off, then the configuration set's sending off
 * (src/engine/pause.ts keeps that order). Requests wait in the send queue. Asks first (default No);
 * a paused engine is left as it is, so running it twice is safe.
 */
export async function pauseEngine(target: SendingTarget, configurationSet: string, io: IoHost): Promise<SendingControlResult> {
  const before = await snapshot(target);
  if (before.state === 'paused') {
    const notes: string[] = [];
    return result('pause', target, configurationSet, before, before, false, notes, await readAlarms(target, notes));
  }
  const confirmed = await io.requestResponse({
    kind: 'confirm',
    code: 'pause.confirm',
    message: `Pause sending for ${target.kind === 'local' ? `the local engine ${target.stackName}` : `stack ${target.stackName}`}? New requests will wait in the send queue (up to 14 days) until \`mailengine resume\`.`,
    default: false,
  });
  if (!confirmed) {
    throw new MailengineError('PAUSE_DECLINED', `Not paused; ${target.stackName} keeps sending.`, { exitCode: ExitCode.Failed, suggestion: 'Run it again and confirm, or pass --yes.' });
  }
  const after = await flip(target, false);
  const notes = before.state === 'partly-paused' ? ['The engine was partly paused (one of its two switches was off); both are off now.'] : [];
  return result('pause', target, configurationSet, before, after, true, notes, await readAlarms(target, notes));
}

/**
 * Resumes the engine: SES sending on first, then the Sender's mapping, so the first requests
 * consumed are not refused. A running engine is left as it is. While an auto-pause alarm is in
 * ALARM (or the alarms cannot be read) it refuses unless forced: such an alarm does not pause the
 * engine again until it has been back to OK, so a resume then leaves the reputation unguarded.
 */
export async function resumeEngine(target: SendingTarget, configurationSet: string, options: { force?: boolean } = {}): Promise<SendingControlResult> {
  const before = await snapshot(target);
  const notes: string[] = [];
  if (before.state === 'running') return result('resume', target, configurationSet, before, before, false, notes, await readAlarms(target, notes));
  let alarms: AutoPauseAlarm[] | undefined;
  if (target.kind === 'aws') {
    try {
      alarms = await target.alarms();
    } catch (err) {
      if (!isMailengineError(err) || options.force) throw err;
      throw new MailengineError('ALARMS_UNREADABLE', `Stack ${target.stackName} was not resumed: its auto-pause alarms could not be read (${err.message}).`, {
        exitCode: err.exitCode,
        suggestion: 'Grant cloudwatch:DescribeAlarms so resume can check that the bounce and complaint rates are back under their thresholds, or resume without checking with --force.',
        cause: err,
      });
    }
    const high = alarms.filter((a) => a.state === 'ALARM');
    if (high.length > 0) {
      if (!options.force) {
        throw new MailengineError('ALARM_ACTIVE', `Stack ${target.stackName} was not resumed: ${high.map(describeAlarm).join('; ')}.`, {
          exitCode: ExitCode.Failed,
          suggestion:
            'Find the cause first (`mailengine status lookup --since 24h` shows the bounces and complaints; suppress or remove the addresses behind them), then resume once the alarm is back to OK (it is evaluated every 15 minutes). ' +
            'An alarm still in ALARM does not pause the engine again until it has been OK: --force resumes anyway, unguarded until then.',
          details: { alarms: high },
        });
      }
      notes.push(`Resumed with --force while ${high.map(describeAlarm).join('; ')}. It will not pause the engine again until it has gone back to OK.`);
    }
  }
  const after = await flip(target, true);
  return result('resume', target, configurationSet, before, after, true, notes, alarms);
}
