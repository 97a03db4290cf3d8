import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { normaliseAddress } from './address.js';
import { ERROR_TYPES, PermanentFailure, type ErrorType } from './error-types.js';
import { isReservedTagName, isTagValue } from './ses-tags.js';
import { attachmentsSchema, scheduledAttachmentsProblem, type RequestAttachment } from './attachments.js';
import { parseSendAt, sendAtProblem, sendAtSchema } from './send-at.js';

/**
 * The "Email Request" event contract (v1), and the SESMailEngine shape it also accepts
 * (`senderOverride`). Validation is strict: an unknown field is an error rather than something
 * silently ignored, because a misspelt `replyto` would otherwise vanish without a trace.
 */
export const REQUEST_DETAIL_TYPE = 'Email Request';
export const MAX_TEMPLATE_DATA_BYTES = 256 * 1024;
export const MAX_METADATA_BYTES = 8 * 1024;
export const MAX_RECIPIENTS = 50;

const NO_CRLF = /[\r\n]/;
/**
 * Characters no header may carry: C0 controls but tab (CR and LF above all), DEL, and the Unicode
 * line and paragraph separators some mail software folds on.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f\u0085\u2028\u2029]/;
const HEADER_INJECTION = { errorType: ERROR_TYPES.headerInjection };
const INVALID_ADDRESS = { errorType: ERROR_TYPES.invalidAddress };

// zod/mini: the same validation core as zod's chained API at a fraction of the module cost (this
// file is on the Sender's cold start). It carries no messages of its own until a locale is set;
// English is what zod's classic API sets when it loads, so the messages are the same either way.
z.config(en());

/** What is wrong with text bound for a mail header, or undefined when it is one clean line. */
export function headerTextProblem(value: string): string | undefined {
  if (NO_CRLF.test(value)) return 'must not contain CR or LF';
  if (CONTROL.test(value)) return 'must not contain control characters';
  return undefined;
}

/** Text that ends up in a mail header: one line, printable. */
const headerText = (max: number, min = 0) =>
  z.string().check(
    z.minLength(min, { message: 'must not be empty' }),
    z.maxLength(max),
    z.superRefine((value, ctx) => {
      const problem = headerTextProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, params: HEADER_INJECTION });
    }),
  );

const emailSyntax = z.email();

/**
 * Whether `value` is one address the engine will send to or from. The same test for requests,
 * for addresses a template renders, and for the CLI's lookups.
 */
export function isValidAddress(value: string): boolean {
  const at = value.lastIndexOf('@');
  return value.length <= 254 && at > 0 && at <= 64 && !CONTROL.test(value) && emailSyntax.safeParse(value).success;
}

/** An address, trimmed first: stray spaces around it are a slip, not a different address. */
const address = z.string().check(
  z.trim(),
  z.superRefine((value, ctx) => {
    const problem = headerTextProblem(value);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem, params: HEADER_INJECTION });
      return;
    }
    // The value is not quoted: a cc or bcc address must not end up in the `to` recipient's record.
    if (!isValidAddress(value)) ctx.addIssue({ code: 'custom', message: 'is not a valid email address', params: INVALID_ADDRESS });
  }),
);

const mailbox = z.strictObject({ email: address, name: z.optional(headerText(256)) });
/** `from` and `senderOverride` may be an address or `{ email, name }`. */
const sender = z.union([z.pipe(address, z.transform((email) => ({ email, name: undefined as string | undefined }))), mailbox]);
const addressList = z.union([z.pipe(address, z.transform((a) => [a])), z.array(address).check(z.maxLength(MAX_RECIPIENTS))]);

/** Headers a request may set: custom X- headers and the list and threading headers. */
const ALLOWED_HEADERS = new Set(['list-unsubscribe', 'list-unsubscribe-post', 'list-id', 'in-reply-to', 'references', 'precedence', 'auto-submitted']);
const HEADER_NAME = /^[!-9;-~]{1,126}$/;

