import type { AwsClientFactory } from '../../aws/clients.js';
import { classifySending, readSendingSwitches } from '../../engine/pause.js';
import { isMailengineError } from '../../errors.js';
import { sendingSwitchesOf, sendingView, type SendingView } from '../../stack/sending-state.js';
import { check, type DoctorCheck } from './report.js';

/** A sending switch doctor could not read: which, why, and what would let it. */
export interface UnreadSwitch {
  name: string;
  reason: string;
  fix?: string;
}

/** The paused check's facts: the verdict and each switch as read, and any switch that could not be read. */
export interface PausedFacts extends SendingView {
  unread?: UnreadSwitch[];
}

const SWITCH_NAMES = { ses: 'configuration set sending', mapping: "the Sender's queue mapping" } as const;

/**
 * The two switches of a deployed engine, each read on its own (`readSendingSwitches`): one that
 * cannot be read is named with the reason and the other still counts.
 */
export async function readPausedFacts(aws: AwsClientFactory, outputs: Record<string, string>): Promise<PausedFacts> {
  const { clients, target } = await sendingSwitchesOf(aws, outputs);
  const read = await readSendingSwitches(clients, target);
  const unread: UnreadSwitch[] = [];
  for (const key of ['ses', 'mapping'] as const) {
    const err = read.errors?.[key];
    if (err === undefined) continue;
    if (!isMailengineError(err)) throw err;
    unread.push({ name: SWITCH_NAMES[key], reason: err.message, ...(err.suggestion ? { fix: err.suggestion } : {}) });
  }
  return { ...sendingView(classifySending(read)), ...(unread.length > 0 ? { unread } : {}) };
}

const RESUME = 'If an alarm paused it, fix that cause first (see Alerts); then `mailengine resume`.';
const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * Paused or not: a paused engine takes no request off its queue; one switch off is a half-done
 * pause or resume. With one switch unreadable, the other decides what can be said: off fails,
 * on warns (a pause on the unread one would not show); neither readable fails, like any part that
 * cannot be read.
 */
export function pausedCheck(sending: PausedFacts): DoctorCheck {
  const switches = [
    sending.configurationSetSending === undefined ? '' : `configuration set sending ${sending.configurationSetSending ? 'on' : 'off'}`,
    sending.senderMapping ? `Sender queue mapping ${sending.senderMapping}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const detail = switches || undefined;
  const unread = sending.unread ?? [];
  const why = unread.map((u) => `${capital(u.name)}: ${u.reason}`).join('\n') || undefined;
  const grant = unread.map((u) => u.fix).filter(Boolean).join(' ') || undefined;
  const known =
    sending.configurationSetSending !== undefined ? `configuration set sending is ${sending.configurationSetSending ? 'on' : 'off'}` : sending.senderMapping ? `the Sender's queue mapping is ${sending.senderMapping}` : undefined;
  if (unread.length > 0 && known) {
    const missing = unread.map((u) => u.name).join(' and ');
    if (sending.state === 'running') {
      return check('paused', 'sending', 'warn', `${capital(known)}; ${missing} could not be read, so a pause there would not show`, { detail: why, fix: grant });
    }
    return check('paused', 'sending', 'fail', `Sending is at least partly paused: ${known} (${missing} could not be read)`, { detail: why, fix: RESUME });
  }
  switch (sending.state) {
    case 'running':
      return check('paused', 'sending', 'pass', 'Sending is running', { detail });
    case 'paused':
      return check('paused', 'sending', 'fail', 'Sending is paused: requests wait in the send queue', { detail, fix: RESUME });
    case 'partly-paused':
      return check('paused', 'sending', 'fail', 'Sending is partly paused: one of its two switches is off', { detail, fix: 'Run `mailengine resume` (or `mailengine pause`) to set both switches the same way.' });
    default:
      return check('paused', 'sending', 'fail', 'Neither sending switch could be read', {
        detail: why,
        fix: grant ?? 'Grant ses:GetConfigurationSet and lambda:GetEventSourceMapping to see it.',
      });
  }
}

export interface EventDestination {
  name: string;
  enabled: boolean;
  kind: 'eventbridge' | 'cloudwatch' | 'other';
  types: string[];
}

/** The configuration set's event destinations (SESv2 GetConfigurationSetEventDestinations). */
export async function readEventDestinations(aws: AwsClientFactory, configurationSet: string): Promise<EventDestination[]> {
  const { GetConfigurationSetEventDestinationsCommand } = await import('@aws-sdk/client-sesv2');
  const out = await (await aws.sesv2()).send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: configurationSet }));
  return (out.EventDestinations ?? []).map((d) => ({
    name: d.Name ?? '',
    enabled: d.Enabled === true,
    kind: d.EventBridgeDestination ? 'eventbridge' : d.CloudWatchDestination ? 'cloudwatch' : 'other',
    types: d.MatchingEventTypes ?? [],
  }));
}

