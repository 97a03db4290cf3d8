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
  sentAt?: string;
  deliveredAt?: string;
  sesMessageId?: string;
  attempts: number;
  errorType?: string;
  errorMessage?: string;
  lastError?: string;
  tags?: Record<string, string>;
  metadata?: Record<string, unknown>;
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
    sentAt: record.sentAt,
    deliveredAt: record.deliveredAt,
    sesMessageId: record.sesMessageId,
    attempts: record.attempts,
    errorType: record.errorType,
    errorMessage: record.errorMessage,
    lastError: record.lastError,
    tags: record.tags,
    metadata: record.metadata,
    expiresAt: typeof record.expiresAt === 'number' ? new Date(record.expiresAt * 1000).toISOString() : undefined,
    history: history.map((h) => ({ time: h.time, event: h.event, status: h.status, details: h.details })),
  };
  // Absent fields are left out, so `--json` shows what is known and nothing else.
  return Object.fromEntries(Object.entries(view).filter(([, v]) => v !== undefined)) as unknown as EmailView;
}
