import { randomUUID } from 'node:crypto';
import { ERROR_TYPES } from '../model/error-types.js';
import { EMAIL_ID_PATTERN, parseRequestMessage, REQUEST_DETAIL_TYPE } from '../model/request.js';
import type { MailError } from './types.js';

/** PutEvents' limits (EventBridge API reference): 10 entries and 256 KB a call. */
export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_CALL_BYTES = 256 * 1024;

/** One request turned into the PutEvents entry that publishes it. */
export interface PreparedEntry {
  emailId: string;
  entry: { EventBusName: string; Source: string; DetailType: string; Detail: string };
  /** What EventBridge counts towards its 256 KB: Source, DetailType and Detail, plus 14 bytes for Time. */
  bytes: number;
}

export type Prepared = { ok: true; prepared: PreparedEntry } | { ok: false; emailId?: string; error: MailError };

/** An emailId the engine accepts (EMAIL_ID_PATTERN): a UUID starts with a hex digit and holds only hex digits and `-`. */
export function newEmailId(): string {
  return randomUUID();
}

const refused = (code: string, message: string, emailId?: string): Prepared => ({ ok: false, ...(emailId ? { emailId } : {}), error: { code, message, retryable: false } });

/**
 * Turns a client request (`template`, `data`, the rest as the engine names them) into an "Email
 * Request" entry, checked exactly as the Sender checks what it receives: the JSON text goes
 * through `parseRequestMessage`, the Sender's own reading of a message, so a request refused
 * here is one the engine would have recorded as failed, with the same error type and message.
 * Fields the engine does not know are passed on, and so refused, rather than silently dropped.
 */
export function prepareEntry(request: unknown, target: { busName: string; source: string }): Prepared {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return refused(ERROR_TYPES.invalidRequest, 'a request must be an object with template, to and data');
  }
  const { template, data, ...rest } = request as Record<string, unknown>;
  const callerId = typeof rest.emailId === 'string' && EMAIL_ID_PATTERN.test(rest.emailId) ? rest.emailId : undefined;
  for (const [engineName, clientName] of [
    ['templateName', 'template'],
    ['templateData', 'data'],
  ] as const) {
    if (engineName in rest) return refused(ERROR_TYPES.invalidRequest, `${engineName}: the client takes it as \`${clientName}\``, callerId);
  }
  const emailId = rest.emailId === undefined ? newEmailId() : rest.emailId;
  // A Date travels as the ISO time it is (UTC); an invalid one as the text the engine will refuse.
  if (rest.sendAt instanceof Date) rest.sendAt = Number.isNaN(rest.sendAt.getTime()) ? 'Invalid Date' : rest.sendAt.toISOString();
  const detail = { ...rest, templateName: template, ...(data === undefined ? {} : { templateData: data }), emailId };

  let text: string;
  try {
    text = JSON.stringify(detail);
  } catch (err) {
    return refused(ERROR_TYPES.invalidRequest, `the request cannot be written as JSON: ${(err as Error).message}`, callerId);
  }
  const envelope = `{"id":"client-check","source":${JSON.stringify(target.source)},"detail-type":${JSON.stringify(REQUEST_DETAIL_TYPE)},"detail":${text}}`;
  const parsed = parseRequestMessage(envelope, 'client-check');
  if (!parsed.ok) return refused(parsed.rejected.failure.errorType, parsed.rejected.failure.message, callerId);

  const entry = { EventBusName: target.busName, Source: target.source, DetailType: REQUEST_DETAIL_TYPE, Detail: text };
  const bytes = 14 + Buffer.byteLength(entry.Source, 'utf8') + Buffer.byteLength(entry.DetailType, 'utf8') + Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CALL_BYTES) {
    return refused(ERROR_TYPES.payloadTooLarge, `the request is ${Math.ceil(bytes / 1024)} KB as an EventBridge entry; PutEvents takes at most ${MAX_CALL_BYTES / 1024} KB`, callerId);
  }
  return { ok: true, prepared: { emailId: parsed.request.emailId, entry, bytes } };
}

/**
 * Groups entries, in order, into PutEvents calls of at most `maxEntries` entries and `maxBytes`
 * in all. Every entry fits a call on its own (prepareEntry refuses those that do not).
 */
export function groupIntoCalls<E extends { bytes: number }>(entries: readonly E[], maxEntries = MAX_ENTRIES_PER_CALL, maxBytes = MAX_CALL_BYTES): E[][] {
  const calls: E[][] = [];
  let current: E[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length === maxEntries || (current.length > 0 && bytes + entry.bytes > maxBytes)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.bytes;
  }
  if (current.length) calls.push(current);
  return calls;
}
