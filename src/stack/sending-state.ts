import type { AwsClientFactory } from '../aws/clients.js';
import { readSendingSwitches } from '../engine/pause.js';

/**
 * Whether the engine is paused. Pausing switches two things off (the configuration set's sending
 * and the Sender's queue mapping), so both are read: one off and the other on means a pause or
 * resume that did not finish.
 */
export interface SendingState {
  /** `running`, `paused`, or `partly paused` when only one of the two switches is off. */
  state: 'running' | 'paused' | 'partly-paused' | 'unknown';
  configurationSetSending?: boolean;
  /** The queue mapping's State: Enabled, Disabled, Enabling, Disabling, Updating, … */
  senderMapping?: string;
}

export async function readSendingState(aws: AwsClientFactory, outputs: Record<string, string>): Promise<SendingState> {
  const target = { configurationSet: outputs.ConfigurationSetName || undefined, eventSourceMappingId: outputs.SenderEventSourceMappingId || undefined };
  const clients = { ses: await aws.sesv2(), lambda: await aws.lambda() };
  const { sesSendingEnabled: configurationSetSending, mappingState: senderMapping } = await readSendingSwitches(clients, target);
  const sendingOff = configurationSetSending === false;
  const mappingOff = senderMapping === 'Disabled' || senderMapping === 'Disabling';
  const known = configurationSetSending !== undefined || senderMapping !== undefined;
  const state = !known ? 'unknown' : sendingOff && mappingOff ? 'paused' : sendingOff || mappingOff ? 'partly-paused' : 'running';
  return {
    state,
    ...(configurationSetSending !== undefined ? { configurationSetSending } : {}),
    ...(senderMapping !== undefined ? { senderMapping } : {}),
  };
}
