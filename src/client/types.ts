/**
 * The client's public types. A template map names each template and the data it takes, in the
 * shape `mailengine templates types` generates:
 *
 * ```ts
 * export interface MailTemplates {
 *   'order-confirmation': { orderId: string; items: Array<{ name: string; quantity: number }>; note?: string };
 * }
 * ```
 *
 * `createMailer<MailTemplates>(…)` then accepts only those template names, each with its own
 * data; without a type argument any name and any data record is accepted.
 */

/** Any template name, any data: the map a mailer has when it is given none. */
export type AnyTemplates = Record<string, Record<string, unknown>>;

/** An address and the name shown with it. */
export interface Mailbox {
  email: string;
  name?: string;
}

/** Everything a request may carry besides the template and its data (the engine's "Email Request" fields). */
export interface MailOptions {
  /** The recipient: one address. */
  to: string;
  /**
   * The caller's id for this email, unique per logical email (e.g. `order-1234-confirmation`):
   * the idempotency key and the handle for `mailengine status lookup --email-id`. 1-200 letters,
   * digits or `._:@+=-`, starting with a letter or digit. One is generated when absent.
   */
  emailId?: string;
  cc?: string | string[];
  bcc?: string | string[];
  replyTo?: string | string[];
  /** Overrides the template's subject. */
  subject?: string;
  /** Overrides the template's (or the engine's default) sender. */
  from?: string | Mailbox;
  /** `X-…` headers and the list and threading headers (List-Unsubscribe, List-Id, In-Reply-To, References, …). */
  headers?: Record<string, string>;
  /** SES message tags (at most 10; letters, digits, `_` and `-`). */
  tags?: Record<string, string>;
  /** Kept on the email's tracking record as it is (at most 8 KB of JSON). */
  metadata?: Record<string, unknown>;
  /** Files to send with the email, uploaded first under `attachments/` in the engine's bucket (docs/sending.md#attachments). */
  attachments?: MailAttachment[];
  /**
   * Send it later: a `Date`, or an ISO 8601 time with its offset (`2026-12-24T09:00:00+01:00`), at
   * most 365 days ahead (a past time sends now). Until then the email is `scheduled` and can be
   * cancelled or rescheduled (`cancel`, `reschedule`).
   */
  sendAt?: string | Date;
}

/** One attachment: an object the app uploaded to the engine's attachments prefix. */
export interface MailAttachment {
  /** The object key, under `attachments/` (e.g. `attachments/order-1234/invoice.pdf`). */
  key: string;
  /** The name the recipient sees, with its extension (SES refuses some types, such as `.exe`). */
  filename: string;
  /** Only the engine's own bucket is accepted; give it to be explicit. */
  bucket?: string;
  contentType?: string;
  /** `inline` for an image the HTML shows through `cid:<contentId>`; default `attachment`. */
  disposition?: 'attachment' | 'inline';
  contentId?: string;
  /** Leave the object in place after sending (by default the engine deletes it). */
  keep?: boolean;
}

/** `data` is required when the template has a required variable, optional when it has none. */
type DataOf<D> = Partial<D> extends D ? { data?: D } : { data: D };

/**
 * One request: a template of the map, and that template's data. A union over the map's names,
 * so `template` picks the data type that `data` is checked against.
 */
export type MailRequest<T extends object = AnyTemplates> = {
  [K in keyof T & string]: MailRequestFor<T, K>;
}[keyof T & string];

/** A request for the template `K` of the map. */
export type MailRequestFor<T extends object, K extends keyof T & string> = MailOptions & { template: K } & DataOf<T[K]>;

/** Why a request did not reach the bus. */
export interface MailError {
  /**
   * What went wrong: the engine's error type for a request it would refuse (`invalid_request`,
   * `invalid_address`, `header_injection`, `payload_too_large`), else EventBridge's error code
   * (`ThrottlingException`, `AccessDeniedException`, `ResourceNotFoundException`, …) or the
   * network's (`ECONNREFUSED`, `TimeoutError`).
   */
  code: string;
  /** What to read: for a refused request, every problem with the field it is in. */
  message: string;
  /**
   * Whether sending the same request again may succeed (throttling, a transient failure). Send it
   * with the same `emailId`: the engine sends an emailId at most once, so a request that did reach
   * the bus after all is not sent twice.
   */
  retryable: boolean;
}

