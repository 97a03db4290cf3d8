import { SendEmailCommand, type SendEmailCommandInput, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { SuppressionEntry, SuppressionStore } from '../suppression/suppression-store.js';
import { renderTemplate } from '../templates/render.js';
import type { PreparedTemplate } from '../templates/template.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import { normaliseAddress } from '../model/address.js';
import type { TrackingRecord } from '../tracking/record.js';
import type { ClaimResult } from '../tracking/tracking-store.js';
import { awsErrorName, httpStatus, isThrottling, isTransient } from '../aws/error-names.js';
import { ERROR_TYPES, PermanentFailure } from '../model/error-types.js';
import type { SendPacer } from './pacer.js';
import { headerTextProblem, isValidAddress, parseRequestMessage, type EmailRequest, type RejectedRequest } from '../model/request.js';
import { DEFAULT_REQUEUE_POLICY, requeueDelayMs, requeueStateOf, type RequeuePolicy, type RequeuePort } from './requeue.js';
import { emailIdTags, toTagValue } from '../model/ses-tags.js';
import type { InvocationContext, SqsBatchResponse, SqsEvent, SqsRecord } from './sqs.js';
import { silentLogger, type EngineLogger, type StatusEventPublisher } from './status-events.js';
import { ENGINE_METRIC, noMetrics, type EngineMetrics } from './metrics.js';
import { ENGINE_DEFAULTS } from './defaults.js';
import { checkTemplateData, templateFailure, type TemplateSource } from './template-source.js';
import { backoffDelay } from '../util/backoff.js';
import { parseWakeUp } from '../model/wake-up.js';
import type { WakeUpPort } from './schedule.js';
import { scheduledSends, type ScheduleOutcome } from './scheduled-sends.js';
import { mapConcurrent } from '../util/pool.js';
import { sleep as realSleep } from '../util/sleep.js';
import { contentBytes, type AttachmentSource } from './attachments.js';

export interface SenderConfig {
  configurationSet: string;
  defaultFrom: { email: string; name?: string };
  /** Records processed at once within one batch (default `ENGINE_DEFAULTS.senderParallelism`). */
  parallelism?: number;
}

export interface SenderDeps {
  tracking: TrackingStore;
  suppression: SuppressionStore;
  templates: TemplateSource;
  /** Reads requests' attachments from S3; a request with attachments fails without it. */
  attachments?: AttachmentSource;
  ses: Pick<SESv2Client, 'send'>;
  statusEvents?: StatusEventPublisher;
  /** Paces SendEmail calls to this instance's share of the SES rate; without it, sends are not paced. */
  pacer?: SendPacer;
  /** Gives throttled requests back to the queue as delayed copies; without it they fail back as batch item failures. */
  requeue?: RequeuePort;
  requeuePolicy?: RequeuePolicy;
  /** Wakes the Sender for scheduled sends (src/engine/schedule.ts); without it a request with a future `sendAt` waits in the queue. */
  wakeUps?: WakeUpPort;
  config: SenderConfig;
  log?: EngineLogger;
  /** Failed, retried, throttled and dead-lettered requests (ENGINE_METRIC); a no-op when absent. */
  metrics?: EngineMetrics;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => Date;
}

/** SES refuses this message for good; retrying sends nothing better. */
const PERMANENT_SES = new Set(['MessageRejected', 'BadRequestException', 'InvalidParameterValue']);
/** Sending is switched off (the engine is paused, or the account is): wait, do not fail. */
const PAUSED_SES = new Set(['SendingPausedException', 'AccountSuspendedException']);

/** Time kept back at the end of an invocation for the record writes after a send. */
const SAFETY_MARGIN_MS = 3_000;
const BASE_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;

/** SES throttles one email at most this often within one invocation before it goes back to the queue. */
const MAX_THROTTLES_PER_INVOCATION = 3;

type Outcome = 'sent' | 'failed' | 'suppressed' | 'duplicate' | 'retry' | 'paused' | 'requeued' | ScheduleOutcome;

interface Lookups {
  blocked: Promise<Map<string, SuppressionEntry>>;
  template: Promise<PreparedTemplate>;
}

/** Every recipient of a request with its field and position. */
function recipientsOf(request: EmailRequest) {
  return [
    { field: 'to' as const, index: 0, address: request.to },
    ...request.cc.map((address, index) => ({ field: 'cc' as const, index, address })),
    ...request.bcc.map((address, index) => ({ field: 'bcc' as const, index, address })),
  ];
}

/**
 * The Sender: one SQS batch of Email Requests in, partial batch failures out. Every request ends
 * as a record (sent, failed or suppressed) or is handed back to the queue for another try;
 * nothing is dropped silently.
 */
export function createSender(deps: SenderDeps) {
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noMetrics;
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  // Half jitter: a retry always leaves SES at least half the backoff before it tries again.
  const retryDelay = (tries: number) => backoffDelay(tries, { baseMs: BASE_BACKOFF_MS, maxMs: MAX_BACKOFF_MS, jitter: 'half', random });
  const now = deps.now ?? (() => new Date());

  async function handle(event: SqsEvent, context: InvocationContext): Promise<SqsBatchResponse> {
    const failures: string[] = [];
    const invokedAt = Date.now();
    const parallelism = Math.max(1, deps.config.parallelism ?? ENGINE_DEFAULTS.senderParallelism);
    // Each record's outcome is settled inside: the pool never sees a failure, so every record runs.
    await mapConcurrent(event.Records, parallelism, async (record, position) => {
      // Its place in the pacer's line: how long it has waited, across requeues, not when its
      // claim happened to finish; the batch's own order breaks ties (a thousandth of a ms each).
      const since = (requeueStateOf(record).waitingSince ?? (Number(record.attributes?.SentTimestamp) || invokedAt)) + position / 1000;
      try {
        const outcome = await processRecord(record, context, since);
        if (outcome === 'retry' || outcome === 'paused') failures.push(record.messageId);
        if (outcome === 'failed') metrics.count(ENGINE_METRIC.failed);
        if (outcome === 'retry' || outcome === 'requeued') metrics.count(ENGINE_METRIC.retried);
      } catch (err) {
        // Anything unexpected before a claim (a DynamoDB outage, a bug): hand the message back, never lose it.
        log.error('send.unexpected-error', { messageId: record.messageId, error: String(err), name: awsErrorName(err) });
        failures.push(record.messageId);
        metrics.count(ENGINE_METRIC.retried);
      }
    });
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  }

  async function processRecord(message: SqsRecord, context: InvocationContext, since: number): Promise<Outcome> {
    const wake = parseWakeUp(message.body);
    if (wake) return (await scheduled(message, context, since).wakeUp(wake, message)) as Outcome;
    const parsed = parseRequestMessage(message.body, message.messageId, now());
    if (!parsed.ok) return recordRejected(parsed.rejected);
    const request = parsed.request;
    if (request.sendAt && Date.parse(request.sendAt) > now().getTime()) {
      return (await scheduled(message, context, since).scheduleLater({ ...request, sendAt: request.sendAt }, message)) as Outcome;
    }
    return sendRequest(request, message, context, since);
  }

  /** Scheduled sends (src/engine/scheduled-sends.ts), sending through this Sender's own path. */
  function scheduled(message: SqsRecord, context: InvocationContext, since: number) {
    return scheduledSends({
      tracking: deps.tracking,
      wakeUps: deps.wakeUps,
      log,
      now,
      recordTaken,
      send: (request) => sendRequest(request, message, context, since),
    });
  }

  async function sendRequest(request: EmailRequest, message: SqsRecord, context: InvocationContext, since: number): Promise<Outcome> {
    // Reads the send needs start with the claim rather than after it: each is a round trip, and
    // neither changes anything, so a request that turns out not to be ours only wasted them.
    const lookups = startLookups(request);
    const claim = await claimOrRecord(request, context);
    if (typeof claim === 'string') return claim;
    if (claim.outcome === 'busy') {
      // Another delivery of this very request is at work (SQS delivers at least once). Dropping
      // this copy could lose the email if that attempt then hands it back: wait and look again.
      log.info('send.busy', { emailId: request.emailId });
      return 'retry';
    }
    if (claim.outcome === 'taken') return recordTaken(request, claim.record);
    const attempt = claim.record.attempts;

    try {
      let input: SendEmailCommandInput;
      try {
        input = await prepare(request, lookups, Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS * 2);
      } catch (err) {
        if (err instanceof PermanentFailure) return await recordPermanent(request, err);
        throw err;
      }
      // Once SES accepted the message this never throws (see recordAccepted).
      const outcome = await sendWithRetries(request, input, attempt, context, message, since);
      if (outcome === 'sent') await removeAttachments(request);
      return outcome;
    } catch (err) {
      // S3, DynamoDB or a bug failed while this delivery held the claim: give the claim back so
      // the record says `queued` with the error, and let the queue bring the request back.
      const lastError = describeError(err, request.recipient);
      log.error('send.unexpected-error', { emailId: request.emailId, error: lastError });
      await releaseForRetry(request, lastError, attempt);
      return 'retry';
    } finally {
      // The attachments' bytes no longer count against the instance's memory budget.
      deps.attachments?.release(request);
    }
  }

  /**
   * Claims the request, or, when the tracking table refuses the record as it is (a validation
   * error, something the SDK cannot marshal), stores what it can so the request stays findable.
   * Transient trouble is thrown: the queue brings the request back.
   */
  async function claimOrRecord(request: EmailRequest, context: InvocationContext): Promise<ClaimResult | Outcome> {
    try {
      return await deps.tracking.claim(
        {
          emailId: request.emailId,
          eventId: request.eventId,
          recipient: request.recipient,
          templateName: request.templateName,
          source: request.source,
          tags: request.tags,
          metadata: request.metadata,
          requestedAt: request.requestedAt,
          ...attachmentKeys(request),
        },
        context.getRemainingTimeInMillis() + SAFETY_MARGIN_MS,
      );
    } catch (err) {
      if (!isStoreRefusal(err)) throw err;
      const failure = new PermanentFailure(ERROR_TYPES.unstorableRequest, `the tracking table refused the request as it was (${describeError(err, request.recipient)}); it was not sent`);
      log.error('send.unstorable', { emailId: request.emailId, error: failure.message });
      return recordFallback({ ...request, failure });
    }
  }

  /** An emailId already in use: a repeat of that email, or a conflict when it was meant for someone else. */
  async function recordTaken(request: EmailRequest, existing: TrackingRecord): Promise<Outcome> {
    if (existing.recipient && existing.recipient !== request.recipient) {
      const failure = new PermanentFailure(ERROR_TYPES.emailIdConflict, `emailId "${request.emailId}" already belongs to an email to another recipient; this request was not sent`);
      return recordUnderOwnId(request, failure, existing);
    }
    await deps.tracking.addHistory({
      emailId: request.emailId,
      event: 'duplicate_ignored',
      time: now().toISOString(),
      keyTime: request.keyTime,
      eventId: `${request.eventId}:duplicate`,
      details: { existingStatus: existing.status, ...(existing.eventId === request.eventId ? { redelivery: true } : {}) },
    });
    log.info('send.duplicate', { emailId: request.emailId, status: existing.status });
    return 'duplicate';
  }

  async function recordPermanent(request: EmailRequest, err: PermanentFailure): Promise<Outcome> {
    const status = err.errorType === ERROR_TYPES.suppressed ? 'suppressed' : 'failed';
    const message = redactAddresses(err.message, request.recipient);
    await deps.tracking.markFinal(request.emailId, status, err.errorType, message);
    await finish(request, status, { errorType: err.errorType, message });
    return status;
  }

  async function releaseForRetry(request: EmailRequest, lastError: string, attempt: number): Promise<void> {
    try {
      await deps.tracking.release(request.emailId, { lastError, countAttempt: true });
      await deps.tracking.addHistory({ emailId: request.emailId, event: 'retry_scheduled', time: now().toISOString(), keyTime: request.keyTime, eventId: `${request.eventId}:retry:${attempt}`, details: { error: lastError, attempts: attempt } });
    } catch (err) {
      // The claim then simply runs out; the redelivery comes after it and takes the request over.
      log.error('send.release-failed', { emailId: request.emailId, error: String(err) });
    }
  }

  async function recordRejected(rejected: RejectedRequest): Promise<Outcome> {
    const failure = new PermanentFailure(rejected.failure.errorType, redactAddresses(rejected.failure.message, rejected.recipient));
    let created: boolean;
    try {
      created = await deps.tracking.recordFinal(
        { emailId: rejected.emailId, eventId: rejected.eventId, recipient: rejected.recipient, templateName: rejected.templateName, source: rejected.source, requestedAt: rejected.requestedAt },
        'failed',
        failure.errorType,
        failure.message,
      );
    } catch (err) {
      if (!isStoreRefusal(err)) throw err;
      return recordFallback({ ...rejected, failure });
    }
    if (!created) {
      const existing = await deps.tracking.get(rejected.emailId);
      if (existing && existing.eventId !== rejected.eventId) return recordUnderOwnId(rejected, failure, existing);
    }
    await finish(rejected, 'failed', { errorType: failure.errorType, message: failure.message });
    log.warn('send.rejected', { emailId: rejected.emailId, errorType: failure.errorType, message: failure.message });
    return 'failed';
  }

  /**
   * A request that cannot use its emailId (another email has it) is recorded under the id derived
   * from its own event, `evt-<event id>`, with its own recipient, so lookups and erasure find it.
   * The other email's history notes the attempt without naming anyone.
   */
  async function recordUnderOwnId(request: RequestFacts, failure: PermanentFailure, existing: TrackingRecord): Promise<Outcome> {
    const ownId = derivedEmailId(request.eventId);
    await deps.tracking.addHistory({ emailId: existing.emailId, event: 'request_rejected', time: now().toISOString(), keyTime: request.keyTime, eventId: `${request.eventId}:rejected`, details: { errorType: failure.errorType, recordedAs: ownId } });
    const own = { ...request, emailId: ownId };
    let created: boolean;
    try {
      created = await deps.tracking.recordFinal(own, 'failed', failure.errorType, failure.message);
    } catch (err) {
      if (!isStoreRefusal(err)) throw err;
      return recordFallback({ ...own, failure });
    }
    if (created) await finish(own, 'failed', { errorType: failure.errorType, message: failure.message, emailId: request.emailId });
    log.warn('send.rejected', { emailId: ownId, requestedEmailId: request.emailId, errorType: failure.errorType });
    return 'failed';
  }

  /**
   * The last resort for a request the table would not take as it was: a record with only the
   * fields every item can hold. If even that is refused, the request goes back to the queue
   * (and, after its receives, to the DLQ) with the reason in the log.
   */
  async function recordFallback(request: RequestFacts & { failure: PermanentFailure }): Promise<Outcome> {
    const { failure } = request;
    const minimal = [
      { emailId: request.emailId, eventId: request.eventId, recipient: request.recipient, templateName: request.templateName, requestedAt: request.requestedAt },
      { emailId: request.emailId, eventId: request.eventId, requestedAt: request.requestedAt },
    ];
    for (const fields of minimal) {
      try {
        const created = await deps.tracking.recordFinal(fields, 'failed', failure.errorType, failure.message);
        if (created) await finish(request, 'failed', { errorType: failure.errorType, message: failure.message });
        return 'failed';
      } catch (err) {
        if (!isStoreRefusal(err)) throw err;
        log.error('send.fallback-refused', { emailId: request.emailId, error: String(err) });
      }
    }
    return 'retry';
  }

  /** Everything that can still stop the email before SES sees it: suppression, then rendering. */
  /** The suppression check and the template, begun early; their failures surface where they are awaited. */
  function startLookups(request: EmailRequest): Lookups {
    const settle = <T>(promise: Promise<T>): Promise<T> => {
      // Unawaited when the claim says the request is not ours: never an unhandled rejection.
      promise.catch(() => {});
      return promise;
    };
    return {
      blocked: settle(deps.suppression.checkAll(recipientsOf(request).map((r) => r.address))),
      template: settle(deps.templates.get(request.templateName)),
    };
  }

  async function prepare(request: EmailRequest, lookups: Lookups, deadline: number): Promise<SendEmailCommandInput> {
    const recipients = recipientsOf(request);
    const blocked = await lookups.blocked;
    const blockedTo = blocked.get(normaliseAddress(request.to));
    if (blockedTo) {
      const reason = blockedTo.hashed ? `${blockedTo.reason} (kept after erasure)` : blockedTo.reason;
      throw new PermanentFailure(ERROR_TYPES.suppressed, `the recipient is on the suppression list: ${reason}`, { reason: blockedTo.reason });
    }
    // Suppressed copy recipients are left out; the email still goes to the others. The record
    // says which positions were dropped and why, never the addresses (they are not its recipient).
    const leftOut = recipients.filter((r) => r.field !== 'to' && blocked.has(normaliseAddress(r.address)));
    const keep = (field: 'cc' | 'bcc') => recipients.filter((r) => r.field === field && !leftOut.includes(r)).map((r) => r.address);
    const input = await buildEmail({ ...request, cc: keep('cc'), bcc: keep('bcc') }, lookups.template);
    await addAttachments(request, input, deadline);
    if (leftOut.length) {
      await deps.tracking.addHistory({
        emailId: request.emailId,
        event: 'recipients_suppressed',
        time: now().toISOString(),
        keyTime: request.keyTime,
        eventId: `${request.eventId}:suppressed-copies`,
        details: { leftOut: leftOut.map((r) => ({ field: r.field, position: r.index + 1, reason: blocked.get(normaliseAddress(r.address))?.reason })) },
      });
      log.info('send.copies-suppressed', { emailId: request.emailId, count: leftOut.length });
    }
    return input;
  }

  async function buildEmail(request: EmailRequest, template: Promise<PreparedTemplate>): Promise<SendEmailCommandInput> {
    const prepared = await template;
    // A contract is checked before anything renders: broken data never half-renders an email.
    await checkTemplateData(prepared, request.templateData);
    let rendered;
    try {
      rendered = renderTemplate(prepared, request.templateData);
    } catch (err) {
      if (err instanceof PermanentFailure) throw err;
      throw templateFailure(err);
    }
    const from = request.from ?? (rendered.senderEmail ? { email: rendered.senderEmail, name: rendered.senderName } : { ...deps.config.defaultFrom, name: rendered.senderName ?? deps.config.defaultFrom.name });
    const replyTo = request.replyTo.length ? request.replyTo : rendered.replyTo ? [rendered.replyTo] : [];
    const subject = request.subject ?? rendered.subject;
    // What a template renders can carry caller data: it passes the same checks as a request.
    for (const [field, value] of [['subject', subject], ['from name', from.name ?? ''], ['sender', from.email], ...replyTo.map((a) => ['reply-to', a])] as const) {
      const problem = headerTextProblem(value);
      if (problem) throw new PermanentFailure(ERROR_TYPES.headerInjection, `the rendered ${field} ${problem}`);
    }
    for (const [field, value] of [['sender', from.email], ...replyTo.map((a) => ['reply-to', a])] as const) {
      if (!isValidAddress(value)) throw new PermanentFailure(ERROR_TYPES.invalidAddress, `the rendered ${field} is not one valid email address`);
    }
    const tags = [
      ...emailIdTags(request.emailId),
      { Name: 'template', Value: toTagValue(request.templateName) },
      ...Object.entries(request.tags).map(([Name, Value]) => ({ Name, Value })),
    ];
    return {
      FromEmailAddress: formatAddress(from.email, from.name),
      Destination: { ToAddresses: [request.to], ...(request.cc.length ? { CcAddresses: request.cc } : {}), ...(request.bcc.length ? { BccAddresses: request.bcc } : {}) },
      ...(replyTo.length ? { ReplyToAddresses: replyTo } : {}),
      Content: {
        Simple: {
          Subject: { Data: subject, Charset: 'UTF-8' },
          Body: { Html: { Data: rendered.html, Charset: 'UTF-8' }, Text: { Data: rendered.text, Charset: 'UTF-8' } },
          ...(request.headers.length ? { Headers: request.headers.map(({ name, value }) => ({ Name: name, Value: value })) } : {}),
        },
      },
      ConfigurationSetName: deps.config.configurationSet,
      EmailTags: tags,
    };
  }

  /** The request's files from S3 into the message; every attachment limit is checked before SES sees it. */
  async function addAttachments(request: EmailRequest, input: SendEmailCommandInput, deadline: number): Promise<void> {
    const simple = input.Content?.Simple;
    if (!request.attachments.length || !simple) return;
    if (!deps.attachments) throw new Error('this Sender was built without an attachment source');
    simple.Attachments = await deps.attachments.load(request.attachments, contentBytes(simple), request, deadline);
  }

  async function removeAttachments(request: EmailRequest): Promise<void> {
    if (request.attachments.length && deps.attachments) await deps.attachments.removeSent(request.emailId, request.attachments);
  }

  async function sendWithRetries(request: EmailRequest, input: SendEmailCommandInput, firstAttempt: number, context: InvocationContext, message: SqsRecord, since: number): Promise<Outcome> {
    let throttles = 0;
    for (let attempt = firstAttempt, tries = 0; ; attempt++, tries++) {
      if (deps.pacer && !(await deps.pacer.acquire({ deadline: Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS * 2, since }))) {
        return giveBackThrottled(request, message, attempt, 'Paced: no send capacity left in this invocation', false);
      }
      let messageId: string;
      try {
        messageId = (await deps.ses.send(new SendEmailCommand(input))).MessageId ?? '';
        deps.pacer?.onSent();
      } catch (err) {
        const name = awsErrorName(err) ?? 'Error';
        if (PERMANENT_SES.has(name)) return recordPermanent(request, new PermanentFailure(name === 'MessageRejected' ? ERROR_TYPES.sesRejected : ERROR_TYPES.sesBadRequest, `SES refused the message: ${(err as Error).message}`));
        if (PAUSED_SES.has(name)) {
          await deps.tracking.release(request.emailId, { countAttempt: false });
          log.warn('send.paused', { emailId: request.emailId, error: name });
          return 'paused';
        }
        const lastError = describeError(err, request.recipient);
        if (isThrottling(err)) {
          // The pacer backs off and keeps this email's place at the head of its line; no backoff of its own.
          deps.pacer?.onThrottled();
          metrics.count(ENGINE_METRIC.throttled);
          throttles++;
          const delay = deps.pacer ? 0 : retryDelay(tries);
          if (throttles >= MAX_THROTTLES_PER_INVOCATION || context.getRemainingTimeInMillis() - delay <= SAFETY_MARGIN_MS * 2) {
            return giveBackThrottled(request, message, attempt, lastError);
          }
          log.warn('send.throttled', { emailId: request.emailId, error: lastError, throttles });
          await deps.tracking.noteAttempt(request.emailId, lastError);
          if (delay > 0) await sleep(delay);
          continue;
        }
        const delay = retryDelay(tries);
        if (isTransient(err) && context.getRemainingTimeInMillis() - delay > SAFETY_MARGIN_MS * 2) {
          log.warn('send.retrying', { emailId: request.emailId, error: lastError, delayMs: Math.round(delay) });
          await deps.tracking.noteAttempt(request.emailId, lastError);
          await sleep(delay);
          continue;
        }
        // Out of time (or an error we do not know): back to the queue, visible on the record.
        await releaseForRetry(request, lastError, attempt);
        log.warn('send.requeued', { emailId: request.emailId, error: lastError, attempts: attempt });
        return 'retry';
      }
      return recordAccepted(request, messageId, attempt);
    }
  }

  /**
   * SES has the message. From here on nothing hands the request back to the queue, whatever
   * fails: a lost record write is completed by SES's own Send event (the message carries the
   * emailId tags), while a resend would mail the recipient twice.
   */
  async function recordAccepted(request: EmailRequest, messageId: string, attempt: number): Promise<Outcome> {
    try {
      const moved = await withRetries(() => deps.tracking.markSent(request.emailId, messageId));
      // When SES's own Send event got there first, Feedback has already announced `sent`.
      await finish(request, 'sent', { sesMessageId: messageId, attempts: attempt }, messageId, moved);
      log.info('send.sent', { emailId: request.emailId, messageId, attempts: attempt });
    } catch (err) {
      log.error('send.record-after-send-failed', { emailId: request.emailId, messageId, error: String(err), detail: 'SES accepted the message; its Send event will complete the record' });
    }
    return 'sent';
  }

  /**
   * SES is throttling (or the pacer has no capacity left for this invocation): the request waits
   * in the queue, visibly, without spending a receive. A delayed copy goes back with a growing
   * delay and the original counts as done; only when the copy could not be sent does the original
   * go back as a batch item failure. A request that has waited longer than the policy allows ends
   * `failed` rather than circulate for the queue's whole retention.
   */
  async function giveBackThrottled(request: EmailRequest, message: SqsRecord, attempt: number, lastError: string, attempted = true): Promise<Outcome> {
    const policy = deps.requeuePolicy ?? DEFAULT_REQUEUE_POLICY;
    const { requeues, waitingSince = now().getTime() } = requeueStateOf(message);
    const waitedMs = now().getTime() - waitingSince;
    if (waitedMs > policy.giveUpAfterMs) {
      metrics.count(ENGINE_METRIC.deadLettered);
      return recordPermanent(
        request,
        new PermanentFailure(
          ERROR_TYPES.throttledTooLong,
          `SES kept throttling this email for ${Math.round(waitedMs / 60_000)} minutes (${requeues} times back in the queue); it was not sent. Last error: ${lastError}`,
        ),
      );
    }
    const delayMs = requeueDelayMs(policy, requeues);
    const details = { error: lastError, attempts: attempted ? attempt : attempt - 1, ...(deps.requeue ? { delaySeconds: Math.round(delayMs / 1000), requeues: requeues + 1 } : {}) };
    // One entry per give-back: a paced one takes no attempt, so the attempt alone does not tell them apart.
    const eventId = `${request.eventId}:retry:${attempt}:${requeues}:${message.attributes?.ApproximateReceiveCount ?? 0}`;
    // The entry first: whoever sees the record queued also sees why and for how long.
    await deps.tracking.addHistory({ emailId: request.emailId, event: 'retry_scheduled', time: now().toISOString(), keyTime: request.keyTime, eventId, details });
    await deps.tracking.release(request.emailId, { lastError, countAttempt: attempted });
    if (deps.requeue) {
      try {
        await deps.requeue.requeue(message, delayMs, { requeues: requeues + 1, waitingSince });
        log.warn('send.throttled-requeued', { emailId: request.emailId, error: lastError, attempts: attempt, delayMs, requeues: requeues + 1 });
        return 'requeued';
      } catch (err) {
        log.error('send.requeue-failed', { emailId: request.emailId, error: String(err), name: awsErrorName(err) });
      }
    }
    log.warn('send.requeued', { emailId: request.emailId, error: lastError, attempts: attempt });
    return 'retry';
  }

  async function withRetries<T>(write: () => Promise<T>, tries = 3): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await write();
      } catch (err) {
        if (i >= tries || !isTransient(err)) throw err;
        await sleep(BASE_BACKOFF_MS * i);
      }
    }
  }

  async function finish(
    about: { emailId: string; eventId: string; keyTime: string; recipient?: string; templateName?: string },
    status: 'sent' | 'failed' | 'suppressed',
    details: Record<string, unknown>,
    sesMessageId?: string,
    announce = true,
  ): Promise<void> {
    const time = now().toISOString();
    const { emailId } = about;
    const fresh = await deps.tracking.addHistory({ emailId, event: status, status, time, keyTime: about.keyTime, eventId: `${about.eventId}:${status}`, details });
    if (!fresh || !announce || !deps.statusEvents) return;
    try {
      await deps.statusEvents.publish({ emailId, recipient: about.recipient, templateName: about.templateName, status, errorType: details.errorType as string | undefined, sesMessageId, time, cause: 'sender' });
    } catch (err) {
      // The record is the source of truth; a lost notification must not resend the email.
      log.warn('send.status-event-failed', { emailId, error: String(err) });
    }
  }

  return handle;
}

