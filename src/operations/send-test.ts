import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { describeZodIssues } from '../config/zod-issues.js';
import { templateKey } from '../templates/bucket-layout.js';
import { EMAIL_ID_PATTERN, REQUEST_DETAIL_TYPE, requestDetailSchema } from '../model/request.js';
import { TERMINAL_STATUSES, type EmailStatus } from '../model/statuses.js';
import { ExitCode, MailengineError, isMailengineError, usageError } from '../errors.js';
import type { IoHost } from '../io/io-host.js';
import { WaitInterrupted, interrupted, pause } from '../stack/abortable.js';
import type { TrackingRecord } from '../tracking/record.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import { pollUntil } from '../util/poll.js';
import { parseAddress } from './address.js';
import { emailView, type TimelineEntry } from './email-view.js';
import { planTestAttachments, uploadTestAttachments, type LocalAttachment, type TestAttachment } from './send-test-attachments.js';
import { parseAtOption } from './schedule/manage.js';
import { EXPECTED_OUTCOME, SIMULATIONS, SIMULATOR_MAILBOXES, type ExpectedOutcome, type Simulation } from './simulations.js';

export const SIMULATOR_DOMAIN = 'simulator.amazonses.com';
/** Marks the request, so a test email is recognisable in `status lookup` (metadata is kept on the record). */
export const SEND_TEST_SOURCE = 'mailengine.send-test';

export interface SendTestOptions {
  simulate?: Simulation;
  to?: string;
  template: string;
  /** `--data`: JSON text. */
  data?: string;
  /** `--data-file`: the file's name (for messages) and its text, read by the shell. */
  dataFile?: { name: string; text: string };
  emailId?: string;
  timeoutSeconds: number;
  /** `--attach`: files the shell read, uploaded to the attachments prefix and sent with the email. */
  attachments?: LocalAttachment[];
  /** `--at`: schedule the test email (an ISO time with offset, or +10m); the wait ends once it is scheduled. */
  at?: string;
}

export type DataSource = 'data' | 'data-file' | 'sample-data';

export interface SendTestPlan {
  emailId: string;
  to: string;
  templateName: string;
  simulate?: Simulation;
  expected: ExpectedOutcome;
  /** Absent until the template's sampleData is read (when neither --data nor --data-file is given). */
  templateData?: Record<string, unknown>;
  dataSource: DataSource;
  timeoutMs: number;
  attachments?: TestAttachment[];
  /** The request's sendAt (ISO UTC), with `--at`. */
  sendAt?: string;
}

/** `test-20261122-101500-3f9a1c`: sortable by time, unique enough for a person's test runs, and lower case like the address it labels. */
export function newTestEmailId(now: Date = new Date(), random: (n: number) => Buffer = randomBytes): string {
  const [day, time] = now.toISOString().replace(/[-:]/g, '').split('T');
  return `test-${day}-${time.slice(0, 6)}-${random(3).toString('hex')}`;
}

/**
 * `bounce+test-20261122-101500-3f9a1c@simulator.amazonses.com`. SES ignores the label, and it keeps
 * runs apart: each run is its own address, so one run's bounce never suppresses the next run.
 */
export function simulatorAddress(simulation: Simulation, emailId: string): string {
  const mailbox = SIMULATOR_MAILBOXES[simulation];
  // A local part is at most 64 characters and takes no dots at the ends or in a row: keep it plain.
  const label = emailId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 63 - mailbox.length);
  return `${mailbox}+${label}@${SIMULATOR_DOMAIN}`.toLowerCase();
}

function parseData(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw usageError('INVALID_TEMPLATE_DATA', `${what} is not JSON: ${(err as Error).message}`, 'Give the template data as a JSON object, e.g. --data \'{"userName":"Ann"}\'.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usageError('INVALID_TEMPLATE_DATA', `${what} must be a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}.`, 'Give the template data as a JSON object, e.g. --data \'{"userName":"Ann"}\'.');
  }
  return value as Record<string, unknown>;
}

/**
 * Checks the flags and decides what to send, before anything talks to AWS. Everything that is
 * wrong with the input is exit 2; an unknown template is not known yet (the engine says so).
 */
