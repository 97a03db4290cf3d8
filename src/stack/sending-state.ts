import type { AwsClientFactory } from '../aws/clients.js';

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
  let configurationSetSending: boolean | undefined;
  let senderMapping: string | undefined;
  if (outputs.ConfigurationSetName) {
    const { GetConfigurationSetCommand } = await import('@aws-sdk/client-sesv2');
    const out = await (await aws.sesv2()).send(new GetConfigurationSetCommand({ ConfigurationSetName: outputs.ConfigurationSetName }));
    // Absent SendingOptions means the default: sending on.
    configurationSetSending = out.SendingOptions?.SendingEnabled !== false;
  }
  if (outputs.SenderEventSourceMappingId) {
    const { GetEventSourceMappingCommand } = await import('@aws-sdk/client-lambda');
    const out = await (await aws.lambda()).send(new GetEventSourceMappingCommand({ UUID: outputs.SenderEventSourceMappingId }));
    senderMapping = out.State;
  }
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
