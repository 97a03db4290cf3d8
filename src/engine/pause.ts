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

/**
 * The two switches as SES and Lambda report them, each read only when its name is known:
 * whether the configuration set sends (absent SendingOptions means on), and the mapping's State.
 */
export async function readSendingSwitches(clients: PauseClients, target: Partial<PauseTarget>): Promise<SendingSwitches> {
  const [set, mapping] = await Promise.all([
    target.configurationSet ? clients.ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: target.configurationSet })) : undefined,
    target.eventSourceMappingId ? clients.lambda.send(new GetEventSourceMappingCommand({ UUID: target.eventSourceMappingId })) : undefined,
  ]);
  return {
    ...(set ? { sesSendingEnabled: set.SendingOptions?.SendingEnabled !== false } : {}),
    ...(mapping && mapping.State !== undefined ? { mappingState: mapping.State } : {}),
  };
}

export async function sendingState(clients: PauseClients, target: Partial<PauseTarget>): Promise<SendingState> {
  return classifySending(await readSendingSwitches(clients, target));
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
