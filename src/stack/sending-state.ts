import type { AwsClientFactory } from '../aws/clients.js';
import { sendingState, type PauseClients, type PauseTarget, type SendingState, type SendingVerdict } from '../engine/pause.js';

/** A deployed engine's sending, as `info` and `deploy` report it (`info --json` prints this shape). */
export interface SendingView {
  /** `running`, `paused`, or `partly-paused` when only one of the two switches is off. */
  state: SendingVerdict;
  configurationSetSending?: boolean;
  /** The queue mapping's State: Enabled, Disabled, Enabling, Disabling, Updating, … */
  senderMapping?: string;
}

/** The clients and switch names to read a deployed engine's sending switches with (each named only when its output is there). */
export async function sendingSwitchesOf(aws: AwsClientFactory, outputs: Record<string, string>): Promise<{ clients: PauseClients; target: Partial<PauseTarget> }> {
  return {
    clients: { ses: await aws.sesv2(), lambda: await aws.lambda() },
    target: { configurationSet: outputs.ConfigurationSetName || undefined, eventSourceMappingId: outputs.SenderEventSourceMappingId || undefined },
  };
}

/** The classified switches in the shape `info` and `deploy` report. */
export function sendingView(read: SendingState): SendingView {
  return {
    state: read.state,
    ...(read.sesSendingEnabled !== undefined ? { configurationSetSending: read.sesSendingEnabled } : {}),
    ...(read.mappingState !== undefined ? { senderMapping: read.mappingState } : {}),
  };
}

/**
 * Whether a deployed engine is paused, from the switches its outputs name (each read only when
 * named); the verdict is the engine's own classification (`classifySending`).
 */
export async function readSendingState(aws: AwsClientFactory, outputs: Record<string, string>): Promise<SendingView> {
  const { clients, target } = await sendingSwitchesOf(aws, outputs);
  return sendingView(await sendingState(clients, target));
}
