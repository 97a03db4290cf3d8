import { LambdaClient } from '@aws-sdk/client-lambda';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { alarmsFiring, setSending } from '../pause.js';
import { jsonLogger } from './lambda-env.js';

const clients = { ses: new SESv2Client({}), lambda: new LambdaClient({}) };

/** Subscribed to the auto-pause alarms' topic: an alarm entering ALARM pauses this engine. */
export async function handler(event: { Records?: Array<{ Sns?: { Message?: string } }> }): Promise<{ paused: boolean }> {
  const firing = alarmsFiring(event);
  if (firing.length === 0) return { paused: false };
  const configurationSet = process.env.CONFIGURATION_SET;
  const eventSourceMappingId = process.env.SENDER_EVENT_SOURCE_MAPPING_UUID;
  if (!configurationSet || !eventSourceMappingId) throw new Error('CONFIGURATION_SET and SENDER_EVENT_SOURCE_MAPPING_UUID must be set');
  const state = await setSending(clients, { configurationSet, eventSourceMappingId }, false);
  jsonLogger.warn('engine.paused', { alarms: firing.map((a) => a.AlarmName), reason: firing[0].NewStateReason, state });
  return { paused: state.state === 'paused' };
}