export function planSendTest(options: SendTestOptions, now: Date = new Date()): SendTestPlan {
  if (options.simulate && options.to) {
    throw usageError('SEND_TARGET_AMBIGUOUS', 'Give either --simulate or --to, not both.', '--simulate sends to the SES mailbox simulator; --to sends to a real address.');
  }
  if (!options.simulate && !options.to) {
    throw usageError('SEND_TARGET_MISSING', 'Say where the test email goes: --simulate <outcome> or --to <address>.', `--simulate takes ${SIMULATIONS.join(', ')}; --to takes an address you can read.`);
  }
  if (options.data !== undefined && options.dataFile) {
    throw usageError('SEND_DATA_AMBIGUOUS', 'Give either --data or --data-file, not both.');
  }
  if (options.emailId !== undefined && !EMAIL_ID_PATTERN.test(options.emailId)) {
    throw usageError('INVALID_EMAIL_ID', `--email-id "${options.emailId.slice(0, 80)}" is not an emailId.`, 'An emailId is 1-200 letters, digits or ._:@+=- and starts with a letter or digit.');
  }
  const emailId = options.emailId ?? newTestEmailId(now);
  const to = options.simulate ? simulatorAddress(options.simulate, emailId) : parseAddress(options.to as string, 'recipient (--to)');
  const templateData =
    options.data !== undefined ? parseData(options.data, '--data') : options.dataFile ? parseData(options.dataFile.text, options.dataFile.name) : undefined;
  const plan: SendTestPlan = {
    emailId,
    to,
    templateName: options.template,
    ...(options.simulate ? { simulate: options.simulate } : {}),
    expected: options.simulate ? EXPECTED_OUTCOME[options.simulate] : 'delivered',
    ...(templateData ? { templateData } : {}),
    dataSource: options.data !== undefined ? 'data' : options.dataFile ? 'data-file' : 'sample-data',
    timeoutMs: options.timeoutSeconds * 1000,
    ...(options.attachments?.length ? { attachments: planTestAttachments(options.attachments, emailId) } : {}),
    ...(options.at !== undefined ? { sendAt: parseAtOption(options.at, now) } : {}),
  };
  requestDetail(plan);
  return plan;
}

/** The request's detail, checked with the engine's own schema so the engine never sees bad input from us. */
function requestDetail(plan: SendTestPlan): Record<string, unknown> {
  const detail = {
    to: plan.to,
    templateName: plan.templateName,
    templateData: plan.templateData ?? {},
    emailId: plan.emailId,
    metadata: { sentBy: 'mailengine send --test', ...(plan.simulate ? { simulate: plan.simulate } : {}) },
    ...(plan.attachments ? { attachments: plan.attachments.map((a) => a.request) } : {}),
    ...(plan.sendAt ? { sendAt: plan.sendAt } : {}),
  };
  const parsed = requestDetailSchema.safeParse(detail);
  if (!parsed.success) {
    const problems = describeZodIssues(parsed.error).map((p) => p.replace(/^templateName:/, '--template:').replace(/^to:/, '--to:'));
    throw usageError('INVALID_REQUEST', `The engine would refuse this request:\n  ${problems.join('\n  ')}`, 'Fix the flags named above.', { problems });
  }
  return detail;
}

export interface SendTestDeps {
  events: Pick<EventBridgeClient, 'send'>;
  s3: Pick<S3Client, 'send'>;
  tracking: Pick<TrackingStore, 'get' | 'getWithHistory'>;
  engine: { eventBusName: string; templatesBucket: string; where: string };
  /**
   * Throws when nothing would take the request off the bus (the local runner serves another
   * stack), so the command fails before it publishes rather than at its timeout.
   */
  confirmServed?: () => Promise<void>;
  io: IoHost;
  signal?: AbortSignal;
  now?: () => number;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface SendTestResult {
  emailId: string;
  to: string;
  template: string;
  simulate?: Simulation;
  expected: ExpectedOutcome;
  /** `delivered` (also for opened and clicked), or the final status; null when none came in time. */
  outcome: string | null;
  /** The record's status when the wait ended; null when no record appeared. */
  status: EmailStatus | null;
  ok: boolean;
  timedOut: boolean;
  errorType?: string;
  errorMessage?: string;
  lastError?: string;
  dataSource: DataSource;
  /** The file names sent with `--attach`. */
  attachments?: string[];
  /** The EventBridge event id PutEvents gave the request. */
  eventId?: string;
  publishedAt: string;
  waitedMs: number;
  timeoutMs: number;
  history: TimelineEntry[];
  /** With `--at`: when it is to be sent. The wait ended once the engine had it scheduled. */
  sendAt?: string;
}

const DELIVERED: ReadonlySet<EmailStatus> = new Set(['delivered', 'opened', 'clicked']);

/** The outcome a status stands for, or undefined while the email is still on its way. */
export function outcomeOf(status: EmailStatus): string | undefined {
  if (DELIVERED.has(status)) return 'delivered';
  if (TERMINAL_STATUSES.has(status)) return status;
  return undefined;
}

/**
 * Whether to stop waiting. A final status always ends the wait. A delivery ends it only when a
 * delivery was expected: a complaint arrives after the delivery it is about.
 */
function settled(status: EmailStatus, expected: ExpectedOutcome, scheduled = false): boolean {
  return (scheduled && status === 'scheduled') || TERMINAL_STATUSES.has(status) || (expected === 'delivered' && DELIVERED.has(status));
}

/** The template's `sampleData` from its metadata.json in the bucket; `found: false` when there is no such template. */
export async function templateSampleData(s3: Pick<S3Client, 'send'>, bucket: string, template: string): Promise<{ found: boolean; sampleData?: Record<string, unknown> }> {
  let text: string;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: templateKey(template, 'metadata.json') }));
    text = (await out.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    if (isMailengineError(err) && err.exitCode === ExitCode.NotFound) return { found: false };
    throw err;
  }
  try {
    const meta = JSON.parse(text) as { sampleData?: unknown };
    const sample = meta.sampleData;
    return { found: true, ...(typeof sample === 'object' && sample !== null && !Array.isArray(sample) ? { sampleData: sample as Record<string, unknown> } : {}) };
  } catch {
    // A broken metadata.json: the engine will say template_error, which is the answer the user wants.
    return { found: true };
  }
}

