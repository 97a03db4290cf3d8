import type { SoftBounceRun, SuppressionStore } from '../suppression/suppression-store.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import type { TrackingRecord } from '../tracking/record.js';
import { awsErrorName, isThrottling } from '../aws/error-names.js';
import { ENGINE_METRIC, noMetrics, type EngineMetrics } from './metrics.js';
import { parseSesEvent, UnrecognisedEvent, type FeedbackEvent } from '../model/ses-event.js';
import type { SqsBatchResponse, SqsEvent, SqsRecord } from './sqs.js';
import { silentLogger, type EngineLogger, type StatusEventPublisher } from './status-events.js';

export interface FeedbackConfig {
  /** Consecutive soft bounces after which an address is suppressed. */
  softBounceThreshold: number;
  /** Ignore events of other configuration sets (the rule already filters; this is a second lock). */
  configurationSet?: string;
  /** The feedback queue's maxReceiveCount, when known: a message handed back on that receive goes to the DLQ next. */
  maxReceiveCount?: number;
  /**
   * How long an event with no `emailId` tag whose SES message id matches no record is retried: the
   * by-message-id index is eventually consistent and the Sender writes the message id only after
   * SES answered. Past either bound the record is not coming; the event is let go.
   */
  unmatchedRetry?: { receives: number; ageMs: number };
}

export interface FeedbackDeps {
  tracking: TrackingStore;
  suppression: SuppressionStore;
  statusEvents?: StatusEventPublisher;
  config: FeedbackConfig;
  log?: EngineLogger;
  metrics?: EngineMetrics;
  now?: () => Date;
}

/** Three receives (about six minutes at the queue's 180 s visibility timeout) or a quarter of an hour. */
export const DEFAULT_UNMATCHED_RETRY = { receives: 3, ageMs: 15 * 60_000 };

/** The event could not be matched to an email yet (the by-message-id index lags): try again later. */
class NotYetKnown extends Error {}

type Outcome = 'applied' | 'unmatched' | 'ignored';

/**
 * The Feedback handler: SES events in, suppression, tracking status and history, and "Email Status
 * Changed" events out. Suppression comes first and needs no tracking record, so a bounce or
 * complaint protects the address even when its record is gone. Every step is idempotent, so a
 * repeated or reordered event changes nothing it should not.
 */
