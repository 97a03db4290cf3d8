import { SendEmailCommand, type SendEmailCommandInput, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { SuppressionStore } from '../suppression/suppression-store.js';
import { renderTemplate } from '../templates/render.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import { awsErrorName, isThrottling, isTransient } from './aws-error.js';
import { ERROR_TYPES, PermanentFailure } from './error-types.js';
import type { SendPacer } from './pacer.js';
import { parseRequestMessage, type EmailRequest, type RejectedRequest } from './request.js';
import { DEFAULT_REQUEUE_POLICY, requeueDelayMs, requeueStateOf, type RequeuePolicy, type RequeuePort } from './requeue.js';
import type { InvocationContext, SqsBatchResponse, SqsEvent, SqsRecord } from './sqs.js';
import { silentLogger, type EngineLogger, type StatusEventPublisher } from './status-events.js';
import { templateFailure, type TemplateSource } from './template-source.js';

export interface SenderConfig {
  configurationSet: string;
  defaultFrom: { email: string; name?: string };
  /** Records processed at once within one batch. */
  parallelism?: number;
}

export interface SenderDeps {
  tracking: TrackingStore;
  suppression: SuppressionStore;
  templates: TemplateSource;
  ses: Pick<SESv2Client, 'send'>;
  statusEvents?: StatusEventPublisher;
  /** Paces SendEmail calls to this instance's share of the SES rate; without it, sends are not paced. */
  pacer?: SendPacer;
  /** Gives throttled requests back to the queue as delayed copies; without it they fail back as batch item failures. */
  requeue?: RequeuePort;
  requeuePolicy?: RequeuePolicy;
  config: SenderConfig;
  log?: EngineLogger;
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

type Outcome = 'sent' | 'failed' | 'suppressed' | 'duplicate' | 'retry' | 'paused' | 'requeued';

/**
 * The Sender: one SQS batch of Email Requests in, partial batch failures out. Every request ends
 * as a record (sent, failed or suppressed) or is handed back to the queue for another try;
 * nothing is dropped silently.
 */
export function createSender(deps: SenderDeps) {
  const log = deps.log ?? silentLogger;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = deps.random ?? Math.random;
  const now = deps.now ?? (() => new Date());

  async function handle(event: SqsEvent, context: InvocationContext): Promise<SqsBatchResponse> {
    const failures: string[] = [];
    const invokedAt = Date.now();
    const parallelism = Math.max(1, deps.config.parallelism ?? 10);
    const queue = event.Records.map((record, position) => ({ record, position }));
    const workers = Array.from({ length: Math.min(parallelism, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { record, position } = next;
        // Its place in the pacer's line: how long it has waited, across requeues, not when its
        // claim happened to finish; the batch's own order breaks ties (a thousandth of a ms each).
        const since = (requeueStateOf(record).waitingSince ?? (Number(record.attributes?.SentTimestamp) || invokedAt)) + position / 1000;
        try {
          const outcome = await processRecord(record, context, since);
          if (outcome === 'retry' || outcome === 'paused') failures.push(record.messageId);
        } catch (err) {
          // Anything unexpected (a DynamoDB outage, a bug): hand the message back, never lose it.
          log.error('send.unexpected-error', { messageId: record.messageId, error: String(err), name: awsErrorName(err) });
          failures.push(record.messageId);
        }
      }
    });
    await Promise.all(workers);
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  }

  async function processRecord(message: SqsRecord, context: InvocationContext, since: number): Promise<Outcome> {
    const parsed = parseRequestMessage(message.body, message.messageId, now());
    if (!parsed.ok) return recordRejected(parsed.rejected);
    const request = parsed.request;

    const claim = await deps.tracking.claim(
      {
        emailId: request.emailId,
        eventId: request.eventId,
        recipient: request.recipient,
        templateName: request.templateName,
        source: request.source,
        tags: request.tags,
        metadata: request.metadata,
        requestedAt: request.requestedAt,
      },
      context.getRemainingTimeInMillis() + SAFETY_MARGIN_MS,
    );
    if (!claim.claimed) {
      await deps.tracking.addHistory({
        emailId: request.emailId,
        event: 'duplicate_ignored',
        time: now().toISOString(),
        keyTime: request.keyTime,
        eventId: `${request.eventId}:duplicate`,
        details: { existingStatus: claim.record.status, ...(claim.record.eventId === request.eventId ? { redelivery: true } : {}) },
      });
      log.info('send.duplicate', { emailId: request.emailId, status: claim.record.status });
      return 'duplicate';
    }
    const attempt = claim.record.attempts;

    try {
      const suppression = await deps.suppression.check(request.recipient);
      if (suppression) {
        const reason = suppression.hashed ? `${suppression.reason} (kept after erasure)` : suppression.reason;
        throw new PermanentFailure(ERROR_TYPES.suppressed, `the recipient is on the suppression list: ${reason}`, { reason: suppression.reason });
      }
      const input = await buildEmail(request);
      return await sendWithRetries(request, input, attempt, context, message, since);
    } catch (err) {
      if (!(err instanceof PermanentFailure)) throw err;
      const status = err.errorType === ERROR_TYPES.suppressed ? 'suppressed' : 'failed';
      await deps.tracking.markFinal(request.emailId, status, err.errorType, err.message);
      await finish(request, status, { errorType: err.errorType, message: err.message });
      return status;
    }
  }

  async function recordRejected(rejected: RejectedRequest): Promise<Outcome> {
    const { failure } = rejected;
    const created = await deps.tracking.recordFinal(
      { emailId: rejected.emailId, eventId: rejected.eventId, recipient: rejected.recipient, templateName: rejected.templateName, source: rejected.source, requestedAt: rejected.requestedAt },
      'failed',
      failure.errorType,
      failure.message,
    );
    if (!created) {
      // A caller's emailId already in use by another email: the record stays as it is; the
      // rejection is still written down where support will look.
      const existing = await deps.tracking.get(rejected.emailId);
      if (existing && existing.eventId !== rejected.eventId) {
        await deps.tracking.addHistory({ emailId: rejected.emailId, event: 'request_rejected', time: now().toISOString(), keyTime: rejected.keyTime, eventId: `${rejected.eventId}:rejected`, details: { errorType: failure.errorType, message: failure.message } });
        return 'failed';
      }
    }
    await finish(rejected, 'failed', { errorType: failure.errorType, message: failure.message });
    log.warn('send.rejected', { emailId: rejected.emailId, errorType: failure.errorType, message: failure.message });
    return 'failed';
  }

  async function buildEmail(request: EmailRequest): Promise<SendEmailCommandInput> {
    let rendered;
    try {
      rendered = renderTemplate(await deps.templates.get(request.templateName), request.templateData);
    } catch (err) {
      if (err instanceof PermanentFailure) throw err;
      throw templateFailure(err);
    }
    const from = request.from ?? (rendered.senderEmail ? { email: rendered.senderEmail, name: rendered.senderName } : { ...deps.config.defaultFrom, name: rendered.senderName ?? deps.config.defaultFrom.name });
    const replyTo = request.replyTo.length ? request.replyTo : rendered.replyTo ? [rendered.replyTo] : [];
    const subject = request.subject ?? rendered.subject;
    for (const [field, value] of [['subject', subject], ['from name', from.name ?? ''], ['reply-to', replyTo.join(',')]] as const) {
      if (/[\r\n]/.test(value)) throw new PermanentFailure(ERROR_TYPES.headerInjection, `the rendered ${field} contains a line break`);
    }
    const tags = [
      ...(TAG_VALUE.test(request.emailId) ? [{ Name: 'emailId', Value: request.emailId }] : []),
      { Name: 'template', Value: tagValue(request.templateName) },
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
        if (PERMANENT_SES.has(name)) throw new PermanentFailure(name === 'MessageRejected' ? ERROR_TYPES.sesRejected : ERROR_TYPES.sesBadRequest, `SES refused the message: ${(err as Error).message}`);
        if (PAUSED_SES.has(name)) {
          await deps.tracking.release(request.emailId, { countAttempt: false });
          log.warn('send.paused', { emailId: request.emailId, error: name });
          return 'paused';
        }
        const lastError = `${name}: ${(err as Error).message}`;
        if (isThrottling(err)) {
          // The pacer backs off and keeps this email's place at the head of its line; no backoff of its own.
          deps.pacer?.onThrottled();
          throttles++;
          const delay = deps.pacer ? 0 : Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** tries) * (0.5 + random() / 2);
          if (throttles >= MAX_THROTTLES_PER_INVOCATION || context.getRemainingTimeInMillis() - delay <= SAFETY_MARGIN_MS * 2) {
            return giveBackThrottled(request, message, attempt, lastError);
          }
          log.warn('send.throttled', { emailId: request.emailId, error: lastError, throttles });
          await deps.tracking.noteAttempt(request.emailId, lastError);
          if (delay > 0) await sleep(delay);
          continue;
        }
        const delay = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** tries) * (0.5 + random() / 2);
        if (isTransient(err) && context.getRemainingTimeInMillis() - delay > SAFETY_MARGIN_MS * 2) {
          log.warn('send.retrying', { emailId: request.emailId, error: lastError, delayMs: Math.round(delay) });
          await deps.tracking.noteAttempt(request.emailId, lastError);
          await sleep(delay);
          continue;
        }
        // Out of time (or an error we do not know): back to the queue, visible on the record.
        await deps.tracking.release(request.emailId, { lastError, countAttempt: true });
        await deps.tracking.addHistory({ emailId: request.emailId, event: 'retry_scheduled', time: now().toISOString(), keyTime: request.keyTime, eventId: `${request.eventId}:retry:${attempt}`, details: { error: lastError, attempts: attempt } });
        log.warn('send.requeued', { emailId: request.emailId, error: lastError, attempts: attempt });
        return 'retry';
      }
      // SES has the message. From here on nothing may send it again: a failing record write is
      // retried briefly, then left to the queue (the crash window the README documents).
      const moved = await withRetries(() => deps.tracking.markSent(request.emailId, messageId));
      // When SES's own Send event got there first, Feedback has already announced `sent`.
      await finish(request, 'sent', { sesMessageId: messageId, attempts: attempt }, messageId, moved);
      log.info('send.sent', { emailId: request.emailId, messageId, attempts: attempt });
      return 'sent';
    }
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
      throw new PermanentFailure(
        ERROR_TYPES.throttledTooLong,
        `SES kept throttling this email for ${Math.round(waitedMs / 60_000)} minutes (${requeues} times back in the queue); it was not sent. Last error: ${lastError}`,
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

const TAG_VALUE = /^[A-Za-z0-9_-]{1,256}$/;
const tagValue = (value: string) => value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);

/** `"Name" <email>`, with the name RFC 2047-encoded when it is not plain ASCII. */
export function formatAddress(email: string, name?: string): string {
  if (!name) return email;
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/(["\\])/g, '\\$1')}" <${email}>`;
  return `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?= <${email}>`;
}
