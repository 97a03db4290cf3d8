/**
 * How much of the exponential ceiling a retry waits:
 * - `full`: anywhere from 0 to the ceiling (the AWS architecture blog's "full jitter"), so retries
 *   that collided once spread out fully; for clients whose retries need no minimum pause.
 * - `half`: from half the ceiling to all of it, so a retry always gives the service at least half
 *   the backoff before trying again (the Sender's SES retries).
 */
export type Jitter = 'full' | 'half';

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  jitter: Jitter;
  /** A number in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/** The exponential ceiling before jitter: `baseMs · 2^attempt`, at most `maxMs`. */
export function backoffCeiling(attempt: number, options: Pick<BackoffOptions, 'baseMs' | 'maxMs'>): number {
  return Math.min(options.maxMs, options.baseMs * 2 ** attempt);
}

/** The pause before retry number `attempt` (0 for the first retry), with the named jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = backoffCeiling(attempt, options);
  const random = (options.random ?? Math.random)();
  return options.jitter === 'full' ? Math.round(ceiling * random) : ceiling * (0.5 + random / 2);
}
