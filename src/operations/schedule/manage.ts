import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ExitCode, MailengineError, usageError } from '../../errors.js';
import { EMAIL_ID_PATTERN, REQUEST_DETAIL_TYPE } from '../../model/request.js';
import { MAX_SEND_AT_DAYS, SEND_AT_FORMAT, parseSendAt } from '../../model/send-at.js';
import { WAKE_UP_SOURCE, wakeUpDetail } from '../../model/wake-up.js';
import type { TrackingRecord } from '../../tracking/record.js';
import type { TrackingStore } from '../../tracking/tracking-store.js';

/**
 * `send cancel` and `send reschedule`: one conditional write each on the email's record, which is
 * where a scheduled email waits. The Sender respects the record when the wake-up comes, so a cancel
 * and the moment it fires cannot both win.
 */

export interface CancelResult {
  emailId: string;
  status: 'cancelled';
  /** It had been cancelled before; nothing changed. */
  alreadyCancelled: boolean;
  sendAt?: string;
  cancelledAt?: string;
}

export interface RescheduleResult {
  emailId: string;
  status: 'scheduled';
  sendAt: string;
  previousSendAt?: string;
  /** The wake-up's EventBridge event id: it brings the Sender to the email now, which then waits for the new time. */
  wakeUpEventId: string;
}

const RELATIVE = /^\+(\d{1,6})(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--at`: an ISO 8601 time with its offset, or `+90s`, `+10m`, `+2h`, `+3d` from now. */
export function parseAtOption(text: string, now: Date = new Date()): string {
  const relative = RELATIVE.exec(text.trim());
  const at = relative ? new Date(now.getTime() + Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]) : parseSendAt(text.trim());
  if (!at) throw usageError('INVALID_SEND_AT', `--at ${text} is not a time.`, `Give ${SEND_AT_FORMAT}, or a time from now such as +10m, +2h or +3d.`);
  if (at.getTime() - now.getTime() > MAX_SEND_AT_DAYS * 86_400_000) {
    throw usageError('SEND_AT_TOO_FAR', `--at ${text} is more than ${MAX_SEND_AT_DAYS} days ahead.`, `An email can be scheduled at most ${MAX_SEND_AT_DAYS} days ahead.`);
  }
  return at.toISOString();
}

export function checkEmailId(emailId: string): string {
  if (!EMAIL_ID_PATTERN.test(emailId)) {
    throw usageError('INVALID_EMAIL_ID', `"${emailId.slice(0, 100)}" is not an emailId.`, 'An emailId is 1-200 letters, digits or ._:@+=- starting with a letter or digit.');
  }
  return emailId;
}

function notFound(emailId: string, where: string): MailengineError {
  return new MailengineError('EMAIL_NOT_FOUND', `No email with emailId "${emailId}" ${where}.`, {
    exitCode: ExitCode.NotFound,
    suggestion: 'Check the id and the stack (--stack, --env, --region, --local); `mailengine status lookup --status scheduled` lists the scheduled emails.',
    details: { emailId },
  });
}

/** A record that is past scheduling: exit 1, saying what it is. */
function notScheduled(record: TrackingRecord, action: 'cancelled' | 'rescheduled', where: string): MailengineError {
  const when = record.sentAt ? ` (sent ${record.sentAt})` : record.cancelledAt ? ` (cancelled ${record.cancelledAt})` : '';
  return new MailengineError('EMAIL_NOT_SCHEDULED', `Email ${record.emailId} ${where} is ${record.status}${when}, not scheduled: it cannot be ${action}.`, {
    exitCode: ExitCode.Failed,
    suggestion: `Only an email waiting for its sendAt can be ${action}; see it with \`mailengine status lookup --email-id ${record.emailId}\`.`,
    details: { emailId: record.emailId, status: record.status },
  });
}

export async function cancelScheduledEmail(tracking: Pick<TrackingStore, 'cancelScheduled'>, emailId: string, where: string): Promise<CancelResult> {
  const out = await tracking.cancelScheduled(checkEmailId(emailId));
  if (!out.record) throw notFound(emailId, where);
  const r = out.record;
  if (!out.cancelled && r.status !== 'cancelled') throw notScheduled(r, 'cancelled', where);
  return { emailId, status: 'cancelled', alreadyCancelled: !out.cancelled, ...(r.sendAt ? { sendAt: r.sendAt } : {}), ...(r.cancelledAt ? { cancelledAt: r.cancelledAt } : {}) };
}

export interface RescheduleDeps {
  tracking: Pick<TrackingStore, 'reschedule'>;
  events: Pick<EventBridgeClient, 'send'>;
  eventBusName: string;
  where: string;
}

/**
 * Moves the email's sendAt, then publishes a wake-up on the engine's bus: the Sender looks at the
 * email at once and sets a wake-up for the new time (a move to later needs none, the old wake-up
 * re-defers; a move to earlier does). Only the record and the bus are touched: whoever may publish
 * Email Requests and update the tracking table may reschedule.
 */
export async function rescheduleEmail(deps: RescheduleDeps, emailId: string, at: string): Promise<RescheduleResult> {
  const out = await deps.tracking.reschedule(checkEmailId(emailId), at);
  if (!out.record) throw notFound(emailId, deps.where);
  if (!out.moved) throw notScheduled(out.record, 'rescheduled', deps.where);
  const previousSendAt = out.previousSendAt;
  const put = await deps.events.send(
    new PutEventsCommand({ Entries: [{ EventBusName: deps.eventBusName, Source: WAKE_UP_SOURCE, DetailType: REQUEST_DETAIL_TYPE, Detail: JSON.stringify(wakeUpDetail(emailId)) }] }),
  );
  const entry = put.Entries?.[0];
  if ((put.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
    throw new MailengineError('WAKE_UP_NOT_PUBLISHED', `${emailId} now has sendAt ${at}, but EventBridge refused its wake-up on bus ${deps.eventBusName}: ${entry?.ErrorCode ?? 'no event id'}.`, {
      suggestion: 'A move to a later time still holds (the earlier wake-up waits again); a move to an earlier time goes out at the old time unless you run the reschedule again.',
      details: { emailId, sendAt: at, errorCode: entry?.ErrorCode },
    });
  }
  return { emailId, status: 'scheduled', sendAt: out.record.sendAt ?? at, ...(previousSendAt ? { previousSendAt } : {}), wakeUpEventId: entry.EventId };
}
