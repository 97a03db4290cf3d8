/**
 * Every status an email can have, and the one precedence table that decides which event wins.
 * SES events arrive out of order and more than once; a status only ever moves to a higher rank,
 * so a late Delivery can never turn a bounced email back into a delivered one.
 */
export const STATUS_RANK = {
  // Waiting for its sendAt: below everything, so only the wake-up's own conditional write moves it on.
  scheduled: -1,
  queued: 0,
  sending: 1,
  sent: 2,
  delivery_delayed: 3,
  soft_bounced: 4,
  delivered: 5,
  opened: 6,
  clicked: 7,
  rejected: 8,
  bounced: 9,
  complained: 10,
  // Decided before anything reached SES; nothing that comes later changes them.
  failed: 20,
  suppressed: 20,
  // A scheduled email cancelled before it was sent: it never goes out.
  cancelled: 20,
} as const;

export type EmailStatus = keyof typeof STATUS_RANK;

export const STATUSES = Object.keys(STATUS_RANK) as EmailStatus[];

/** Final states: nothing more will be sent for this email. */
export const TERMINAL_STATUSES: ReadonlySet<EmailStatus> = new Set(['bounced', 'complained', 'rejected', 'failed', 'suppressed', 'cancelled']);

/** Statuses that prove the email reached the mailbox: an Open or Click implies the Delivery. */
export const DELIVERED_STATUSES: ReadonlySet<EmailStatus> = new Set(['delivered', 'opened', 'clicked']);

export function statusRank(status: EmailStatus): number {
  return STATUS_RANK[status];
}

/** The attribute of a tracking record that holds its status's rank, which the precedence rule compares. */
export const STATUS_RANK_ATTRIBUTE = 'statusRank';

/** A DynamoDB condition and the expression values it refers to. */
export interface StatusCondition {
  condition: string;
  values: { ':rank': number };
}

/**
 * The precedence rule, written once, as the condition of a DynamoDB write that sets the status
 * to `next`: the write happens only when `next` ranks above the stored `statusRank`. DynamoDB
 * checks it atomically with the write, so concurrent and out-of-order events never move a status
 * back. `ifUnranked` decides an item without a rank: true lets `next` through (nothing to
 * outrank), false refuses it. The write sets `statusRank` from the same `:rank` value.
 */
export function supersedesCondition(next: EmailStatus, options: { ifUnranked: boolean }): StatusCondition {
  const higher = `${STATUS_RANK_ATTRIBUTE} < :rank`;
  return {
    condition: options.ifUnranked ? `(attribute_not_exists(${STATUS_RANK_ATTRIBUTE}) OR ${higher})` : higher,
    values: { ':rank': statusRank(next) },
  };
}

export function isEmailStatus(value: unknown): value is EmailStatus {
  return typeof value === 'string' && value in STATUS_RANK;
}