const headers = z.record(z.string(), headerText(870)).check(z.superRefine((value, ctx) => {
  for (const name of Object.keys(value)) {
    if (NO_CRLF.test(name) || !HEADER_NAME.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'is not a valid header name', params: HEADER_INJECTION });
    } else if (/^x-ses-/i.test(name)) {
      // SES reads X-SES-* as instructions (configuration set, tags, source ARN): never the caller's.
      ctx.addIssue({ code: 'custom', path: [name], message: 'is reserved by SES (X-SES-* headers cannot be set)' });
    } else if (!/^x-/i.test(name) && !ALLOWED_HEADERS.has(name.toLowerCase())) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'is not an allowed header (use X-… or List-Unsubscribe, List-Id, In-Reply-To, References)' });
    }
  }
}));

/** SES message tags: letters, digits, _ and -; mailengine sets `emailId` and `template` itself. */
const tags = z.record(z.string(), z.string()).check(z.superRefine((value, ctx) => {
  const entries = Object.entries(value);
  if (entries.length > 10) ctx.addIssue({ code: 'custom', message: 'at most 10 tags' });
  for (const [name, tagValue] of entries) {
    if (!isTagValue(name) || isReservedTagName(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'is not an allowed tag name (letters, digits, _ and -; not emailId*, template or ses*)' });
    }
    if (!isTagValue(tagValue)) ctx.addIssue({ code: 'custom', path: [name], message: 'tag values are 1-256 letters, digits, _ or -' });
  }
}));

export const EMAIL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,199}$/;
const TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Deepest nesting `metadata` may have: the record is one level, DynamoDB allows 32. */
export const MAX_METADATA_DEPTH = 16;
/** DynamoDB numbers: 38 significant digits, magnitudes from 1e-130 to just under 1e126. */
const DYNAMODB_MAX = 1e126;
const DYNAMODB_MIN = 1e-130;

/**
 * `metadata` is stored on the tracking record as it is, so it must be something DynamoDB takes
 * and gives back unchanged: no empty keys, no deeper nesting than MAX_METADATA_DEPTH, and only
 * numbers that survive the trip exactly (integers beyond 2^53 and magnitudes DynamoDB cannot
 * hold are refused; send those as strings).
 */
function checkStorable(metadata: Record<string, unknown>, ctx: z.core.$RefinementCtx<Record<string, unknown>>): void {
  const visit = (value: unknown, path: Array<string | number>, depth: number): void => {
    if (typeof value === 'number') {
      const magnitude = Math.abs(value);
      const exact = Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value)) && magnitude < DYNAMODB_MAX && (magnitude === 0 || magnitude >= DYNAMODB_MIN);
      if (!exact) ctx.addIssue({ code: 'custom', path, message: 'is a number that cannot be stored exactly (send it as a string)' });
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (depth > MAX_METADATA_DEPTH) {
      ctx.addIssue({ code: 'custom', path, message: `is nested deeper than ${MAX_METADATA_DEPTH} levels` });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, [...path, i], depth + 1));
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      if (key === '') ctx.addIssue({ code: 'custom', path, message: 'has an empty key' });
      else visit(item, [...path, key], depth + 1);
    }
  };
  visit(metadata, [], 1);
}

const jsonSize = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

