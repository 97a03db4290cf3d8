import { parseRequestMessage, type EmailRequest } from '../model/request.js';
import type { WakeUp } from '../model/wake-up.js';
import type { TrackingRecord } from '../tracking/record.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import type { WakeUpPort } from './schedule.js';
import type { SqsRecord } from './sqs.js';
import type { EngineLogger } from './status-events.js';

/** What the Sender did with a scheduled request or a wake-up, besides sending it. */
export type ScheduleOutcome = 'scheduled' | 'deferred' | 'dropped';

/** How many times a wake-up re-reads a record that changed under its conditional write. */
const WAKE_UP_READS = 3;

/**
 * The Sender's side of scheduled sends (src/engine/schedule.ts says how wake-ups work):
 * - `scheduleLater`: a request whose `sendAt` is ahead becomes a `scheduled` record holding the
 *   request, and a wake-up is set for `sendAt`;
 * - `wakeUp`: a wake-up takes a due scheduled email with one conditional write
 *   (`scheduled` and `sendAt <= now` → `queued`) and sends the request the record holds; one that
 *   comes early sets another, one for a cancelled or sent email is dropped.
 */
export function scheduledSends(ctx: {
  tracking: TrackingStore;
  wakeUps?: WakeUpPort;
  log: EngineLogger;
  now: () => Date;
  /** The Sender's answer to a request whose emailId is taken (a duplicate, or a conflict). */
  recordTaken(request: EmailRequest, existing: TrackingRecord): Promise<string>;
  /** The Sender's normal path from the claim on. */
  send(request: EmailRequest): Promise<string>;
}) {
  const { tracking, log, now } = ctx;

  const wakeAt = (emailId: string, sendAt: string, via: SqsRecord) => {
    if (!ctx.wakeUps) throw new Error('this Sender has no way to wake up scheduled emails (no send queue or scheduler configured)');
    return ctx.wakeUps.wakeAt(emailId, new Date(sendAt), via);
  };

  async function scheduleLater(request: EmailRequest & { sendAt: string }, message: SqsRecord): Promise<string> {
    const facts = { emailId: request.emailId, eventId: request.eventId, recipient: request.recipient, templateName: request.templateName, source: request.source, tags: request.tags, metadata: request.metadata, requestedAt: request.requestedAt };
    let sendAt = request.sendAt;
    if (!(await tracking.recordScheduled(facts, sendAt, message.body))) {
      const existing = await tracking.get(request.emailId);
      if (!existing) throw new Error(`the record of ${request.emailId} was not written and is not there`);
      if (existing.eventId !== request.eventId || existing.status !== 'scheduled') return ctx.recordTaken(request, existing);
      // A redelivery of this request: its wake-up may never have been set. The record's time counts (a reschedule moves it).
      sendAt = existing.sendAt ?? sendAt;
    }
    // Written whether or not the record was new (the entry is keyed on the event): a redelivery completes what a crash left out.
    await tracking.addHistory({ emailId: request.emailId, event: 'scheduled', status: 'scheduled', time: now().toISOString(), keyTime: request.keyTime, eventId: `${request.eventId}:scheduled`, details: { sendAt: request.sendAt }, keepFrom: sendAt });
    const via = await wakeAt(request.emailId, sendAt, message);
    log.info('send.scheduled', { emailId: request.emailId, sendAt, wakeUp: via });
    return 'scheduled';
  }

  async function wakeUp(wake: WakeUp, message: SqsRecord): Promise<string> {
    let record = await tracking.get(wake.emailId);
    for (let read = 1; record?.status === 'scheduled'; read++) {
      const sendAt = record.sendAt ?? now().toISOString();
      if (Date.parse(sendAt) > now().getTime()) {
        // Early: the email was moved later (or the wake-up came before its second). Wake again then.
        const via = await wakeAt(wake.emailId, sendAt, message);
        log.info('schedule.early-wake-up', { emailId: wake.emailId, sendAt, wakeUp: via });
        return 'deferred';
      }
      const taken = await tracking.takeDue(wake.emailId);
      if (taken) {
        record = taken;
        break;
      }
      // Cancelled, moved, or taken by another wake-up in the meantime: look again.
      if (read >= WAKE_UP_READS) throw new Error(`the record of ${wake.emailId} keeps changing under its wake-up`);
      record = await tracking.get(wake.emailId);
    }
    if (!record) {
      log.warn('schedule.wake-up-dropped', { emailId: wake.emailId, reason: 'no record (erased, or expired)' });
      return 'dropped';
    }
    if ((record.status === 'queued' || record.status === 'sending') && record.pendingRequest) {
      const parsed = parseRequestMessage(record.pendingRequest, message.messageId, now());
      if (!parsed.ok) throw new Error(`the request kept on the record of ${wake.emailId} no longer parses: ${parsed.rejected.failure.message}`);
      // The record's event is the one that was scheduled; its time is the record's (a reschedule moved it), and it has come.
      const { sendAt: _asked, ...request } = parsed.request;
      return ctx.send({ ...request, eventId: record.eventId });
    }
    log.info('schedule.wake-up-dropped', { emailId: wake.emailId, status: record.status });
    return 'dropped';
  }

  return { scheduleLater, wakeUp };
}