export function createFeedback(deps: FeedbackDeps) {
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noMetrics;
  const now = deps.now ?? (() => new Date());
  const unmatchedRetry = deps.config.unmatchedRetry ?? DEFAULT_UNMATCHED_RETRY;

  async function handle(event: SqsEvent): Promise<SqsBatchResponse> {
    const failures: string[] = [];
    for (const record of event.Records) {
      try {
        if ((await processRecord(record)) === 'unmatched') metrics.count(ENGINE_METRIC.unmatched);
      } catch (err) {
        if (err instanceof UnrecognisedEvent) {
          // Retrying cannot help; log it and let it go rather than poison the queue.
          log.error('feedback.unrecognised', { messageId: record.messageId, error: err.message });
          metrics.count(ENGINE_METRIC.failed);
          continue;
        }
        handBack(record, err);
        failures.push(record.messageId);
      }
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  }

  function handBack(record: SqsRecord, err: unknown): void {
    const receives = receiveCount(record);
    const last = deps.config.maxReceiveCount !== undefined && receives >= deps.config.maxReceiveCount;
    log[last ? 'error' : 'warn'](last ? 'feedback.dead-lettered' : 'feedback.retry', { messageId: record.messageId, receives, error: String(err), name: awsErrorName(err) });
    metrics.count(ENGINE_METRIC.retried);
    if (isThrottling(err)) metrics.count(ENGINE_METRIC.throttled);
    if (last) metrics.count(ENGINE_METRIC.deadLettered);
  }

  async function processRecord(record: SqsRecord): Promise<Outcome> {
    const event = parseSesEvent(record.body);
    if (deps.config.configurationSet && event.configurationSet && event.configurationSet !== deps.config.configurationSet) {
      log.info('feedback.other-configuration-set', { configurationSet: event.configurationSet });
      return 'ignored';
    }
    await applySuppression(event);

    const existing = await findRecord(event);
    if (!existing) {
      // The tag names the record directly (read consistently), so a miss is final; a miss through
      // the index may only be the index or the Sender's write running late.
      if (!event.emailId && mayStillAppear(record)) throw new NotYetKnown(`no email with SES message id ${event.messageId} yet`);
      log.warn('feedback.unmatched', { messageId: record.messageId, sesMessageId: event.messageId, emailId: event.emailId, kind: event.kind, receives: receiveCount(record) });
      return 'unmatched';
    }
    const emailId = existing.emailId;

    const changed = event.status
      ? await deps.tracking.moveStatus(emailId, event.status, event.time, {
          sesMessageId: existing.sesMessageId ? undefined : event.messageId,
          // The Sender's own `sent` write may have been lost after SES accepted (a crash, an outage).
          sentAt: existing.sentAt ? undefined : event.acceptedAt,
          ...(event.status === 'failed' ? { errorType: 'rendering_failure', errorMessage: String(event.details.errorMessage ?? '') } : {}),
        })
      : false;
    const fresh = await deps.tracking.addHistory({ emailId, event: event.kind, status: event.status, time: event.time, eventId: event.eventId, details: event.details });

    if (changed && fresh && event.status && deps.statusEvents) {
      try {
        await deps.statusEvents.publish({
          emailId,
          recipient: existing.recipient,
          templateName: existing.templateName,
          status: event.status,
          sesMessageId: event.messageId,
          time: event.time,
          cause: event.kind,
        });
      } catch (err) {
        log.warn('feedback.status-event-failed', { emailId, error: String(err) });
      }
    }
    log.info('feedback.applied', { emailId, kind: event.kind, changed, repeat: !fresh });
    return 'applied';
  }

  async function findRecord(event: FeedbackEvent): Promise<TrackingRecord | undefined> {
    const emailId = event.emailId ?? (await deps.tracking.findEmailIdByMessageId(event.messageId));
    return emailId ? deps.tracking.get(emailId) : undefined;
  }

  /** Whether an unmatched record may still be written: early receives, a young message, and never on the receive that dead-letters. */
  function mayStillAppear(record: SqsRecord): boolean {
    const receives = receiveCount(record);
    const sentAt = Number(record.attributes?.SentTimestamp);
    const young = !Number.isFinite(sentAt) || now().getTime() - sentAt < unmatchedRetry.ageMs;
    const belowDlq = deps.config.maxReceiveCount === undefined || receives < deps.config.maxReceiveCount;
    return receives < unmatchedRetry.receives && young && belowDlq;
  }

  /**
   * From the event's own recipients, with or without a record. Hard bounces and complaints
   * suppress at once; soft bounces once `softBounceThreshold` of them came after the last
   * delivery; a delivery ends the run of soft bounces before it. Each step is idempotent.
   */
  async function applySuppression(event: FeedbackEvent): Promise<void> {
    const details = { emailId: event.emailId, sesMessageId: event.messageId, ...event.details };
    const suppresses = event.kind === 'hard_bounce' || event.kind === 'complaint' || event.kind === 'soft_bounce';
    for (const address of event.recipients) {
      if (suppresses && (await deps.suppression.isErased(address))) {
        await applyToErased(address, event);
        continue;
      }
      switch (event.kind) {
        case 'hard_bounce':
          await deps.suppression.suppress(address, 'bounce', 'ses', details);
          break;
        case 'complaint':
          await deps.suppression.suppress(address, 'complaint', 'ses', details);
          break;
        case 'soft_bounce': {
          const count = softBouncesSinceDelivery(await deps.suppression.recordSoftBounce(address, event.eventId, event.time));
          // Also on a repeat of the event that reached the threshold, in case the first try stopped here.
          if (count >= deps.config.softBounceThreshold) await deps.suppression.suppress(address, 'soft_bounce', 'ses', { ...details, consecutiveSoftBounces: count });
          break;
        }
        case 'delivery':
          await deps.suppression.resetSoftBounces(address, event.time);
          break;
        default:
          break;
      }
    }
  }

  /**
   * Feedback for an address that was erased: a bounce or complaint is kept as the keyed hash with
   * its reason only (no details: they quote the address), so the address stays blocked without
   * being stored again. Soft bounces are not counted for an erased address.
   */
  async function applyToErased(address: string, event: FeedbackEvent): Promise<void> {
    if (event.kind === 'hard_bounce') await deps.suppression.suppressHashed(address, 'bounce', event.time);
    if (event.kind === 'complaint') await deps.suppression.suppressHashed(address, 'complaint', event.time);
    log.info('feedback.erased-recipient', { emailId: event.emailId, kind: event.kind, kept: event.kind === 'soft_bounce' ? 'nothing' : 'keyed-hash' });
  }

  return handle;
}

/** SQS's ApproximateReceiveCount of the message; 1 when the event source did not say. */
function receiveCount(record: SqsRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isInteger(count) && count > 0 ? count : 1;
}

/**
 * The soft bounces that count toward suppression: distinct SES events newer than the last
 * delivery (a bounce no newer than it is kept but not counted), however often each was delivered.
 */
export function softBouncesSinceDelivery(run: SoftBounceRun): number {
  const since = run.resetAt ?? '';
  return new Set(run.bounces.filter((b) => b.time > since).map((b) => b.eventId)).size;
}
