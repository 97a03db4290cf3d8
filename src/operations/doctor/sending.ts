import type { AwsClientFactory } from '../../aws/clients.js';
import type { SendingView } from '../../stack/sending-state.js';
import { check, type DoctorCheck } from './report.js';

/** Paused or not: a paused engine takes no request off its queue; one switch off is a half-done pause or resume. */
export function pausedCheck(sending: Pick<SendingView, 'state' | 'configurationSetSending' | 'senderMapping'>): DoctorCheck {
  const switches = [
    sending.configurationSetSending === undefined ? '' : `configuration set sending ${sending.configurationSetSending ? 'on' : 'off'}`,
    sending.senderMapping ? `Sender queue mapping ${sending.senderMapping}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const detail = switches || undefined;
  switch (sending.state) {
    case 'running':
      return check('paused', 'sending', 'pass', 'Sending is running', { detail });
    case 'paused':
      return check('paused', 'sending', 'fail', 'Sending is paused: requests wait in the send queue', { detail, fix: 'If an alarm paused it, fix that cause first (see Alerts); then `mailengine resume`.' });
    case 'partly-paused':
      return check('paused', 'sending', 'fail', 'Sending is partly paused: one of its two switches is off', { detail, fix: 'Run `mailengine resume` (or `mailengine pause`) to set both switches the same way.' });
    default:
      return check('paused', 'sending', 'warn', 'Neither sending switch could be read', { detail, fix: 'Grant ses:GetConfigurationSet and lambda:GetEventSourceMapping to see it.' });
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
  const metrics = destinations.find((d) => d.kind === 'cloudwatch');
  if (metrics && !metrics.enabled) {
    return check('event-destination', 'sending', 'warn', `Events reach the engine; the CloudWatch destination ${metrics.name} is disabled, so the dashboard's counts stay empty`, { fix: `${REDEPLOY.replace(/\.$/, '')}, ${console}.` });
  }
  return check('event-destination', 'sending', 'pass', `SES events of ${configurationSet} reach the engine (destination ${bridge.name} enabled)`, { detail: bridge.types.join(', ') });
}