export const requestDetailSchema = z
  .strictObject({
    to: address,
    templateName: z.string().check(z.regex(TEMPLATE_NAME, { message: 'is not a template name (letters, digits, ".", "_", "-"; at most 100)' })),
    templateData: z.optional(z.record(z.string(), z.unknown())),
    emailId: z.optional(z.string().check(z.regex(EMAIL_ID_PATTERN, { message: 'must be 1-200 letters, digits or ._:@+=- and start with a letter or digit' }))),
    subject: z.optional(headerText(998, 1)),
    from: z.optional(sender),
    senderOverride: z.optional(sender),
    replyTo: z.optional(addressList),
    cc: z.optional(addressList),
    bcc: z.optional(addressList),
    headers: z.optional(headers),
    tags: z.optional(tags),
    metadata: z.optional(z.record(z.string(), z.unknown()).check(z.superRefine(checkStorable))),
    attachments: z.optional(attachmentsSchema),
    sendAt: z.optional(sendAtSchema),
  })
  .check(z.superRefine((detail, ctx) => {
    if (detail.templateData && jsonSize(detail.templateData) > MAX_TEMPLATE_DATA_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['templateData'], message: `is larger than ${MAX_TEMPLATE_DATA_BYTES / 1024} KB`, params: { errorType: ERROR_TYPES.payloadTooLarge } });
    }
    if (detail.metadata && jsonSize(detail.metadata) > MAX_METADATA_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['metadata'], message: `is larger than ${MAX_METADATA_BYTES / 1024} KB`, params: { errorType: ERROR_TYPES.payloadTooLarge } });
    }
    const total = 1 + (detail.cc?.length ?? 0) + (detail.bcc?.length ?? 0);
    if (total > MAX_RECIPIENTS) ctx.addIssue({ code: 'custom', path: ['bcc'], message: `at most ${MAX_RECIPIENTS} recipients in all` });
    if (detail.from && detail.senderOverride) ctx.addIssue({ code: 'custom', path: ['senderOverride'], message: 'give either from or senderOverride, not both' });
  }));

/** A request that passed validation, in the form the Sender works with. */
export interface EmailRequest {
  emailId: string;
  to: string;
  /** Lower-cased `to`: the key for lookups and suppression. */
  recipient: string;
  templateName: string;
  templateData: Record<string, unknown>;
  subject?: string;
  from?: { email: string; name?: string };
  replyTo: string[];
  cc: string[];
  bcc: string[];
  headers: Array<{ name: string; value: string }>;
  tags: Record<string, string>;
  metadata?: Record<string, unknown>;
  /** Files in the engine's attachments prefix to send with the email (src/model/attachments.ts). */
  attachments: RequestAttachment[];
  /** When to send (ISO UTC), when the request asked for a time; see src/model/send-at.ts. */
  sendAt?: string;
  /** The publisher's `Source` and the EventBridge event id. */
  source?: string;
  eventId: string;
  requestedAt: string;
  /** The event's own time, or a constant when it has none: the same on every redelivery. */
  keyTime: string;
}

/** A request that cannot be sent, with what is known of it, so it can still be recorded. */
export interface RejectedRequest {
  emailId: string;
  recipient?: string;
  templateName?: string;
  source?: string;
  eventId: string;
  requestedAt: string;
  keyTime: string;
  failure: PermanentFailure;
}

export type ParsedRequest = { ok: true; request: EmailRequest } | { ok: false; rejected: RejectedRequest };

interface EventEnvelope {
  id?: unknown;
  source?: unknown;
  time?: unknown;
  'detail-type'?: unknown;
  detail?: unknown;
}

/**
 * Reads one SQS message body (an EventBridge event) into a request, or into a rejection that
 * still carries an emailId: the caller's, else one derived from the event id, so a redelivered
 * bad request lands on the same record instead of creating another.
 */
