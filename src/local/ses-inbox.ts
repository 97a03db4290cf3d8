import { z } from 'zod';
import { ExitCode, MailengineError } from '../errors.js';
import { httpRequest } from './http.js';
import { pollUntil } from '../util/poll.js';

/**
 * The SES emulator's record of what was sent, as its `GET /store` API returns it (its web inbox
 * shows the same). It lives in the emulator's memory: it empties when the stack stops.
 */
const storedEmailSchema = z.object({
  messageId: z.string(),
  from: z.string(),
  replyTo: z.array(z.string()).default([]),
  destination: z.object({
    to: z.array(z.string()).default([]),
    cc: z.array(z.string()).default([]),
    bcc: z.array(z.string()).default([]),
  }),
  subject: z.string(),
  body: z.object({ html: z.string().optional(), text: z.string().optional() }),
  attachments: z
    .array(
      z
        .object({
          filename: z.string().optional(),
          contentType: z.string(),
          size: z.number(),
          contentDisposition: z.string().optional(),
          contentId: z.string().optional(),
          /** base64 */
          content: z.string().optional(),
        })
        .loose(),
    )
    .default([]),
  headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
  /** Seconds since the epoch. */
  at: z.number(),
});

const storeSchema = z.object({ emails: z.array(storedEmailSchema) });

/** One email the SES emulator accepted. */
export interface ReceivedEmail {
  /** The MessageId SendEmail returned. */
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  html?: string;
  text?: string;
  headers: Array<{ name: string; value: string }>;
  attachments: ReceivedAttachment[];
  /** When it was accepted, to the second. */
  sentAt: Date;
}

/** One attachment of an email the emulator accepted. */
export interface ReceivedAttachment {
  filename?: string;
  contentType: string;
  size: number;
  /** `ATTACHMENT` or `INLINE`, as SendEmail gave it. */
  disposition?: string;
  contentId?: string;
  /** The file's bytes. */
  content?: Buffer;
}

export interface ListReceivedOptions {
  /** Only mail accepted at or after this time (the emulator keeps whole seconds). */
  since?: Date;
  /** Only mail with this address among its To, Cc or Bcc (case-insensitive). */
  recipient?: string;
  timeoutMs?: number;
}

/** `"Ann" <ann@example.com>` and `ANN@example.com` are the same mailbox for matching. */
function bareAddress(address: string): string {
  return (address.match(/<([^>]+)>/)?.[1] ?? address).trim().toLowerCase();
}

function storeUnreadable(endpoint: string, detail: string, cause?: unknown): MailengineError {
  return new MailengineError('LOCAL_SES_STORE_UNREADABLE', `Could not read the SES emulator's mail at ${endpoint}/store: ${detail}`, {
    exitCode: ExitCode.Environment,
    cause,
    suggestion: 'Check that the local stack is running (`mailengine local status`).',
  });
}

/**
 * The emails the SES emulator at `sesEndpoint` (the local stack's `sesv2` endpoint) has accepted,
 * oldest first.
 */
export async function listReceivedEmails(sesEndpoint: string, options: ListReceivedOptions = {}): Promise<ReceivedEmail[]> {
  const endpoint = sesEndpoint.replace(/\/+$/, '');
  const query = options.since ? `?since=${Math.floor(options.since.getTime() / 1000)}` : '';
  let body: string;
  try {
    const res = await httpRequest(`${endpoint}/store${query}`, { timeoutMs: options.timeoutMs ?? 5000 });
    if (res.status !== 200) throw storeUnreadable(endpoint, `HTTP ${res.status}`);
    body = res.body;
  } catch (err) {
    if (err instanceof MailengineError) throw err;
    throw storeUnreadable(endpoint, (err as Error).message, err);
  }
  let parsed: z.infer<typeof storeSchema>;
  try {
    parsed = storeSchema.parse(JSON.parse(body));
  } catch (err) {
    throw storeUnreadable(endpoint, 'the answer is not the store format this version of mailengine knows', err);
  }
  const wanted = options.recipient ? bareAddress(options.recipient) : undefined;
  return parsed.emails
    .map(
      (e): ReceivedEmail => ({
        messageId: e.messageId,
        from: e.from,
        to: e.destination.to,
        cc: e.destination.cc,
        bcc: e.destination.bcc,
        replyTo: e.replyTo,
        subject: e.subject,
        ...(e.body.html !== undefined ? { html: e.body.html } : {}),
        ...(e.body.text !== undefined ? { text: e.body.text } : {}),
        headers: e.headers ?? [],
        attachments: e.attachments.map((a) => ({
          ...(a.filename !== undefined ? { filename: a.filename } : {}),
          contentType: a.contentType,
          size: a.size,
          ...(a.contentDisposition ? { disposition: a.contentDisposition } : {}),
          ...(a.contentId ? { contentId: a.contentId } : {}),
          ...(a.content !== undefined ? { content: Buffer.from(a.content, 'base64') } : {}),
        })),
        sentAt: new Date(e.at * 1000),
      }),
    )
    .filter((e) => !wanted || [...e.to, ...e.cc, ...e.bcc].some((address) => bareAddress(address) === wanted));
}

/** Polls the store until an email matches, for tests and the engine runner; throws after `timeoutMs`. */
export async function waitForReceivedEmail(
  sesEndpoint: string,
  match: (email: ReceivedEmail) => boolean,
  options: ListReceivedOptions & { waitMs?: number } = {},
): Promise<ReceivedEmail> {
  const { value: found } = await pollUntil(
    async () => {
      const found = (await listReceivedEmails(sesEndpoint, options)).find(match);
      return { done: found !== undefined, value: found };
    },
    { timeoutMs: options.waitMs ?? 10_000, delayMs: 100 },
  );
  if (!found) {
    throw new MailengineError('LOCAL_EMAIL_NOT_RECEIVED', `No matching email reached the SES emulator within ${options.waitMs ?? 10_000} ms.`, {
      exitCode: ExitCode.NotFound,
      suggestion: `Open the inbox at ${sesEndpoint.replace(/\/+$/, '')}/ to see what did arrive.`,
    });
  }
  return found;
}

/** Empties the emulator's inbox (and the templates it stores). */
export async function clearReceivedEmails(sesEndpoint: string): Promise<void> {
  const endpoint = sesEndpoint.replace(/\/+$/, '');
  try {
    const res = await httpRequest(`${endpoint}/clear-store`, { method: 'POST' });
    if (res.status !== 200) throw storeUnreadable(endpoint, `HTTP ${res.status} from /clear-store`);
  } catch (err) {
    if (err instanceof MailengineError) throw err;
    throw storeUnreadable(endpoint, (err as Error).message, err);
  }
}
