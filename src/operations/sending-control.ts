import type { SendingVerdict } from '../engine/pause.js';
import { ExitCode, MailengineError, isMailengineError } from '../errors.js';
import type { IoHost } from '../io/io-host.js';
import { describeAlarm, type AutoPauseAlarm } from '../stack/alarms.js';

export type EngineSendingState = SendingVerdict;

/** `pause`, `resume`: what the engine's two switches say now, and what the command changed. */
export interface SendingControlResult {
  action: 'pause' | 'resume';
  stackName: string;
  local: boolean;
  /** "stack prod" or "the local engine mailengine". */
  title: string;
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

/** What the two switches say at one moment. */
export interface SwitchSnapshot {
  state: EngineSendingState;
  configurationSetSending: boolean;
  senderMapping?: { id: string; state: string };
  waiting?: number;
}

/**
 * The engine's two switches (SES sending through its configuration set, and the Sender's
 * consumption of the send queue), as a target provides them: a deployed stack's configuration
 * set and Lambda mapping, or the local runner, which flips both together.
 */
export interface SendingSwitches {
  readonly stackName: string;
  readonly local: boolean;
  /** "stack prod" or "the local engine mailengine". */
  readonly title: string;
  read(): Promise<SwitchSnapshot>;
  set(enabled: boolean): Promise<SwitchSnapshot>;
  /** The auto-pause alarms; absent where the engine has none. */
  alarms?: () => Promise<AutoPauseAlarm[]>;
}

function result(
  action: 'pause' | 'resume',
  target: SendingSwitches,
  configurationSet: string,
  before: SwitchSnapshot,
  after: SwitchSnapshot,
  changed: boolean,
  notes: string[],
  alarms?: AutoPauseAlarm[],
): SendingControlResult {
  return {
    action,
    stackName: target.stackName,
    local: target.local,
    title: target.title,
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
async function readAlarms(target: SendingSwitches, notes: string[]): Promise<AutoPauseAlarm[] | undefined> {
  if (!target.alarms) return undefined;
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
export async function pauseEngine(target: SendingSwitches, configurationSet: string, io: IoHost): Promise<SendingControlResult> {
  const before = await target.read();
  if (before.state === 'paused') {
    const notes: string[] = [];
    return result('pause', target, configurationSet, before, before, false, notes, await readAlarms(target, notes));
  }
  const confirmed = await io.requestResponse({
    kind: 'confirm',
    code: 'pause.confirm',
    message: `Pause sending for ${target.title}? New requests will wait in the send queue (up to 14 days) until \`mailengine resume\`.`,
    default: false,
  });
  if (!confirmed) {
    throw new MailengineError('PAUSE_DECLINED', `Not paused; ${target.stackName} keeps sending.`, { exitCode: ExitCode.Failed, suggestion: 'Run it again and confirm, or pass --yes.' });
  }
  const after = await target.set(false);
  const notes = before.state === 'partly-paused' ? ['The engine was partly paused (one of its two switches was off); both are off now.'] : [];
  return result('pause', target, configurationSet, before, after, true, notes, await readAlarms(target, notes));
}

/**
 * Resumes the engine: SES sending on first, then the Sender's mapping, so the first requests
 * consumed are not refused. A running engine is left as it is. While an auto-pause alarm is in
 * ALARM (or the alarms cannot be read) it refuses unless forced: such an alarm does not pause the
 * engine again until it has been back to OK, so a resume then leaves the reputation unguarded.
 */
export async function resumeEngine(target: SendingSwitches, configurationSet: string, options: { force?: boolean } = {}): Promise<SendingControlResult> {
  const before = await target.read();
  const notes: string[] = [];
  if (before.state === 'running') return result('resume', target, configurationSet, before, before, false, notes, await readAlarms(target, notes));
  let alarms: AutoPauseAlarm[] | undefined;
  if (target.alarms) {
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
  const after = await target.set(true);
  return result('resume', target, configurationSet, before, after, true, notes, alarms);
}
