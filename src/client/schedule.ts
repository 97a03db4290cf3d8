import { PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { awsErrorName, isConditionFailure, isTransient } from '../aws/error-names.js';
import { EMAIL_ID_PATTERN, REQUEST_DETAIL_TYPE } from '../model/request.js';
import { cancelScheduledUpdate, recordKey, rescheduleUpdate, RESCHEDULE_TRIES } from '../model/schedule-writes.js';
import { parseSendAt, sendAtProblem, SEND_AT_FORMAT } from '../model/send-at.js';
import { wakeUpDetail, WAKE_UP_SOURCE } from '../model/wake-up.js';
import type { DynamoDBSender, EventBridgeSender, ScheduleResult } from './types.js';

/**
 * The client's `cancel` and `reschedule`: the same conditional writes on the email's tracking
 * record as `mailengine send cancel/reschedule` (src/model/schedule-writes.ts). The DynamoDB
 * document client is imported when an app first calls one of them, not when it loads the client.
 */
export interface ScheduleTarget {
  dynamodb: DynamoDBSender;
  trackingTable: string;
  eventBridge: EventBridgeSender;
  busName: string;
}

const failure = (emailId: string, code: string, message: string, retryable = false, status?: string): ScheduleResult => ({
  ok: false,
  emailId,
  ...(status ? { status } : {}),
  error: { code, message, retryable },
});

interface StoredRecord {
  status: string;
  sendAt?: string;
}

/** The record's store, as far as these two calls need it: read it, and write one update. */
async function recordsOf(target: ScheduleTarget) {
  const { DynamoDBDocumentClient, GetCommand, UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
  const doc = DynamoDBDocumentClient.from(target.dynamodb as Parameters<typeof DynamoDBDocumentClient.from>[0], { marshallOptions: { removeUndefinedValues: true } });
  return {
    get: async (emailId: string) => (await doc.send(new GetCommand({ TableName: target.trackingTable, Key: recordKey(emailId), ConsistentRead: true }))).Item as StoredRecord | undefined,
    update: async (input: ReturnType<typeof cancelScheduledUpdate> | ReturnType<typeof rescheduleUpdate>) => (await doc.send(new UpdateCommand(input))).Attributes as StoredRecord,
  };
}

function awsFailure(emailId: string, err: unknown): ScheduleResult {
  return failure(emailId, awsErrorName(err) ?? 'Error', (err as Error)?.message || String(err), isTransient(err));
}

export async function cancelEmail(target: ScheduleTarget, emailId: string): Promise<ScheduleResult> {
  if (typeof emailId !== 'string' || !EMAIL_ID_PATTERN.test(emailId)) return failure(String(emailId), 'invalid_request', 'emailId: not an emailId');
  try {
    const records = await recordsOf(target);
    let record: StoredRecord | undefined;
    try {
      record = await records.update(cancelScheduledUpdate(target.trackingTable, emailId, new Date().toISOString()));
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      record = await records.get(emailId);
    }
    if (!record) return failure(emailId, 'not_found', `no email with emailId ${emailId}`);
    if (record.status === 'cancelled') return { ok: true, emailId, status: 'cancelled', ...(record.sendAt ? { sendAt: record.sendAt } : {}) };
    return failure(emailId, 'not_scheduled', `the email is ${record.status}, not scheduled: it cannot be cancelled`, false, record.status);
  } catch (err) {
    return awsFailure(emailId, err);
  }
}

export async function rescheduleEmail(target: ScheduleTarget, emailId: string, sendAt: string | Date): Promise<ScheduleResult> {
  if (typeof emailId !== 'string' || !EMAIL_ID_PATTERN.test(emailId)) return failure(String(emailId), 'invalid_request', 'emailId: not an emailId');
  const at = sendAt instanceof Date ? (Number.isNaN(sendAt.getTime()) ? undefined : sendAt) : typeof sendAt === 'string' ? parseSendAt(sendAt) : undefined;
  if (!at) return failure(emailId, 'invalid_request', `sendAt: must be a Date or ${SEND_AT_FORMAT}`);
  const tooFar = sendAtProblem(at, new Date());
  if (tooFar) return failure(emailId, 'invalid_request', tooFar);
  try {
    const records = await recordsOf(target);
    for (let tries = 1; ; tries++) {
      const record = await records.get(emailId);
      if (!record) return failure(emailId, 'not_found', `no email with emailId ${emailId}`);
      if (record.status !== 'scheduled' || !record.sendAt) return failure(emailId, 'not_scheduled', `the email is ${record.status}, not scheduled: it cannot be rescheduled`, false, record.status);
      try {
        await records.update(rescheduleUpdate(target.trackingTable, emailId, { sendAt: at.toISOString(), was: record.sendAt, now: new Date().toISOString() }));
        break;
      } catch (err) {
        // Fired, cancelled or moved in between: read it again.
        if (!isConditionFailure(err) || tries >= RESCHEDULE_TRIES) throw err;
      }
    }
    const put = (await target.eventBridge.send(
      new PutEventsCommand({ Entries: [{ EventBusName: target.busName, Source: WAKE_UP_SOURCE, DetailType: REQUEST_DETAIL_TYPE, Detail: JSON.stringify(wakeUpDetail(emailId)) }] }) as never,
    )) as PutEventsCommandOutput;
    const entry = put.Entries?.[0];
    if (!entry?.EventId) {
      // The record moved; only its wake-up is missing. Calling reschedule again publishes it.
      return failure(emailId, entry?.ErrorCode ?? 'unknown_outcome', `sendAt is now ${at.toISOString()}, but the wake-up was not published (${entry?.ErrorMessage ?? 'no event id'}); a move to an earlier time needs it: call reschedule again`, true, 'scheduled');
    }
    return { ok: true, emailId, status: 'scheduled', sendAt: at.toISOString() };
  } catch (err) {
    return awsFailure(emailId, err);
  }
}
