import type { AwsClientFactory } from '../aws/clients.js';
import { sendingState, type SendingVerdict } from '../engine/pause.js';

/** A deployed engine's sending, as `info` and `deploy` report it (`info --json` prints this shape). */
export interface SendingView {
  /** `running`, `paused`, or `partly-paused` when only one of the two switches is off. */
  state: SendingVerdict;
  configurationSetSending?: boolean;
  /** The queue mapping's State: Enabled, Disabled, Enabling, Disabling, Updating, … */
  senderMapping?: string;
}

/**
 * Whether a deployed engine is paused, from the switches its outputs name (each read only when
 * named); the verdict is the engine's own classification (`classifySending`).
 */
export async function readSendingState(aws: AwsClientFactory, outputs: Record<string, string>): Promise<SendingView> {
  const target = { configurationSet: outputs.ConfigurationSetName || undefined, eventSourceMappingId: outputs.SenderEventSourceMappingId || undefined };
  const read = await sendingState({ ses: await aws.sesv2(), lambda: await aws.lambda() }, target);
  return {
    state: read.state,
    ...(read.sesSendingEnabled !== undefined ? { configurationSetSending: read.sesSendingEnabled } : {}),
    ...(read.mappingState !== undefined ? { senderMapping: read.mappingState } : {}),
  };
}
