import type { SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { randomUUID } from 'node:crypto';
import type { SesEventRecord } from '../../model/ses-event.js';
import type { BusEvent } from './event-bus.js';
import { eventTime } from './put-events.js';

/**
 * The SES mailbox simulator, as the local stack plays it: what SES would report for a message to
 * each simulator address, as the event records SES publishes through a configuration set's
 * EventBridge destination. Any address that is not a simulator address is delivered.
 */
export type SimulatedOutcome = 'success' | 'bounce' | 'complaint' | 'ooto' | 'suppressionlist' | 'delivered';

export const SIMULATOR_DOMAIN = 'simulator.amazonses.com';

const SIMULATOR_MAILBOXES: ReadonlySet<string> = new Set(['success', 'bounce', 'complaint', 'ooto', 'suppressionlist']);

/** The detail-type EventBridge gives each SES event type. */
export const SES_DETAIL_TYPES: Readonly<Record<string, string>> = {
  Send: 'Email Sent',
  Delivery: 'Email Delivered',
  Bounce: 'Email Bounced',
  Complaint: 'Email Complaint Received',
  Reject: 'Email Rejected',
  Open: 'Email Opened',
  Click: 'Email Clicked',
  DeliveryDelay: 'Email Delivery Delayed',
  'Rendering Failure': 'Email Rendering Failed',
  Subscription: 'Email Subscribed',
};

/** `"Ann" <Ann@Example.com>` → `ann@example.com`. */
export function bareAddress(address: string): string {
  return (address.match(/<([^>]*)>/)?.[1] ?? address).trim().toLowerCase();
}

/**
 * Which simulator mailbox an address is. `success+order-1@…` is `success`: SES ignores the label,
 * so tests can tell their messages apart.
 */
export function simulatedOutcome(address: string): SimulatedOutcome {
  const bare = bareAddress(address);
  const at = bare.lastIndexOf('@');
  if (at < 0 || bare.slice(at + 1) !== SIMULATOR_DOMAIN) return 'delivered';
  const mailbox = bare.slice(0, at).split('+')[0];
  return SIMULATOR_MAILBOXES.has(mailbox) ? (mailbox as SimulatedOutcome) : 'delivered';
}

export interface SentMessage {
  input: SendEmailCommandInput;
  messageId: string;
  sentAt: Date;
}

export interface SynthesisContext {
  region: string;
  accountId: string;
  /** Time between steps; the events' timestamps say when they fire, as real ones would. */
  stepMs: number;
}

/** One synthesised event and the step it fires at: 1 = Send, 2 = delivery or bounce, 3 = complaint. */
export interface ScheduledSesEvent {
  step: number;
  event: BusEvent;
}

const REPORTING_MTA = 'mailengine-local.simulator.amazonses.com';

function recipientsOf(input: SendEmailCommandInput): string[] {
  const d = input.Destination ?? {};
  return [...(d.ToAddresses ?? []), ...(d.CcAddresses ?? []), ...(d.BccAddresses ?? [])];
}

function subjectOf(input: SendEmailCommandInput): string | undefined {
  return input.Content?.Simple?.Subject?.Data;
}

/** The `mail` object every event of one message shares; tags as SES publishes them (lists). */
function mailObject(sent: SentMessage, ctx: SynthesisContext): SesEventRecord['mail'] & Record<string, unknown> {
  const { input } = sent;
  const from = input.FromEmailAddress ?? '';
  const fromDomain = bareAddress(from).split('@')[1] ?? '';
  const to = input.Destination?.ToAddresses ?? [];
  const tags: Record<string, string[]> = {
    'ses:source-ip': ['127.0.0.1'],
    'ses:from-domain': [fromDomain],
    'ses:caller-identity': ['mailengine-local'],
  };
  if (input.ConfigurationSetName) tags['ses:configuration-set'] = [input.ConfigurationSetName];
  for (const tag of input.EmailTags ?? []) if (tag.Name) tags[tag.Name] = [tag.Value ?? ''];
  const subject = subjectOf(input);
  return {
    timestamp: sent.sentAt.toISOString(),
    source: from,
    sourceArn: `arn:aws:ses:${ctx.region}:${ctx.accountId}:identity/${fromDomain}`,
    sendingAccountId: ctx.accountId,
    messageId: sent.messageId,
    destination: recipientsOf(input),
    headersTruncated: false,
    headers: [
      { name: 'From', value: from },
      { name: 'To', value: to.join(', ') },
      ...(subject !== undefined ? [{ name: 'Subject', value: subject }] : []),
    ],
    commonHeaders: { from: [from], to, messageId: sent.messageId, ...(subject !== undefined ? { subject } : {}) },
    tags,
  };
}

/**
 * The events SES would publish for one accepted SendEmail, in the order it would publish them:
 * - success@ and any ordinary address: Send, Delivery
 * - bounce@: Send, Bounce (Permanent, General)
 * - complaint@: Send, Delivery, Complaint
 * - ooto@: Send, Delivery (SES reports an out-of-office answer as delivered; the auto-reply goes
 *   to the sender and is noted in the delivery's SMTP response)
 * - suppressionlist@: Send, Bounce (Permanent, Suppressed)
 * A message to several recipients gets one event per outcome, naming the recipients it concerns.
 * Without a configuration set SES publishes no events at all, and neither does this.
 */
export function synthesiseSesEvents(sent: SentMessage, ctx: SynthesisContext): ScheduledSesEvent[] {
  if (!sent.input.ConfigurationSetName) return [];
  const mail = mailObject(sent, ctx);
  const recipients = recipientsOf(sent.input);
  const by = (outcomes: SimulatedOutcome[]) => recipients.filter((r) => outcomes.includes(simulatedOutcome(r)));
  const when = (step: number) => new Date(sent.sentAt.getTime() + step * ctx.stepMs);
  const at = (step: number) => when(step).toISOString();
  const feedbackId = () => `${sent.messageId}-${randomUUID()}`;

  const records: Array<{ step: number; record: SesEventRecord & Record<string, unknown> }> = [{ step: 1, record: { eventType: 'Send', mail, send: {} } }];
  const delivered = by(['success', 'delivered', 'complaint', 'ooto']);
  if (delivered.length > 0) {
    const autoReply = by(['ooto']).length > 0;
    records.push({
      step: 2,
      record: {
        eventType: 'Delivery',
        mail,
        delivery: {
          timestamp: at(2),
          processingTimeMillis: 420,
          recipients: delivered,
          smtpResponse: autoReply
            ? '250 2.6.0 Message received; the recipient answered with an out-of-office auto-reply, sent to the sender (SES mailbox simulator ooto@)'
            : '250 2.6.0 Message received',
          reportingMTA: REPORTING_MTA,
          remoteMtaIp: '127.0.0.1',
        },
      },
    });
  }
  const permanentBounce = (bounced: string[], bounceSubType: string, diagnosticCode: string) => {
    if (bounced.length === 0) return;
    records.push({
      step: 2,
      record: {
        eventType: 'Bounce',
        mail,
        bounce: {
          bounceType: 'Permanent',
          bounceSubType,
          bouncedRecipients: bounced.map((emailAddress) => ({ emailAddress, action: 'failed', status: '5.1.1', diagnosticCode })),
          timestamp: at(2),
          feedbackId: feedbackId(),
          reportingMTA: `dsn; ${REPORTING_MTA}`,
        },
      },
    });
  };
  permanentBounce(by(['bounce']), 'General', 'smtp; 550 5.1.1 user unknown');
  permanentBounce(
    by(['suppressionlist']),
    'Suppressed',
    'Amazon SES did not send to this address because it is on the suppression list (SES mailbox simulator suppressionlist@).',
  );
  const complained = by(['complaint']);
  if (complained.length > 0) {
    records.push({
      step: 3,
      record: {
        eventType: 'Complaint',
        mail,
        complaint: {
          complainedRecipients: complained.map((emailAddress) => ({ emailAddress })),
          complaintFeedbackType: 'abuse',
          complaintSubType: null,
          timestamp: at(3),
          feedbackId: feedbackId(),
          userAgent: 'Amazon SES Mailbox Simulator',
          arrivalDate: at(3),
        },
      },
    });
  }

  return records.map(({ step, record }) => ({
    step,
    event: {
      version: '0',
      id: randomUUID(),
      'detail-type': SES_DETAIL_TYPES[record.eventType],
      source: 'aws.ses',
      account: ctx.accountId,
      time: eventTime(when(step)),
      region: ctx.region,
      resources: [],
      detail: record as unknown as Record<string, unknown>,
    },
  }));
}