export function parseRequestMessage(body: string, sqsMessageId: string, now: Date = new Date()): ParsedRequest {
  let envelope: EventEnvelope;
  try {
    envelope = JSON.parse(body) as EventEnvelope;
  } catch {
    return reject({ eventId: safeEventId(undefined, sqsMessageId), now }, ERROR_TYPES.invalidRequest, 'the message is not JSON');
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    return reject({ eventId: safeEventId(undefined, sqsMessageId), now }, ERROR_TYPES.invalidRequest, 'the message is not an EventBridge event');
  }
  const eventId = safeEventId(envelope.id, sqsMessageId);
  const source = typeof envelope.source === 'string' && envelope.source ? envelope.source.slice(0, 256) : undefined;
  const eventTime = typeof envelope.time === 'string' && !Number.isNaN(Date.parse(envelope.time)) ? new Date(envelope.time).toISOString() : undefined;
  const requestedAt = eventTime ?? now.toISOString();
  const base = { eventId, source, now, requestedAt, keyTime: eventTime ?? UNTIMED };

  if (envelope['detail-type'] !== REQUEST_DETAIL_TYPE) {
    return reject(base, ERROR_TYPES.invalidRequest, `detail-type is ${JSON.stringify(envelope['detail-type'])}, expected "${REQUEST_DETAIL_TYPE}"`);
  }
  let detail = envelope.detail;
  if (typeof detail === 'string') {
    try {
      detail = JSON.parse(detail);
    } catch {
      return reject(base, ERROR_TYPES.invalidRequest, 'detail is not JSON');
    }
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return reject(base, ERROR_TYPES.invalidRequest, 'detail must be a JSON object');
  }

  const raw = detail as Record<string, unknown>;
  const shape = shapeProblem(raw);
  if (shape) return reject({ ...base, emailId: safeCallerId(raw.emailId), recipient: recipientOf(raw.to) }, ERROR_TYPES.invalidRequest, shape);
  const callerId = safeCallerId(raw.emailId);
  const knownRecipient = recipientOf(raw.to);
  const parsed = requestDetailSchema.safeParse(detail);
  if (!parsed.success) {
    const { errorType, message } = describeIssues(parsed.error);
    return reject({ ...base, emailId: callerId, recipient: knownRecipient, templateName: typeof raw.templateName === 'string' ? raw.templateName.slice(0, 100) : undefined }, errorType, message);
  }

  const d = parsed.data;
  const sendAt = d.sendAt === undefined ? undefined : parseSendAt(d.sendAt);
  const tooFar = sendAt && (sendAtProblem(sendAt, now) ?? (d.attachments?.length ? scheduledAttachmentsProblem(sendAt, now) : undefined));
  if (tooFar) return reject({ ...base, emailId: callerId, recipient: knownRecipient, templateName: d.templateName }, ERROR_TYPES.invalidRequest, tooFar);
  const from = d.from ?? d.senderOverride;
  return {
    ok: true,
    request: {
      emailId: d.emailId ?? `evt-${eventId}`,
      to: d.to,
      recipient: normaliseAddress(d.to),
      templateName: d.templateName,
      templateData: d.templateData ?? {},
      subject: d.subject,
      from: from ? { email: from.email, ...(from.name ? { name: from.name } : {}) } : undefined,
      replyTo: d.replyTo ?? [],
      cc: d.cc ?? [],
      bcc: d.bcc ?? [],
      headers: Object.entries(d.headers ?? {}).map(([name, value]) => ({ name, value })),
      tags: d.tags ?? {},
      metadata: d.metadata,
      attachments: d.attachments ?? [],
      ...(sendAt ? { sendAt: sendAt.toISOString() } : {}),
      source,
      eventId,
      requestedAt,
      keyTime: base.keyTime,
    },
  };
}

/**
 * The event id as the engine keys on it (the derived emailId, history sort keys). EventBridge ids
 * are UUIDs; anything else that arrives is replaced by a digest of it, so a hostile id can neither
 * break a key nor grow one past DynamoDB's limits, and a redelivery still maps to the same record.
 */
