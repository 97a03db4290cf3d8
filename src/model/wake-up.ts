import { randomUUID } from 'node:crypto';
import { EMAIL_ID_PATTERN, REQUEST_DETAIL_TYPE } from './request.js';

/**
 * A wake-up: the message that prompts the Sender to look at a scheduled email. It carries only
 * the emailId; the record holds the time and the request (src/engine/schedule.ts). It travels as
 * an "Email Request" event, so it reaches the send queue through the same bus rule and bus policy
 * as a request, and whoever publishes one can do no more than make the Sender look: a wake-up
 * sends only an email whose record is `scheduled` and due.
 */
export const WAKE_UP_SOURCE = 'mailengine.schedule';

export interface WakeUp {
  emailId: string;
  eventId: string;
}

/** The `detail` of a wake-up event. */
export function wakeUpDetail(emailId: string): { emailId: string; wakeUp: true } {
  return { emailId, wakeUp: true };
}

/** A wake-up as an SQS message body: the EventBridge event the bus rule would deliver. */
export function wakeUpMessage(emailId: string, now: Date, id: string = randomUUID()): string {
  return JSON.stringify({
    version: '0',
    id,
    'detail-type': REQUEST_DETAIL_TYPE,
    source: WAKE_UP_SOURCE,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    resources: [],
    detail: wakeUpDetail(emailId),
  });
}

/** The wake-up a message body is, or undefined for anything else (a request goes on to parseRequestMessage). */
export function parseWakeUp(body: string): WakeUp | undefined {
  // Cheap test first: almost every message is a request.
  if (!body.includes('"wakeUp"')) return undefined;
  let event: { id?: unknown; 'detail-type'?: unknown; detail?: unknown };
  try {
    event = JSON.parse(body) as typeof event;
  } catch {
    return undefined;
  }
  if (typeof event !== 'object' || event === null || event['detail-type'] !== REQUEST_DETAIL_TYPE) return undefined;
  const detail = event.detail as Record<string, unknown> | null;
  if (typeof detail !== 'object' || detail === null || detail.wakeUp !== true) return undefined;
  const keys = Object.keys(detail);
  if (keys.length !== 2 || typeof detail.emailId !== 'string' || !EMAIL_ID_PATTERN.test(detail.emailId)) return undefined;
  return { emailId: detail.emailId, eventId: typeof event.id === 'string' && /^[A-Za-z0-9-]{1,128}$/.test(event.id) ? event.id : 'wake-up' };
}
