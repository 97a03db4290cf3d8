import { EventBridgeClient, PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { awsErrorName, isThrottling, isTransient } from '../aws/error-names.js';
import { ERROR_TYPES } from '../model/error-types.js';
import { backoffDelay } from '../util/backoff.js';
import { mapConcurrent } from '../util/pool.js';
import { sleep } from '../util/sleep.js';
import { groupIntoCalls, prepareEntry, type PreparedEntry } from './entries.js';
import type { AnyTemplates, DynamoDBSender, EventBridgeSender, Mailer, MailerOptions, MailError, MailRequest, ScheduleResult, SendResult } from './types.js';

export const DEFAULT_SOURCE = 'mailengine.client';
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_BACKOFF = { baseMs: 100, maxMs: 5_000 } as const;
export const DEFAULT_CONCURRENCY = 4;
/** A PutEvents call answers in tens of milliseconds; without a limit a peer that never answers holds `send` forever. */
export const DEFAULT_TIMEOUT = { connectionMs: 3_000, requestMs: 10_000 } as const;

/** Per-entry error codes EventBridge documents as retryable, beside the throttling names. */
const RETRYABLE_ENTRY_CODES = new Set(['InternalFailure', 'InternalException', 'ServiceUnavailable']);

function isRetryableEntryCode(code: string): boolean {
  return RETRYABLE_ENTRY_CODES.has(code) || isThrottling({ name: code });
}

/** The AWS error name, or for a plain Node error (the network) its code: `ECONNREFUSED` says more than `Error`. */
function errorCode(err: unknown): string {
  const name = awsErrorName(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  if ((!name || name === 'Error') && typeof code === 'string' && code) return code;
  return name || 'Error';
}

interface Settings {
  busName: string;
  source: string;
  maxAttempts: number;
  backoff: { baseMs: number; maxMs: number };
  concurrency: number;
  timeout: { connectionMs: number; requestMs: number };
}

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new TypeError(`createMailer: ${name} must be a whole number of at least 1, not ${JSON.stringify(value)}`);
  return value;
}

function nonNegative(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`createMailer: backoff.${name} must be a number of milliseconds, not ${JSON.stringify(value)}`);
  return value;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function positiveMs(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  // Node's timers take at most 2³¹−1 ms; a longer one fires at once, so every call would time out.
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new TypeError(`createMailer: timeout.${name} must be a positive number of milliseconds up to ${MAX_TIMER_MS}, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** The options, checked once: a mistake here is the program's, so it throws rather than failing every send. */
function settingsOf(options: MailerOptions): Settings {
  if (typeof options !== 'object' || options === null) throw new TypeError('createMailer: give the options, at least { busName }');
  const { busName, source = DEFAULT_SOURCE } = options;
  if (typeof busName !== 'string' || busName.trim() === '') throw new TypeError("createMailer: busName is required: the engine's bus, <stack>-bus (the stack's EventBusName output)");
  if (typeof source !== 'string' || source === '' || source.length > 256) throw new TypeError('createMailer: source must be 1-256 characters');
  if (source.startsWith('aws.')) throw new TypeError(`createMailer: source "${source}" is reserved: EventBridge takes aws.* sources only from AWS services`);
  return {
    busName,
    source,
    maxAttempts: positiveInteger(options.maxAttempts, 'maxAttempts', DEFAULT_MAX_ATTEMPTS),
    backoff: { baseMs: nonNegative(options.backoff?.baseMs, 'baseMs', DEFAULT_BACKOFF.baseMs), maxMs: nonNegative(options.backoff?.maxMs, 'maxMs', DEFAULT_BACKOFF.maxMs) },
    concurrency: positiveInteger(options.concurrency, 'concurrency', DEFAULT_CONCURRENCY),
    timeout: {
      connectionMs: positiveMs(options.timeout?.connectionMs, 'connectionMs', DEFAULT_TIMEOUT.connectionMs),
      requestMs: positiveMs(options.timeout?.requestMs, 'requestMs', DEFAULT_TIMEOUT.requestMs),
    },
  };
}

/**
 * A mailer for an app: `send` and `sendBatch` validate requests as the engine does and publish
 * the valid ones to the engine's bus as "Email Request" events.
 *
 * ```ts
 * import { createMailer } from 'mailengine/client';
 * import type { MailTemplates } from './mail-types.js'; // mailengine templates types --out mail-types.ts
 *
 * const mailer = createMailer<MailTemplates>({ busName: 'mailengine-bus' });
 * const result = await mailer.send({ template: 'welcome', to: 'ann@example.com', data: { userName: 'Ann' } });
 * ```
 */
export function createMailer<T extends object = AnyTemplates>(options: MailerOptions): Mailer<T> {
  const settings = settingsOf(options);
  // A client of our own retries only through the mailer, so attempts do not multiply. A call that
  // times out fails as TimeoutError (without throwOnRequestTimeout the SDK only logs it), and the
  // mailer retries it with the same entries, so the same emailIds. requestTimeout ends when the
  // answer's headers come; socketTimeout covers an answer whose body then stalls.
  const client: EventBridgeSender =
    options.eventBridgeClient ??
    new EventBridgeClient({
      ...(options.region ? { region: options.region } : {}),
      maxAttempts: 1,
      requestHandler: { connectionTimeout: settings.timeout.connectionMs, requestTimeout: settings.timeout.requestMs, throwOnRequestTimeout: true, socketTimeout: settings.timeout.requestMs },
    });

  async function sendBatch(requests: ReadonlyArray<MailRequest<T>>): Promise<SendResult[]> {
    if (!Array.isArray(requests)) throw new TypeError('sendBatch takes an array of requests');
    const results = new Array<SendResult>(requests.length);
    const entries: Array<PreparedEntry & { index: number }> = [];
    // The engine sends an emailId once: a second request with it in one batch would be dropped there.
    const firstWithId = new Map<string, number>();
    requests.forEach((request, index) => {
      const prepared = prepareEntry(request, settings);
      if (!prepared.ok) {
        results[index] = { ok: false, ...(prepared.emailId ? { emailId: prepared.emailId } : {}), error: prepared.error };
        return;
      }
      const { emailId } = prepared.prepared;
      const first = firstWithId.get(emailId);
      if (first !== undefined) {
        const message = `emailId: ${emailId} is also the emailId of request ${first + 1} of this batch; the engine sends an emailId once, so give each email its own`;
        results[index] = { ok: false, emailId, error: { code: ERROR_TYPES.invalidRequest, message, retryable: false } };
        return;
      }
      firstWithId.set(emailId, index);
      entries.push({ ...prepared.prepared, index });
    });
    await mapConcurrent(groupIntoCalls(entries), settings.concurrency, async (call) => {
      for (const [index, result] of await publish(client, call, settings)) results[index] = result;
    });
    return results;
  }

  // cancel and reschedule: their module and the DynamoDB client load on first use.
  let dynamodb: Promise<DynamoDBSender> | undefined;
  const scheduleTarget = async () => {
    if (!options.trackingTable) throw new TypeError("cancel and reschedule need createMailer's trackingTable option: the engine's tracking table (the stack's TrackingTableName output)");
    dynamodb ??= options.dynamoDbClient
      ? Promise.resolve(options.dynamoDbClient)
      : import('@aws-sdk/client-dynamodb').then(({ DynamoDBClient }) => new DynamoDBClient({ ...(options.region ? { region: options.region } : {}) }));
    return { dynamodb: (await dynamodb) as never, trackingTable: options.trackingTable, eventBridge: client, busName: settings.busName };
  };

  return {
    send: async (request) => (await sendBatch([request as MailRequest<T>]))[0],
    sendBatch,
    async cancel(emailId: string): Promise<ScheduleResult> {
      const { cancelEmail } = await import('./schedule.js');
      return cancelEmail(await scheduleTarget(), emailId);
    },
    async reschedule(emailId: string, sendAt: string | Date): Promise<ScheduleResult> {
      const { rescheduleEmail } = await import('./schedule.js');
      return rescheduleEmail(await scheduleTarget(), emailId, sendAt);
    },
  };
}

/**
 * Publishes one call's entries: entries that fail retryably, or a call that fails transiently, are
 * sent again after a backoff, and only those; an entry EventBridge accepted is never sent twice.
 * Never throws: every entry ends with a result.
 */
async function publish(client: EventBridgeSender, call: Array<PreparedEntry & { index: number }>, settings: Settings): Promise<Map<number, SendResult>> {
  const results = new Map<number, SendResult>();
  const fail = (entry: PreparedEntry & { index: number }, error: MailError) => results.set(entry.index, { ok: false, emailId: entry.emailId, error });
  let pending = call;
  for (let attempt = 0; ; attempt++) {
    const again: typeof pending = [];
    const lastErrors = new Map<number, MailError>();
    try {
      const output = (await client.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }) as never)) as PutEventsCommandOutput;
      pending.forEach((entry, i) => {
        const answer = output.Entries?.[i];
        if (answer?.EventId) {
          results.set(entry.index, { ok: true, emailId: entry.emailId, eventId: answer.EventId });
        } else if (answer?.ErrorCode) {
          const error = { code: answer.ErrorCode, message: answer.ErrorMessage ?? answer.ErrorCode, retryable: isRetryableEntryCode(answer.ErrorCode) };
          if (error.retryable) {
            again.push(entry);
            lastErrors.set(entry.index, error);
          } else {
            fail(entry, error);
          }
        } else {
          // Without an answer the entry may have been accepted: sending it again is the caller's call
          // (with the same emailId it is safe), not ours.
          fail(entry, { code: 'unknown_outcome', message: 'EventBridge returned no result for this entry; it may or may not have been published', retryable: true });
        }
      });
    } catch (err) {
      const error = { code: errorCode(err), message: (err as Error)?.message || String(err), retryable: isTransient(err) };
      for (const entry of pending) {
        if (error.retryable) {
          again.push(entry);
          lastErrors.set(entry.index, error);
        } else {
          fail(entry, error);
        }
      }
    }
    if (again.length === 0) return results;
    if (attempt + 1 >= settings.maxAttempts) {
      for (const entry of again) fail(entry, { ...lastErrors.get(entry.index)!, message: `${lastErrors.get(entry.index)!.message} (after ${settings.maxAttempts} attempts)` });
      return results;
    }
    await sleep(backoffDelay(attempt, { ...settings.backoff, jitter: 'full' }));
    pending = again;
  }
}