function safeEventId(id: unknown, sqsMessageId: string): string {
  if (typeof id === 'string' && /^[A-Za-z0-9-]{1,128}$/.test(id)) return id;
  if (typeof id === 'string' && id) return `h-${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
  return /^[A-Za-z0-9-]{1,128}$/.test(sqsMessageId) ? `sqs-${sqsMessageId}` : `sqs-h-${createHash('sha256').update(sqsMessageId).digest('hex').slice(0, 40)}`;
}

const safeCallerId = (id: unknown) => (typeof id === 'string' && EMAIL_ID_PATTERN.test(id) ? id : undefined);

/** Deepest nesting a request's detail may have; no template reads anywhere near it. */
export const MAX_DETAIL_DEPTH = 64;

/**
 * What makes a detail unsafe to walk, or undefined: nesting past MAX_DETAIL_DEPTH (JSON.parse
 * reads tens of thousands of levels, which would overflow the stack of anything that walks them
 * recursively: validation, JSON.stringify, rendering), or a `__proto__` key anywhere (JSON.parse
 * makes it an own property; merged into another object it would replace that object's prototype).
 * Walks without recursion.
 */
function shapeProblem(value: unknown): string | undefined {
  const stack: Array<[unknown, number, string]> = [[value, 1, 'detail']];
  while (stack.length) {
    const [item, depth, path] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > MAX_DETAIL_DEPTH) return `detail is nested deeper than ${MAX_DETAIL_DEPTH} levels`;
    for (const [key, child] of Object.entries(item)) {
      if (key === '__proto__') return `${path}: a key named __proto__ is not accepted`;
      stack.push([child, depth + 1, depth < 4 ? `${path}.${key}` : path]);
    }
  }
  return undefined;
}

/**
 * The recipient a rejected request is filed under, so lookups and erasure find it: the `to` it
 * named, normalised as every record is, when it is one line of plausible length.
 */
function recipientOf(to: unknown): string | undefined {
  if (typeof to !== 'string') return undefined;
  const address = normaliseAddress(to);
  return address && address.length <= 254 && !CONTROL.test(address) ? address : undefined;
}

/** Sorts before any real time; used for messages that carry none. */
const UNTIMED = '0000-00-00T00:00:00.000Z';

function reject(
  base: { eventId: string; now: Date; source?: string; requestedAt?: string; keyTime?: string; emailId?: string; recipient?: string; templateName?: string },
  errorType: ErrorType,
  message: string,
): ParsedRequest {
  return {
    ok: false,
    rejected: {
      emailId: base.emailId ?? `evt-${base.eventId}`,
      recipient: base.recipient,
      templateName: base.templateName,
      source: base.source,
      eventId: base.eventId,
      requestedAt: base.requestedAt ?? base.now.toISOString(),
      keyTime: base.keyTime ?? UNTIMED,
      failure: new PermanentFailure(errorType, message),
    },
  };
}

/** The most specific error type among the issues, and all of them as one message. */
function describeIssues(error: z.core.$ZodError): { errorType: ErrorType; message: string } {
  const order: ErrorType[] = [ERROR_TYPES.headerInjection, ERROR_TYPES.payloadTooLarge, ERROR_TYPES.invalidAddress];
  const found = new Set<ErrorType>();
  const collect = (issue: z.core.$ZodIssue) => {
    const type = (issue as { params?: { errorType?: ErrorType } }).params?.errorType;
    if (type) found.add(type);
    // A union (an address or a list; an address or { email, name }) nests the branches' issues.
    if (issue.code === 'invalid_union') for (const branch of issue.errors) branch.forEach(collect);
  };
  const describe = (issue: z.core.$ZodIssue): string => {
    if (issue.code === 'invalid_union') {
      // Say what was wrong with the value, not merely that no branch matched.
      const specific = issue.errors.flat().find((i) => i.code === 'custom');
      if (specific) return describe({ ...specific, path: [...issue.path, ...specific.path] });
    }
    const where = issue.path.length ? issue.path.map(String).join('.') : 'detail';
    if (issue.code === 'unrecognized_keys') return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    return `${where}: ${issue.message}`;
  };
  const lines = error.issues.map((issue) => {
    collect(issue);
    return describe(issue);
  });
  return { errorType: order.find((t) => found.has(t)) ?? ERROR_TYPES.invalidRequest, message: lines.join('; ') };
}
