import { STATUS_RANK } from './statuses.js';
import { RECORD_SORT_KEY, TRACKING_TABLE, emailPk } from './tables.js';

/**
 * The conditional writes that cancel or move a scheduled email, as DynamoDB document-client
 * UpdateItem inputs: one definition for the tracking store (the CLI, the Sender) and for the
 * app-side client, which must not load the store.
 */
export const recordKey = (emailId: string) => ({ [TRACKING_TABLE.partitionKey]: emailPk(emailId), [TRACKING_TABLE.sortKey]: RECORD_SORT_KEY });

/** `scheduled` → `cancelled`, dropping the request the record held and leaving the by-send-at index. */
export function cancelScheduledUpdate(table: string, emailId: string, now: string) {
  return {
    TableName: table,
    Key: recordKey(emailId),
    UpdateExpression: 'SET #s = :cancelled, statusRank = :rank, updatedAt = :now, cancelledAt = :now REMOVE scheduledShard, pendingRequest',
    ConditionExpression: '#s = :scheduled',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: { ':cancelled': 'cancelled', ':rank': STATUS_RANK.cancelled, ':now': now, ':scheduled': 'scheduled' },
    ReturnValues: 'ALL_NEW' as const,
  };
}

/**
 * A new `sendAt` for an email still scheduled at `was`; its expiry moves by as much (`shiftSeconds`),
 * so it keeps the retention it was given after sendAt.
 */
export function rescheduleUpdate(table: string, emailId: string, change: { sendAt: string; was: string; now: string }) {
  const shift = Math.round((Date.parse(change.sendAt) - Date.parse(change.was)) / 1000);
  return {
    TableName: table,
    Key: recordKey(emailId),
    UpdateExpression: 'SET sendAt = :at, updatedAt = :now, expiresAt = expiresAt + :shift',
    ConditionExpression: '#s = :scheduled AND sendAt = :was',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: { ':at': change.sendAt, ':now': change.now, ':shift': shift, ':scheduled': 'scheduled', ':was': change.was },
    ReturnValues: 'ALL_NEW' as const,
  };
}

/** How many times a reschedule reads the record again when it changed under the write. */
export const RESCHEDULE_TRIES = 3;
