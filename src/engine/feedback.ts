import type { SuppressionStore } from '../suppression/suppression-store.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import { awsErrorName } from './aws-error.js';
import { parseSesEvent, UnrecognisedEvent, type FeedbackEvent } from './ses-event.js';
import type { SqsBatchResponse, SqsEvent, SqsRecord } from './sqs.js';
import { silentLogger, type EngineLogger, type StatusEventPublisher } from './status-events.js';

export interface FeedbackConfig {
  /** Consecutive soft bounces after which an address is suppressed. */
  softBounceThreshold: number;
  /** Ignore events of other configuration sets (the rule already filters; this is a second lock). */
  configurationSet?: string;
}

export interface FeedbackDeps {
  tracking: TrackingStore;
  suppression: SuppressionStore;
  statusEvents?: StatusEventPublisher;
  config: FeedbackConfig;
  log?: EngineLogger;
}

/** The event could not be matched to an email yet (the by-message-id index lags): try again later. */
class NotYetKnown extends Error {}

/**
 * The Feedback handler: SES events in, tracking status and history, suppression and "Email Status
 * Changed" events out. Every step is idempotent, so a repeated or reordered event changes nothing
 * it should not.
 */
export function createFeedback(deps: FeedbackDeps) {
  const log = deps.log ?? silentLogger;

  async function handle(event: SqsEvent): Promise<SqsBatchResponse> {
    const failures: string[] = [];
    for (const record of event.Records) {
      try {
        await processRecord(record);
      } catch (err) {
        if (err instanceof UnrecognisedEvent) {
          // Retrying cannot help; log it and let it go rather than poison the queue.
          log.error('feedback.unrecognised', { messageId: record.messageId, error: err.message });
          continue;
        }
        log.warn('feedback.retry', { messageId: record.messageId, error: String(err), name: awsErrorName(err) });
        failures.push(record.messageId);
      }
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  }

  async function processRecord(record: SqsRecord): Promise<void> {
    const event = parseSesEvent(record.body);
    if (deps.config.configurationSet && event.configurationSet && event.configurationSet !== deps.config.configurationSet) {
      log.info('feedback.other-configuration-set', { configurationSet: event.configurationSet });
      return;
    }
    const emailId = event.emailId ?? (await deps.tracking.findEmailIdByMessageId(event.messageId));
    if (!emailId) throw new NotYetKnown(`no email with SES message id ${event.messageId} yet`);
    const existing = await deps.tracking.get(emailId);
    if (!existing) throw new NotYetKnown(`no tracking record ${emailId} yet`);

    await applySuppression(event, emailId);

    const changed = event.status
      ? await deps.tracking.moveStatus(emailId, event.status, event.time, {
          sesMessageId: existing.sesMessageId ? undefined : event.messageId,
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
  }

  /** Hard bounces and complaints suppress at once; soft bounces after N in a row; a delivery resets the count. */
  async function applySuppression(event: FeedbackEvent, emailId: string): Promise<void> {
    const details = { emailId, sesMessageId: event.messageId, ...event.details };
    for (const address of event.recipients) {
      switch (event.kind) {
        case 'hard_bounce':
          await deps.suppression.suppress(address, 'bounce', 'ses', details);
          break;
        case 'complaint':
          await deps.suppression.suppress(address, 'complaint', 'ses', details);
          break;
        case 'soft_bounce':
          await deps.suppression.recordSoftBounce(address, event.eventId, deps.config.softBounceThreshold);
          break;
        case 'delivery':
          await deps.suppression.resetSoftBounces(address);
          break;
        default:
          break;
      }
    }
  }

  return handle;
}