/** How long to wait for the history entry of a status that has already changed. */
const HISTORY_GRACE_MS = 3000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * `send --test`: publishes one Email Request on the engine's bus, exactly as an app does, then
 * follows its tracking record until it settles or `timeoutMs` passes. Returns what happened; the
 * caller turns a result that is not `ok` into exit 1 (`sendTestFailure`).
 */
export async function sendTestEmail(deps: SendTestDeps, plan: SendTestPlan): Promise<SendTestResult> {
  const now = deps.now ?? Date.now;
  const wait = deps.wait ?? pause;
  const { io } = deps;

  await deps.confirmServed?.();
  const existing = await deps.tracking.get(plan.emailId);
  if (existing) {
    throw usageError(
      'EMAIL_ID_IN_USE',
      `emailId ${plan.emailId} already belongs to an email ${deps.engine.where} (${existing.status}, created ${existing.createdAt}); the engine would ignore this request as a duplicate.`,
      'Leave out --email-id to get a fresh one, or choose another.',
      { emailId: plan.emailId, status: existing.status },
    );
  }

  let templateData = plan.templateData;
  if (!templateData) {
    const sample = await templateSampleData(deps.s3, deps.engine.templatesBucket, plan.templateName);
    if (!sample.found) {
      io.notify({
        code: 'send.test.template-missing',
        level: 'warn',
        message: `There is no template ${plan.templateName} ${deps.engine.where}; sending anyway, so you see what the engine does with it.`,
      });
    } else if (!sample.sampleData) {
      io.notify({ code: 'send.test.no-sample-data', level: 'warn', message: `Template ${plan.templateName} has no sampleData in its metadata.json; sending it with no data (give some with --data).` });
    }
    templateData = sample.sampleData ?? {};
  }
  const detail = requestDetail({ ...plan, templateData });
  if (plan.attachments) await uploadTestAttachments(deps.s3, deps.engine.templatesBucket, plan.attachments, io);

  const publishedAt = new Date(now()).toISOString();
  // PutEvents reports refused entries in the answer, not as an exception (API reference: FailedEntryCount, Entries[].ErrorCode).
  const out = await deps.events.send(
    new PutEventsCommand({ Entries: [{ EventBusName: deps.engine.eventBusName, Source: SEND_TEST_SOURCE, DetailType: REQUEST_DETAIL_TYPE, Detail: JSON.stringify(detail) }] }),
  );
  const entry = out.Entries?.[0];
  if ((out.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
    throw new MailengineError('SEND_TEST_NOT_PUBLISHED', `EventBridge refused the request on bus ${deps.engine.eventBusName}: ${entry?.ErrorCode ?? 'no event id'}${entry?.ErrorMessage ? ` (${entry.ErrorMessage})` : ''}.`, {
      suggestion: 'Nothing was sent. `mailengine info` shows the bus; check that this identity may call events:PutEvents on it.',
      details: { errorCode: entry?.ErrorCode },
    });
  }
  io.notify({ code: 'send.test.published', level: 'info', message: `Published ${plan.emailId} to ${plan.to} on ${deps.engine.eventBusName} (event ${entry.EventId}).` });
  // A test email scheduled ahead has its outcome once the engine holds it as scheduled.
  const scheduled = plan.sendAt !== undefined && Date.parse(plan.sendAt) > now();

  const started = now();
  const progress = io.progress('send.test.wait', `Waiting up to ${seconds(plan.timeoutMs)} for the outcome (expecting ${scheduled ? 'scheduled' : plan.expected})`);
  let record: TrackingRecord | undefined;
  let history: TimelineEntry[] = [];
  let seen = '';
  let historyGrace: number | undefined;
  const look = async (): Promise<boolean> => {
    const found = await deps.tracking.getWithHistory(plan.emailId);
    if (!found) return false;
    record = found.record;
    history = emailView(found.record, found.history).history;
    if (record.status !== seen) {
      seen = record.status;
      progress.update(`${plan.emailId}: ${record.status} after ${seconds(now() - started)}${history.length ? ` (last event: ${history[history.length - 1].event})` : ''}`);
    }
    // The engine moves the status first and writes its history entry just after: wait (briefly)
    // for that entry, so the timeline printed ends with the event that settled it.
    if (!settled(record.status, plan.expected, scheduled)) return false;
    const status = record.status;
    if (history.some((h) => h.status === status)) return true;
    historyGrace ??= now() + HISTORY_GRACE_MS;
    return now() >= historyGrace;
  };
  try {
    await pollUntil(async () => ({ done: await look(), value: undefined }), { timeoutMs: plan.timeoutMs, delayMs: 200, factor: 1.5, maxDelayMs: 1000, signal: deps.signal, sleep: wait, now });
  } catch (err) {
    progress.stop();
    if (err instanceof WaitInterrupted) {
      throw interrupted(
        `Stopped waiting for ${plan.emailId}; the request was published and the engine carries on with it.`,
        `See where it got: mailengine status lookup --email-id ${plan.emailId}`,
      );
    }
    throw err;
  }

  const status = record?.status ?? null;
  const timedOut = !record || !settled(record.status, plan.expected, scheduled);
  const outcome = timedOut ? null : scheduled && record!.status === 'scheduled' ? 'scheduled' : (outcomeOf(record!.status) ?? null);
  const ok = !timedOut && (outcome === plan.expected || (scheduled && outcome === 'scheduled'));
  const waitedMs = now() - started;
  if (ok) progress.succeed(`${plan.emailId}: ${outcome}, as expected (${seconds(waitedMs)})`);
  // A miss is reported once, by the error the caller raises from the result.
  else progress.stop();

  return {
    emailId: plan.emailId,
    to: plan.to,
    template: plan.templateName,
    ...(plan.simulate ? { simulate: plan.simulate } : {}),
    expected: plan.expected,
    outcome,
    status,
    ok,
    timedOut,
    ...(record?.errorType ? { errorType: record.errorType } : {}),
    ...(record?.errorMessage ? { errorMessage: record.errorMessage } : {}),
    ...(record?.lastError ? { lastError: record.lastError } : {}),
    dataSource: plan.dataSource,
    ...(plan.attachments ? { attachments: plan.attachments.map((a) => a.request.filename) } : {}),
    eventId: entry.EventId,
    publishedAt,
    waitedMs,
    timeoutMs: plan.timeoutMs,
    history,
    ...(plan.sendAt ? { sendAt: plan.sendAt } : {}),
  };
}

/** The exit-1 error for a test email that did not end as asked; the result itself is printed first. */
export function sendTestFailure(result: SendTestResult): MailengineError {
  const follow = `mailengine status lookup --email-id ${result.emailId}`;
  if (result.timedOut) {
    const last = result.status
      ? `it was ${result.status}${result.lastError ? ` (last error: ${result.lastError})` : ''}`
      : 'no tracking record had appeared';
    return new MailengineError('SEND_TEST_TIMEOUT', `No outcome for ${result.emailId} within ${seconds(result.timeoutMs)}: ${last}.`, {
      suggestion: result.status
        ? `Wait longer with --timeout, or follow it: ${follow}`
        : `The request may be waiting in the send queue: is the engine paused (\`mailengine info\`), or is something in the DLQ (\`mailengine dlq list\`)? Follow it: ${follow}`,
      details: { emailId: result.emailId, status: result.status },
    });
  }
  if (result.status === 'failed' || result.status === 'suppressed') {
    return new MailengineError('SEND_TEST_REJECTED', `The engine did not send ${result.emailId}: ${result.errorType ?? result.status}${result.errorMessage ? ` (${result.errorMessage})` : ''}.`, {
      suggestion: result.errorType === 'template_not_found' ? 'Push it first with `mailengine templates push`; `mailengine templates list` shows what the engine has.' : `The errorType table in docs/reference.md says what ${result.errorType ?? result.status} means.`,
      details: { emailId: result.emailId, status: result.status, errorType: result.errorType },
    });
  }
  return new MailengineError('SEND_TEST_UNEXPECTED_OUTCOME', `${result.emailId} ended ${result.outcome}, not ${result.expected} as expected.`, {
    suggestion: `Its timeline is above; ${follow} shows it again.`,
    details: { emailId: result.emailId, status: result.status, outcome: result.outcome, expected: result.expected },
  });
}
