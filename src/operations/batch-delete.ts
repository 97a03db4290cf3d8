import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ExitCode, MailengineError } from '../errors.js';
import { backoffDelay } from '../util/backoff.js';
import { sleep as realSleep, type Sleep } from '../util/sleep.js';

/** BatchWriteItem takes at most 25 requests. */
export const BATCH_WRITE_LIMIT = 25;

export interface BatchDeleteOptions {
  /** Tries per batch, the first included, before giving up on what stays unprocessed. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: Sleep;
  random?: () => number;
  /** Called before each retry with the number of deletes DynamoDB left unprocessed. */
  onRetry?: (unprocessed: number, attempt: number) => void;
}

export interface BatchDeleteResult {
  deleted: number;
  batches: number;
  retries: number;
}

/**
 * Deletes `keys` from `table` in BatchWriteItem calls of 25. DynamoDB may leave part of a batch
 * unprocessed (throttling, a partition busy) without failing the call; those are sent again with
 * exponential backoff and jitter, as the DynamoDB documentation asks. Deleting a key that is
 * already gone succeeds, so a repeated run is harmless.
 */
export async function batchDelete(db: DynamoDBDocumentClient, table: string, keys: ReadonlyArray<Record<string, unknown>>, options: BatchDeleteOptions = {}): Promise<BatchDeleteResult> {
  const maxAttempts = options.maxAttempts ?? 8;
  const wait = options.sleep ?? realSleep;
  const result: BatchDeleteResult = { deleted: 0, batches: 0, retries: 0 };
  for (let i = 0; i < keys.length; i += BATCH_WRITE_LIMIT) {
    let requests = keys.slice(i, i + BATCH_WRITE_LIMIT).map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 1; ; attempt += 1) {
      result.batches += 1;
      const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      const unprocessed = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
      result.deleted += requests.length - unprocessed.length;
      if (unprocessed.length === 0) break;
      if (attempt >= maxAttempts) {
        throw new MailengineError('BATCH_DELETE_INCOMPLETE', `DynamoDB left ${unprocessed.length} deletes in ${table} unprocessed after ${attempt} tries (${result.deleted} done so far).`, {
          exitCode: ExitCode.Failed,
          suggestion: 'The table is throttling; run the same command again in a minute. It is safe to repeat: what was deleted stays deleted.',
          details: { table, deleted: result.deleted, unprocessed: unprocessed.length },
        });
      }
      result.retries += 1;
      options.onRetry?.(unprocessed.length, attempt);
      await wait(backoffDelay(attempt - 1, { baseMs: options.baseDelayMs ?? 100, maxMs: options.maxDelayMs ?? 5_000, jitter: 'full', random: options.random }));
      requests = unprocessed;
    }
  }
  return result;
}
