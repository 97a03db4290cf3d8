import { ExitCode, MailengineError } from '../errors.js';
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
  onWait?: (delayMs: number, attempt: number) => void;
}

/**
 * Runs `attempt` until it reports done or the time is up, pausing 5 s, 10 s, 20 s … (at most a
 * minute) in between: DNS changes and SES's own checks take minutes to hours, so polling faster
 * only spends API calls. Returns the last result either way; `done` says which.
 */
export async function pollUntil<T>(attempt: () => Promise<{ done: boolean; value: T }>, options: PollOptions): Promise<{ done: boolean; value: T; attempts: number }> {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? realSleep;
  const deadline = now() + options.timeoutMs;
  let delay = options.initialDelayMs ?? 5_000;
  for (let n = 1; ; n += 1) {
    const result = await attempt();
    if (result.done) return { ...result, attempts: n };
    const left = deadline - now();
    if (left <= 0) return { ...result, attempts: n };
    const pause = Math.min(delay, left);
    options.onWait?.(pause, n);
    try {
      await wait(pause, options.signal);
    } catch {
      throw new MailengineError('INTERRUPTED', 'Stopped waiting.', { exitCode: ExitCode.Interrupted });
    }
    delay = Math.min(delay * 2, options.maxDelayMs ?? 60_000);
  }
}