/** The event types the template forwards beyond bounces, complaints and deliveries, and what the engine loses without each. */
const LESSER_EVENTS: Record<string, string> = {
  SEND: "SES's own word that it took each email",
  REJECT: 'rejections',
  DELIVERY_DELAY: 'delays',
  RENDERING_FAILURE: 'rendering failures',
};

const REDEPLOY = 'Run `mailengine deploy`: it puts the destinations back as the template has them.';

/**
 * SES tells the engine what happened to each email through the EventBridge destination: without it
 * (or with it disabled) no status after `sent` is ever recorded and bounces suppress nothing. The
 * CloudWatch one feeds the dashboard's per-engine counts.
 */
export function eventDestinationCheck(configurationSet: string, destinations: EventDestination[]): DoctorCheck {
  const bridge = destinations.find((d) => d.kind === 'eventbridge');
  const console = `or in the SES console: Configuration sets → ${configurationSet} → Event destinations → enable it`;
  if (!bridge) {
    return check('event-destination', 'sending', 'fail', `The configuration set ${configurationSet} has no EventBridge event destination: deliveries, bounces and complaints are never recorded`, { fix: REDEPLOY });
  }
  if (!bridge.enabled) {
    return check('event-destination', 'sending', 'fail', `The EventBridge event destination ${bridge.name} of ${configurationSet} is disabled: deliveries, bounces and complaints are not recorded`, { fix: `${REDEPLOY.replace(/\.$/, '')}, ${console}.` });
  }
  const missing = ['BOUNCE', 'COMPLAINT', 'DELIVERY'].filter((t) => !bridge.types.includes(t));
  if (missing.length > 0) {
    return check('event-destination', 'sending', 'fail', `The EventBridge event destination ${bridge.name} does not forward ${missing.join(', ')} events`, { fix: REDEPLOY });
  }
  // The rest of what the template forwards: without them an email SES rejected, delayed or could
  // not render keeps the status it had (`sent`, recorded from the Sender's own call), and a `sent`
  // write the Sender lost is not made good from SES's Send event.
  const warnings: string[] = [];
  const lesser = Object.keys(LESSER_EVENTS).filter((t) => !bridge.types.includes(t));
  if (lesser.length > 0) {
    warnings.push(`the EventBridge event destination ${bridge.name} does not forward ${lesser.join(', ')} events, so ${lesser.map((t) => LESSER_EVENTS[t]).join(', ')} go unrecorded`);
  }
  const metrics = destinations.find((d) => d.kind === 'cloudwatch');
  const metricsOff = metrics !== undefined && !metrics.enabled;
  if (metricsOff) warnings.push(`the CloudWatch destination ${metrics.name} is disabled, so the dashboard's counts stay empty`);
  if (warnings.length > 0) {
    return check('event-destination', 'sending', 'warn', `Events reach the engine, but ${warnings.join('; and ')}`, {
      detail: bridge.types.join(', '),
      fix: metricsOff ? `${REDEPLOY.replace(/\.$/, '')}, ${console}.` : REDEPLOY,
    });
  }
  return check('event-destination', 'sending', 'pass', `SES events of ${configurationSet} reach the engine (destination ${bridge.name} enabled)`, { detail: bridge.types.join(', ') });
}
