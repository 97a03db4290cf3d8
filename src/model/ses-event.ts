import { emailIdFromTags } from './ses-tags.js';
import type { EmailStatus } from './statuses.js';

/**
 * SES event records as EventBridge delivers them: the envelope's `detail` is the same record SES
 * publishes to SNS or Firehose (`eventType`, `mail`, and one object named after the event).
 */
export interface SesEventRecord {
  eventType: string;
  mail: {
    timestamp?: string;
    messageId: string;
    source?: string;
    destination?: string[];
    tags?: Record<string, string[]>;
  };
  bounce?: { bounceType?: string; bounceSubType?: string; bouncedRecipients?: Array<{ emailAddress: string; diagnosticCode?: string; status?: string; action?: string }>; timestamp?: string; feedbackId?: string; reportingMTA?: string; remoteMtaIp?: string };
  complaint?: { complainedRecipients?: Array<{ emailAddress: string }>; complaintFeedbackType?: string; complaintSubType?: string | null; timestamp?: string; feedbackId?: string; userAgent?: string; arrivalDate?: string };
  delivery?: { timestamp?: string; recipients?: string[]; processingTimeMillis?: number; smtpResponse?: string; reportingMTA?: string; remoteMtaIp?: string };
  send?: Record<string, unknown>;
  reject?: { reason?: string };
  open?: { timestamp?: string; userAgent?: string; ipAddress?: string };
  click?: { timestamp?: string; link?: string; userAgent?: string; ipAddress?: string };
  failure?: { errorMessage?: string; templateName?: string };
  deliveryDelay?: { timestamp?: string; delayType?: string; expirationTime?: string; delayedRecipients?: Array<{ emailAddress: string; status?: string; diagnosticCode?: string }> };
  subscription?: { contactList?: string; timestamp?: string; source?: string; newTopicPreferences?: unknown; oldTopicPreferences?: unknown };
}

export type FeedbackKind =
  | 'send'
  | 'delivery'
  | 'hard_bounce'
  | 'soft_bounce'
  | 'complaint'
  | 'reject'
  | 'delivery_delay'
  | 'open'
  | 'click'
  | 'rendering_failure'
  | 'subscription';

/** One SES event, reduced to what the engine acts on. */
export interface FeedbackEvent {
  /** The EventBridge event id: the idempotency key for history entries. */
  eventId: string;
  kind: FeedbackKind;
  /** The status this event implies; undefined for events that only add history. */
  status?: EmailStatus;
  messageId: string;
  /** The engine's emailId, from the `emailId` message tag when SES carried it. */
  emailId?: string;
  configurationSet?: string;
  /** Addresses this event concerns (bounced, complained, delayed, delivered). */
  recipients: string[];
  time: string;
  /**
   * When SES accepted the message (`mail.timestamp`), on every event that proves it did (not a
   * Reject or a Rendering Failure): it completes a record whose own `sent` write was lost.
   */
  acceptedAt?: string;
  details: Record<string, unknown>;
}

const KIND: Record<string, FeedbackKind | undefined> = {
  Send: 'send',
  Delivery: 'delivery',
  Complaint: 'complaint',
  Reject: 'reject',
  DeliveryDelay: 'delivery_delay',
  Open: 'open',
  Click: 'click',
  'Rendering Failure': 'rendering_failure',
  Subscription: 'subscription',
};

const STATUS: Record<FeedbackKind, EmailStatus | undefined> = {
  send: 'sent',
  delivery: 'delivered',
  hard_bounce: 'bounced',
  soft_bounce: 'soft_bounced',
  complaint: 'complained',
  reject: 'rejected',
  delivery_delay: 'delivery_delayed',
  open: 'opened',
  click: 'clicked',
  rendering_failure: 'failed',
  subscription: undefined,
};

export class UnrecognisedEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnrecognisedEvent';
  }
}

const lower = (addresses: Array<string | undefined> | undefined) => (addresses ?? []).filter((a): a is string => typeof a === 'string').map((a) => a.toLowerCase());

/**
 * Reads one SQS message body (an EventBridge event from `aws.ses`). Undetermined bounces count as
 * soft: SES could not say the address is bad, so the engine does not suppress it on one event.
 */
