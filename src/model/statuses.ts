/**
 * Every status an email can have, and the one precedence table that decides which event wins.
 * SES events arrive out of order and more than once; a status only ever moves to a higher rank,
 * so a late Delivery can never turn a bounced email back into a delivered one.
 */
export const STATUS_RANK = {
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
} as const;

export type EmailStatus = keyof typeof STATUS_RANK;

export const STATUSES = Object.keys(STATUS_RANK) as EmailStatus[];

/** Final states: nothing more will be sent for this email. */
export const TERMINAL_STATUSES: ReadonlySet<EmailStatus> = new Set(['bounced', 'complained', 'rejected', 'failed', 'suppressed']);

/** Statuses that prove the email reached the mailbox: an Open or Click implies the Delivery. */
export const DELIVERED_STATUSES: ReadonlySet<EmailStatus> = new Set(['delivered', 'opened', 'clicked']);

export function statusRank(status: EmailStatus): number {
  return STATUS_RANK[status];
}

/** Whether an event that implies `next` should replace the current status. */
export function supersedes(next: EmailStatus, current: EmailStatus | undefined): boolean {
  return current === undefined || statusRank(next) > statusRank(current);
}

export function isEmailStatus(value: unknown): value is EmailStatus {
  return typeof value === 'string' && value in STATUS_RANK;
}
