import type { FeedbackKind } from '../model/ses-event.js';
import type { HistoryEntry, TrackingRecord } from '../tracking/record.js';

/** One step of an email's timeline, as `status lookup` shows it. */
export interface TimelineEntry {
  time: string;
  event: string;
  status?: string;
  details?: Record<string, unknown>;
}

/** An email as `status lookup` reports it: the record without storage internals, and its timeline. */
export interface EmailView {
  emailId: string;
  recipient?: string;
  status: string;
  templateName?: string;
  subject?: string;
  source?: string;
  createdAt: string;
  updatedAt: string;
  /** When a scheduled email is (or was) to be sent. */
  sendAt?: string;
  cancelledAt?: string;
  sentAt?: string;
  deliveredAt?: string;
  sesMessageId?: string;
  attempts: number;
  errorType?: string;
  errorMessage?: string;
  lastError?: string;
  tags?: Record<string, string>;
  metadata?: Record<string, unknown>;
  /** The S3 keys of the files the request attached (deleted after sending unless kept). */
  attachments?: string[];
  /** When DynamoDB's TTL removes the record and its history. */
  expiresAt?: string;
  history: TimelineEntry[];
}

export function emailView(record: TrackingRecord, history: HistoryEntry[]): EmailView {
  const view: EmailView = {
    emailId: record.emailId,
    recipient: record.recipient,
    status: record.status,
    templateName: record.templateName,
    subject: record.subject,
    source: record.source,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    sendAt: record.sendAt,
    cancelledAt: record.cancelledAt,
    sentAt: record.sentAt,
    deliveredAt: record.deliveredAt,
    sesMessageId: record.sesMessageId,
    attempts: record.attempts,
    errorType: record.errorType,
    errorMessage: record.errorMessage,
    lastError: record.lastError,
    tags: record.tags,
    metadata: record.metadata,
    attachments: record.attachmentKeys?.length ? record.attachmentKeys : undefined,
    expiresAt: typeof record.expiresAt === 'number' ? new Date(record.expiresAt * 1000).toISOString() : undefined,
    history: timelineOrder(history.map((h) => ({ time: h.time, event: h.event, status: h.status, details: h.details }))),
  };
  // Absent fields are left out, so `--json` shows what is known and nothing else.
  return Object.fromEntries(Object.entries(view).filter(([, v]) => v !== undefined)) as unknown as EmailView;
}

/**
 * SES's events, in the order they happen to one message. SES stamps some of them with whole
 * seconds only (the EventBridge envelope time), and its clock is not the Sender's.
 */
const SES_EVENT_ORDER: Record<FeedbackKind, number> = {
  send: 0,
  rendering_failure: 1,
  reject: 2,
  delivery_delay: 3,
  soft_bounce: 4,
  delivery: 5,
  hard_bounce: 6,
  complaint: 7,
  open: 8,
  click: 9,
  subscription: 10,
};

/**
 * A timeline in the order things happened: by event time, to the second. Within one second the
 * Sender's own entries come first (SES cannot report on a message before the Sender sent it: a
 * first, cold send records `sent` after SES has already stamped the delivery), then SES's events
 * in the order they happen to a message, then by the exact time. An unreadable time goes last.
 */
export function timelineOrder<T extends { time: string; event: string }>(entries: readonly T[]): T[] {
  const key = (entry: T): [number, number, number] => {
    const ms = Date.parse(entry.time);
    if (Number.isNaN(ms)) return [Number.MAX_SAFE_INTEGER, 0, 0];
    const ses = (SES_EVENT_ORDER as Record<string, number | undefined>)[entry.event];
    return [Math.floor(ms / 1000), ses === undefined ? 0 : 1 + ses, ms];
  };
  return entries
    .map((entry) => ({ entry, key: key(entry) }))
    .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2])
    .map(({ entry }) => entry);
}