export function parseSesEvent(body: string): FeedbackEvent {
  let envelope: { id?: string; time?: string; detail?: SesEventRecord };
  try {
    envelope = JSON.parse(body);
  } catch {
    throw new UnrecognisedEvent('the message is not JSON');
  }
  const record = envelope?.detail;
  if (!record || typeof record !== 'object' || typeof record.eventType !== 'string' || typeof record.mail?.messageId !== 'string') {
    throw new UnrecognisedEvent('the message is not an SES event (no detail.eventType or detail.mail.messageId)');
  }
  const eventId = typeof envelope.id === 'string' && envelope.id ? envelope.id : `${record.mail.messageId}:${record.eventType}`;
  let kind = KIND[record.eventType];
  if (record.eventType === 'Bounce') kind = record.bounce?.bounceType === 'Permanent' ? 'hard_bounce' : 'soft_bounce';
  if (!kind) throw new UnrecognisedEvent(`unknown SES eventType "${record.eventType}"`);

  const tags = record.mail.tags ?? {};
  const { recipients, time, details } = describe(kind, record, envelope.time);
  const accepted = kind === 'reject' || kind === 'rendering_failure' ? undefined : Date.parse(record.mail.timestamp ?? '');
  const acceptedAt = accepted !== undefined && Number.isFinite(accepted) ? new Date(accepted).toISOString() : undefined;
  return {
    eventId,
    kind,
    status: STATUS[kind],
    messageId: record.mail.messageId,
    emailId: emailIdFromTags(tags),
    configurationSet: tags['ses:configuration-set']?.[0],
    recipients,
    time,
    ...(acceptedAt ? { acceptedAt } : {}),
    details,
  };
}

function describe(kind: FeedbackKind, r: SesEventRecord, envelopeTime: string | undefined) {
  const fallback = envelopeTime ?? r.mail.timestamp ?? new Date().toISOString();
  switch (kind) {
    case 'hard_bounce':
    case 'soft_bounce':
      return {
        recipients: lower(r.bounce?.bouncedRecipients?.map((b) => b.emailAddress)),
        time: r.bounce?.timestamp ?? fallback,
        details: {
          bounceType: r.bounce?.bounceType,
          bounceSubType: r.bounce?.bounceSubType,
          diagnosticCode: r.bounce?.bouncedRecipients?.[0]?.diagnosticCode,
        },
      };
    case 'complaint':
      return {
        recipients: lower(r.complaint?.complainedRecipients?.map((c) => c.emailAddress)),
        time: r.complaint?.timestamp ?? fallback,
        details: { feedbackType: r.complaint?.complaintFeedbackType, subType: r.complaint?.complaintSubType ?? undefined },
      };
    case 'delivery':
      return { recipients: lower(r.delivery?.recipients), time: r.delivery?.timestamp ?? fallback, details: { smtpResponse: r.delivery?.smtpResponse, processingTimeMillis: r.delivery?.processingTimeMillis } };
    case 'delivery_delay':
      return {
        recipients: lower(r.deliveryDelay?.delayedRecipients?.map((d) => d.emailAddress)),
        time: r.deliveryDelay?.timestamp ?? fallback,
        details: { delayType: r.deliveryDelay?.delayType, expirationTime: r.deliveryDelay?.expirationTime },
      };
    case 'open':
      return { recipients: lower(r.mail.destination), time: r.open?.timestamp ?? fallback, details: { userAgent: r.open?.userAgent } };
    case 'click':
      return { recipients: lower(r.mail.destination), time: r.click?.timestamp ?? fallback, details: { link: r.click?.link, userAgent: r.click?.userAgent } };
    case 'reject':
      return { recipients: lower(r.mail.destination), time: fallback, details: { reason: r.reject?.reason } };
    case 'rendering_failure':
      return { recipients: lower(r.mail.destination), time: fallback, details: { errorMessage: r.failure?.errorMessage } };
    case 'subscription':
      return { recipients: lower(r.mail.destination), time: r.subscription?.timestamp ?? fallback, details: { contactList: r.subscription?.contactList, newTopicPreferences: r.subscription?.newTopicPreferences } };
    case 'send':
      return { recipients: lower(r.mail.destination), time: r.mail.timestamp ?? fallback, details: {} };
  }
}
