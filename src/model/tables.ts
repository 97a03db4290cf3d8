/**
 * The shape of the engine's two DynamoDB tables: one source of truth for the code that queries
 * them. `cfn/mailengine.yaml` declares the same keys and indexes, and `npm run cfn:check` fails if
 * the two ever differ.
 *
 * Tracking table — one item per email plus one item per history event:
 *   email record   pk = EMAIL#<emailId>   sk = RECORD
 *   history entry  pk = EMAIL#<emailId>   sk = HIST#<ISO time>#<event id>
 * Only email records carry the index attributes, so the indexes are sparse and hold no history.
 *
 * Suppression table — one item per address (lower-cased), or per keyed hash (`hmac:<hex>`) of an
 * address that was erased but must stay suppressed.
 */
export const TRACKING_TABLE = {
  logicalId: 'TrackingTable',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  indexes: {
    byRecipient: { name: 'by-recipient', partitionKey: 'recipient', sortKey: 'createdAt' },
    byMessageId: { name: 'by-message-id', partitionKey: 'sesMessageId' },
    byDay: { name: 'by-day', partitionKey: 'dayShard', sortKey: 'createdAt' },
    // Only a record waiting for its sendAt carries `scheduledShard`: the pending emails, soonest first.
    bySendAt: { name: 'by-send-at', partitionKey: 'scheduledShard', sortKey: 'sendAt' },
  },
} as const;

export const SUPPRESSION_TABLE = {
  logicalId: 'SuppressionTable',
  partitionKey: 'address',
  ttlAttribute: 'expiresAt',
  indexes: {
    byReason: { name: 'by-reason', partitionKey: 'reason', sortKey: 'suppressedAt' },
  },
} as const;

/** Writes for one day are spread over this many `dayShard` keys (`2026-11-22#0` … `#7`). */
export const DAY_SHARDS = 8;

/** Scheduled records are spread over this many `scheduledShard` keys (`scheduled#0` … `#7`). */
export const SCHEDULED_SHARDS = 8;

export const RECORD_SORT_KEY = 'RECORD';
export const emailPk = (emailId: string) => `EMAIL#${emailId}`;
export const historySk = (isoTime: string, eventId: string) => `HIST#${isoTime}#${eventId}`;

export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey?: string;
}

export interface TableDefinition {
  logicalId: string;
  partitionKey: string;
  sortKey?: string;
  ttlAttribute: string;
  indexes: Record<string, IndexDefinition>;
}

export const TABLES: readonly TableDefinition[] = [TRACKING_TABLE, SUPPRESSION_TABLE];