/** What every kind of request (parsed or rejected) carries that a record is made from. */
type RequestFacts = { emailId: string; eventId: string; keyTime: string; requestedAt: string; recipient?: string; templateName?: string; source?: string };

const derivedEmailId = (eventId: string) => `evt-${eventId}`;

/**
 * The record keeps the keys of the attachments the engine is to delete, so `erase` finds any left
 * for the address without listing the bucket. Those sent with `keep` are the app's: a logo every
 * email carries must not go with one address's erasure.
 */
function attachmentKeys(request: EmailRequest) {
  const keys = request.attachments.filter((a) => !a.keep).map((a) => a.key);
  return keys.length ? { attachmentKeys: keys } : {};
}

/**
 * The tracking table refused the item itself (a validation error, or a value the SDK cannot
 * marshal), as opposed to being unavailable: storing it again as it is will never work.
 */
function isStoreRefusal(err: unknown): boolean {
  if (isTransient(err)) return false;
  const name = awsErrorName(err);
  const status = httpStatus(err);
  return name === 'ValidationException' || (status === undefined && !(err as { code?: string })?.code);
}

const ADDRESS_IN_TEXT = /[^\s"'<>(),;:[\]]+@[^\s"'<>(),;:[\]]+\.[^\s"'<>(),;:[\]]+/g;

/** Error text without any address but the record's own recipient: a record holds no one else's. */
export function redactAddresses(text: string, keep?: string): string {
  return text.replace(ADDRESS_IN_TEXT, (found) => (keep && normaliseAddress(found) === keep ? found : '<address>'));
}

function describeError(err: unknown, recipient?: string): string {
  const name = awsErrorName(err) ?? 'Error';
  return redactAddresses(`${name}: ${err instanceof Error ? err.message : String(err)}`, recipient);
}

/** `"Name" <email>`, with the name RFC 2047-encoded when it is not plain ASCII. */
export function formatAddress(email: string, name?: string): string {
  if (!name) return email;
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/(["\\])/g, '\\$1')}" <${email}>`;
  return `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?= <${email}>`;
}
