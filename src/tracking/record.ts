import { createHash } from 'node:crypto';
import { DAY_SHARDS, SCHEDULED_SHARDS } from '../model/tables.js';
import type { EmailStatus } from '../model/statuses.js';

/** The tracking record of one email, as stored (bodies are never stored). */
export interface TrackingRecord {
  emailId: string;
  recipient?: string;
  templateName?: string;
  status: EmailStatus;
  statusRank: number;
  createdAt: string;
  updatedAt: string;
  dayShard: string;
  /** SendEmail calls made for this email. */
  attempts: number;
  sesMessageId?: string;
  sentAt?: string;
  deliveredAt?: string;
  errorType?: string;
  errorMessage?: string;
  /** The last transient error while the email waits for another try. */
  lastError?: string;
  source?: string;
  /** The EventBridge event id of the request that created the record. */
  eventId: string;
  subject?: string;
  fromAddress?: string;
  tags?: Record<string, string>;
  metadata?: Record<string, unknown>;
  /** Keys of the email's attachments the engine deletes once sent (not those sent with `keep`); `erase` deletes any still there. */
  attachmentKeys?: string[];
  /** The time the request asked to be sent at (ISO UTC); moved by a reschedule. */
  sendAt?: string;
  /** When a scheduled email was cancelled. */
  cancelledAt?: string;
  /** Present only while the email is `scheduled`: the key of the by-send-at index (scheduledShardOf). */
  scheduledShard?: string;
  /**
   * The request message as it arrived, kept from the moment it is scheduled until it is sent (or
   * ends otherwise): the wake-ups carry only the emailId, the record is where the request waits.
   */
  pendingRequest?: string;
  /** While a Sender holds the claim (epoch ms). */
  leaseUntil?: number;
  expiresAt: number;
}

/** One entry of an email's audit trail. */
export interface HistoryEntry {
  emailId: string;
  event: string;
  status?: EmailStatus;
  time: string;
  /**
   * Orders the entry in the table and makes it unique with `eventId`. Defaults to `time`; the
   * Sender passes the request's own time so a redelivered message maps onto the same entry.
   */
  keyTime?: string;
  eventId: string;
  details?: Record<string, unknown>;
  /** Keep the entry at least until this time (ISO), as long as its record: a scheduled email's entries live past its sendAt. */
  keepFrom?: string;
}

/** Spreads one day's records over DAY_SHARDS partitions so the by-day index has no hot key. */
export function dayShardOf(emailId: string, isoTime: string): string {
  const shard = createHash('sha256').update(emailId).digest().readUInt32BE(0) % DAY_SHARDS;
  return `${isoTime.slice(0, 10)}#${shard}`;
}

/** Spreads the scheduled records over SCHEDULED_SHARDS partitions of the by-send-at index. */
export function scheduledShardOf(emailId: string): string {
  return `scheduled#${createHash('sha256').update(emailId).digest().readUInt32BE(0) % SCHEDULED_SHARDS}`;
}

export function expiryFor(now: Date, retentionDays: number): number {
  return Math.floor(now.getTime() / 1000) + retentionDays * 86_400;
}