/**
 * A request's outcome. `ok: true` means EventBridge accepted the event (`eventId`): the engine
 * takes it from there; `mailengine status lookup --email-id <emailId>` follows it.
 */
export type SendResult = { ok: true; emailId: string; eventId: string } | { ok: false; emailId?: string; error: MailError };

/** The calls of an EventBridge client the mailer makes: any `EventBridgeClient` has it. */
export interface EventBridgeSender {
  send(command: never, options?: unknown): Promise<unknown>;
}

/** What `cancel` or `reschedule` did: the email's status now, or why nothing changed. */
export type ScheduleResult =
  | { ok: true; emailId: string; status: 'cancelled' | 'scheduled'; sendAt?: string }
  /** `error.code`: `not_scheduled` (already sent, cancelled …: `status` says which), `not_found`, `invalid_request`, or the AWS error's name. */
  | { ok: false; emailId: string; status?: string; error: MailError };

/** The calls of a DynamoDB client `cancel` and `reschedule` make: any `DynamoDBClient` has it. */
export interface DynamoDBSender {
  send(command: never, options?: unknown): Promise<unknown>;
}

export interface MailerOptions {
  /** The engine's bus: `<stack>-bus` (the stack's `EventBusName` output), or its ARN. */
  busName: string;
  /**
   * The client to publish with (its region, credentials, endpoint and retries are used as they
   * are). When absent, the mailer makes one from the environment as the AWS SDK does
   * (`AWS_REGION`, the credential chain, `AWS_ENDPOINT_URL_EVENTBRIDGE`), retrying only through
   * the mailer's own policy.
   */
  eventBridgeClient?: EventBridgeSender;
  /** The events' `Source`, shown on each email's record (default `mailengine.client`; not `aws.…`). */
  source?: string;
  /** The region of the client the mailer makes (ignored with `eventBridgeClient`). */
  region?: string;
  /** Attempts per entry, the first included (default 5): throttled or failed entries are retried with backoff. */
  maxAttempts?: number;
  /** The backoff between attempts: full jitter under `baseMs · 2^attempt`, at most `maxMs` (defaults 100 and 5000). */
  backoff?: { baseMs?: number; maxMs?: number };
  /** PutEvents calls in flight at once for a large batch (default 4). */
  concurrency?: number;
  /**
   * Limits of each call of the client the mailer makes (ignored with `eventBridgeClient`), in
   * milliseconds: to connect (default 3000), and until the answer comes, which is also the
   * longest it may then stall (default 10000). A call over either fails as `TimeoutError` and is
   * retried like any network failure.
   */
  timeout?: { connectionMs?: number; requestMs?: number };
  /**
   * The engine's tracking table (the stack's `TrackingTableName` output): needed only by `cancel`
   * and `reschedule`, which are conditional writes on the email's record there. The caller needs
   * `dynamodb:GetItem` and `dynamodb:UpdateItem` on it.
   */
  trackingTable?: string;
  /** The DynamoDB client for `cancel` and `reschedule`; when absent, one is made from the environment, in `region`. */
  dynamoDbClient?: DynamoDBSender;
}

export interface Mailer<T extends object = AnyTemplates> {
  /**
   * Validates and publishes one request; never throws for a bad request or a failed call. `K` is
   * the template named, for the errors of that template's data alone; the request type is
   * distributed over it, so a template chosen at run time (`flag ? 'welcome' : 'sign-in-code'`)
   * needs data that suits the one it turns out to be.
   */
  send<K extends keyof T & string>(request: K extends unknown ? MailRequestFor<T, K> : never): Promise<SendResult>;
  /**
   * Validates every request, publishes the valid ones (10 to a PutEvents call), and returns one
   * result per request, in input order. Entries that succeeded are never sent again.
   */
  sendBatch(requests: ReadonlyArray<MailRequest<T>>): Promise<SendResult[]>;
  /**
   * Cancels a scheduled email (one sent with `sendAt`): it becomes `cancelled` and is never sent.
   * Race-free against the moment it is due: either the cancel or the send wins. An email that is
   * not scheduled any more is `{ ok: false, error: { code: 'not_scheduled' }, status }`. Needs
   * `trackingTable`; never throws for an AWS failure.
   */
  cancel(emailId: string): Promise<ScheduleResult>;
  /** Moves a scheduled email to `sendAt` (a Date, or ISO 8601 with offset). Needs `trackingTable` and publishes on the bus. */
  reschedule(emailId: string, sendAt: string | Date): Promise<ScheduleResult>;
}
