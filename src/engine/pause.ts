import { GetConfigurationSetCommand, PutConfigurationSetSendingOptionsCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { GetEventSourceMappingCommand, UpdateEventSourceMappingCommand, type LambdaClient } from '@aws-sdk/client-lambda';

export interface PauseTarget {
  configurationSet: string;
  /** The Sender's SQS event source mapping (UUID). */
  eventSourceMappingId: string;
}

export interface PauseClients {
  ses: Pick<SESv2Client, 'send'>;
  lambda: Pick<LambdaClient, 'send'>;
}

/** Where the engine's sending stands, from its two switches. */
export type SendingVerdict = 'running' | 'paused' | 'partly-paused' | 'unknown';

/** The two switches as read: each absent when it could not be read (its name unknown). */
export interface SendingSwitches {
  /** SES accepts sends through the configuration set (absent SendingOptions means on). */
  sesSendingEnabled?: boolean;
  /** The Sender's event source mapping State: Enabled, Disabled, Enabling, Disabling, Updating, Creating, Deleting. */
  mappingState?: string;
}

export interface SendingState extends SendingSwitches {
  state: SendingVerdict;
  /** The Sender consumes the send queue (its mapping Enabled, or on its way there). */
  senderConsuming?: boolean;
}

/** Mapping states in which the Sender consumes, or is about to: every other state is off (Disabled, Disabling, Deleting). */
const CONSUMING = new Set(['Enabled', 'Enabling', 'Updating', 'Creating']);

/**
 * The one reading of the two switches, used by the Pause function, `pause`, `resume`, `info` and
 * `deploy`: both off is paused, one off is partly paused (a pause or resume that did not finish),
 * neither off is running. A switch that could not be read counts as on; none read is unknown.
 */
export function classifySending(switches: SendingSwitches): SendingState {
  const { sesSendingEnabled, mappingState } = switches;
  const senderConsuming = mappingState === undefined ? undefined : CONSUMING.has(mappingState);
  const sesOff = sesSendingEnabled === false;
  const mappingOff = senderConsuming === false;
  const state: SendingVerdict =
    sesSendingEnabled === undefined && mappingState === undefined ? 'unknown' : sesOff && mappingOff ? 'paused' : sesOff || mappingOff ? 'partly-paused' : 'running';
  return {
    state,
    ...(sesSendingEnabled !== undefined ? { sesSendingEnabled } : {}),
    ...(mappingState !== undefined ? { mappingState, senderConsuming } : {}),
  };
}

/**
 * Pausing one engine touches two switches together: the configuration set's sending (so SES
 * refuses new sends) and the Sender's event source mapping (so requests wait in the queue for up
 * to 14 days instead of spending their receive count on refusals and landing in the DLQ).
 */
export async function setSending(clients: PauseClients, target: PauseTarget, enabled: boolean): Promise<SendingState> {
  if (!enabled) {
    // Stop consuming first, so nothing is pulled off the queue just to be refused.
    await clients.lambda.send(new UpdateEventSourceMappingCommand({ UUID: target.eventSourceMappingId, Enabled: false }));
    await clients.ses.send(new PutConfigurationSetSendingOptionsCommand({ ConfigurationSetName: target.configurationSet, SendingEnabled: false }));
  } else {
    // Open SES first, so the first requests consumed are not refused.
    await clients.ses.send(new PutConfigurationSetSendingOptionsCommand({ ConfigurationSetName: target.configurationSet, SendingEnabled: true }));
    await clients.lambda.send(new UpdateEventSourceMappingCommand({ UUID: target.eventSourceMappingId, Enabled: true }));
  }
  return sendingState(clients, target);
}

/** The switches as read, and why any named switch could not be (it is then absent above). */
export interface SendingSwitchesRead extends SendingSwitches {
  errors?: { ses?: unknown; mapping?: unknown };
}

/**
 * The two switches as SES and Lambda report them, each read only when its name is known:
 * whether the configuration set sends (absent SendingOptions means on), and the mapping's State.
 * Each is read on its own: one that fails is left out with its error in `errors`, so the other
 * still counts (doctor reports what it could read).
 */
export async function readSendingSwitches(clients: PauseClients, target: Partial<PauseTarget>): Promise<SendingSwitchesRead> {
  const [set, mapping] = await Promise.allSettled([
    target.configurationSet ? clients.ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: target.configurationSet })) : undefined,
    target.eventSourceMappingId ? clients.lambda.send(new GetEventSourceMappingCommand({ UUID: target.eventSourceMappingId })) : undefined,
  ]);
  const errors = {
    ...(set.status === 'rejected' ? { ses: set.reason as unknown } : {}),
    ...(mapping.status === 'rejected' ? { mapping: mapping.reason as unknown } : {}),
  };
  const setOut = set.status === 'fulfilled' ? set.value : undefined;
  const mappingOut = mapping.status === 'fulfilled' ? mapping.value : undefined;
  return {
    ...(setOut ? { sesSendingEnabled: setOut.SendingOptions?.SendingEnabled !== false } : {}),
    ...(mappingOut && mappingOut.State !== undefined ? { mappingState: mappingOut.State } : {}),
    ...(Object.keys(errors).length > 0 ? { errors } : {}),
  };
}

/**
 * Both switches, classified. Pause, resume, `info` and `deploy` act on the pair, so a switch that
 * could not be read is an error here (the SES switch's when neither could), as it was before each
 * was read alone.
 */
export async function sendingState(clients: PauseClients, target: Partial<PauseTarget>): Promise<SendingState> {
  const read = await readSendingSwitches(clients, target);
  if (read.errors) throw 'ses' in read.errors ? read.errors.ses : read.errors.mapping;
  return classifySending(read);
}

/** The alarm message SNS delivers to the Pause function. */
export interface AlarmNotification {
  AlarmName?: string;
  NewStateValue?: string;
  NewStateReason?: string;
}

/** Reads an SNS event; only transitions into ALARM pause the engine. */
export function alarmsFiring(event: { Records?: Array<{ Sns?: { Message?: string } }> }): AlarmNotification[] {
  const alarms: AlarmNotification[] = [];
  for (const record of event.Records ?? []) {
    try {
      const message = JSON.parse(record.Sns?.Message ?? '{}') as AlarmNotification;
      if (message.NewStateValue === 'ALARM') alarms.push(message);
    } catch {
      // Not an alarm notification (e.g. a subscription test message): nothing to do.
    }
  }
  return alarms;
}
