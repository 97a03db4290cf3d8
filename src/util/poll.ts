import { sleep as realSleep, type Sleep } from './sleep.js';

export interface PollOptions {
  /** How long to keep trying; without it, until the check is done, throws, or the signal fires. */
  timeoutMs?: number;
  /** The first pause between checks. */
  delayMs: number;
  /** Each pause is the one before times this (rounded), up to `maxDelayMs`; 1 keeps it fixed. */
  factor?: number;
  maxDelayMs?: number;
  /** Passed to `sleep`: the default rejects with an AbortError when it fires during a pause. */
  signal?: AbortSignal;
  sleep?: Sleep;
  now?: () => number;
  /** Told before each pause, so the caller can show what it waits for. */
  onWait?: (delayMs: number, attempt: number) => void;
}

export interface PollOutcome<T> {
  /** False when the time ran out first; `value` is then the last check's. */
  done: boolean;
  value: T;
  /** Checks made, the last included. */
  attempts: number;
}

/**
 * Runs `check` until it reports done or `timeoutMs` has passed, pausing in between. A pause never
 * runs past the deadline, and the check always runs once more after the last pause, so a
 * condition that comes true right at the deadline is still seen. Errors of `check` and of `sleep`
 * (an aborted signal) propagate; what a timeout means is the caller's to say.
 */
export async function pollUntil<T>(check: (attempt: number) => Promise<{ done: boolean; value: T }>, options: PollOptions): Promise<PollOutcome<T>> {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? realSleep;
  const deadline = now() + (options.timeoutMs ?? Infinity);
  const factor = options.factor ?? 1;
  const maxDelayMs = options.maxDelayMs ?? Infinity;
  let delay = Math.min(options.delayMs, maxDelayMs);
  for (let attempt = 1; ; attempt += 1) {
    const result = await check(attempt);
    if (result.done) return { ...result, attempts: attempt };
    const left = deadline - now();
    if (left <= 0) return { ...result, attempts: attempt };
    const pause = Math.min(delay, left);
    options.onWait?.(pause, attempt);
    await wait(pause, options.signal);
    delay = Math.min(maxDelayMs, Math.round(delay * factor));
  }
}
