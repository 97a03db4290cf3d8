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

export interface SendingState {
  /** SES accepts sends through the configuration set. */
  sesSendingEnabled: boolean;
  /** The Sender consumes the send queue (Enabled, or on its way: Enabling/Updating). */
  senderConsuming: boolean;
  mappingState: string;
  paused: boolean;
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
export async function readSendingSwitches(clients: PauseClients, target: Partial<PauseTarget>): Promise<{ sesSendingEnabled?: boolean; mappingState?: string }> {
  const [set, mapping] = await Promise.all([
    target.configurationSet ? clients.ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: target.configurationSet })) : undefined,
    target.eventSourceMappingId ? clients.lambda.send(new GetEventSourceMappingCommand({ UUID: target.eventSourceMappingId })) : undefined,
  ]);
  return {
    ...(set ? { sesSendingEnabled: set.SendingOptions?.SendingEnabled !== false } : {}),
    ...(mapping && mapping.State !== undefined ? { mappingState: mapping.State } : {}),
  };
}

export async function sendingState(clients: PauseClients, target: PauseTarget): Promise<SendingState> {
  const switches = await readSendingSwitches(clients, target);
  const sesSendingEnabled = switches.sesSendingEnabled !== false;
  const mappingState = switches.mappingState ?? 'Unknown';
  const senderConsuming = ['Enabled', 'Enabling', 'Updating', 'Creating'].includes(mappingState);
  return { sesSendingEnabled, senderConsuming, mappingState, paused: !sesSendingEnabled || !senderConsuming };
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
