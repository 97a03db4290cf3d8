import { ExitCode, MailengineError } from '../errors.js';
import { pollUntil as poll, type PollOptions as UtilPollOptions } from '../util/poll.js';
import { sleep as realSleep, type Sleep } from '../util/sleep.js';

export interface PollOptions {
  timeoutMs: number;
  /** First pause between tries; it doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  sleep?: Sleep;
  now?: () => number;
  /** Told before each pause, so the shell can show what it waits for. */
  onWait?: UtilPollOptions['onWait'];
}

/**
 * Runs `attempt` until it reports done or the time is up, pausing 5 s, 10 s, 20 s … (at most a
 * minute) in between: DNS changes and SES's own checks take minutes to hours, so polling faster
 * only spends API calls. Returns the last result either way; `done` says which.
 */
export async function pollUntil<T>(attempt: () => Promise<{ done: boolean; value: T }>, options: PollOptions): Promise<{ done: boolean; value: T; attempts: number }> {
  const sleep = options.sleep ?? realSleep;
  let interrupted = false;
  try {
    return await poll(attempt, {
      timeoutMs: options.timeoutMs,
      delayMs: options.initialDelayMs ?? 5_000,
      factor: 2,
      maxDelayMs: options.maxDelayMs ?? 60_000,
      signal: options.signal,
      now: options.now,
      onWait: options.onWait,
      // Only a failed pause is an interruption; the attempt's own errors pass through as they are.
      sleep: async (ms, signal) => {
        try {
          await sleep(ms, signal);
        } catch (err) {
          interrupted = true;
          throw err;
        }
      },
    });
  } catch (err) {
    if (interrupted) throw new MailengineError('INTERRUPTED', 'Stopped waiting.', { exitCode: ExitCode.Interrupted });
    throw err;
  }
}
