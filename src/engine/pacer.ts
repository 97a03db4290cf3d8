/** The clock a pacer reads and sets its timer on (tests give it a fake one). */
export interface PacerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Epoch milliseconds, so deadlines and waiting-since times from other processes compare directly. */
export const systemClock: PacerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    // A pacer waiting for a token must not keep a process alive on its own.
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PacerOptions {
  /** The most sends a second this pacer grants: this instance's share of the SES MaxSendRate. */
  ratePerSecond: number;
  /** The least it backs off to. Default: a twentieth of `ratePerSecond`. */
  minRatePerSecond?: number;
  /** Multiplicative decrease: the rate is multiplied by this when SES throttles. Default 0.5. */
  decreaseFactor?: number;
  /** Additive increase: sends a second regained per second of successful sending. Default: a twentieth of `ratePerSecond`. */
  increasePerSecond?: number;
  /** Throttles closer together than this count as one (they answer the same burst). Default 1 s. */
  decreaseHoldMs?: number;
  clock?: PacerClock;
}

export interface AcquireOptions {
  /** The clock time (`clock.now()`) after which a token is of no use; the caller then gives the email back. */
  deadline: number;
  /**
   * Since when this email has been waiting to be sent (clock time). Waiters are served oldest
   * first, so an email that was throttled before, or waited in an earlier invocation, goes ahead
   * of fresh ones. Default: now.
   */
  since?: number;
}

interface Waiter {
  since: number;
  deadline: number;
  resolve(granted: boolean): void;
}

/**
 * Paces SendEmail calls to a share of the account's SES send rate: a token bucket holding at
 * most one second's worth of tokens, refilled at the current rate, which adapts AIMD-style:
 * it halves when SES throttles anyway (other senders, a lower real quota) and creeps back up
 * while sends succeed.
 *
 * Callers wait in one line (oldest `since` first), not in a race of independent backoffs: a
 * token goes to the email that has waited longest. A caller whose deadline cannot be met at its
 * place in the line is told so at once (`false`) instead of holding its place until the end, so
 * its invocation can hand the email back to the queue in time.
 */
export class SendPacer {
  private readonly max: number;
  private readonly min: number;
  private readonly decreaseFactor: number;
  private readonly increasePerSecond: number;
  private readonly decreaseHoldMs: number;
  private readonly clock: PacerClock;
  private currentRate: number;
  private tokens: number;
  private last: number;
  private lastDecrease = -Infinity;
  private readonly waiters: Waiter[] = [];
  private timer: unknown;
  private throttles = 0;

  constructor(options: PacerOptions) {
    if (!(options.ratePerSecond > 0)) throw new Error(`a pacer needs a positive rate (got ${options.ratePerSecond})`);
    this.max = options.ratePerSecond;
    this.min = Math.min(this.max, options.minRatePerSecond ?? this.max / 20);
    this.decreaseFactor = options.decreaseFactor ?? 0.5;
    this.increasePerSecond = options.increasePerSecond ?? this.max / 20;
    this.decreaseHoldMs = options.decreaseHoldMs ?? 1_000;
    this.clock = options.clock ?? systemClock;
    this.currentRate = this.max;
    this.tokens = this.capacity();
    this.last = this.clock.now();
  }

  /** Sends a second granted now. */
  get rate(): number {
    return this.currentRate;
  }

  /** Callers waiting for a token. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Times SES throttled a send this pacer granted. */
  get throttled(): number {
    return this.throttles;
  }

  /**
   * Waits for a token. Resolves `true` when the caller may send now, `false` as soon as it is
   * clear that no token can come before `deadline`.
   */
  acquire(options: AcquireOptions): Promise<boolean> {
    const now = this.clock.now();
    const waiter: Omit<Waiter, 'resolve'> = { since: options.since ?? now, deadline: options.deadline };
    return new Promise<boolean>((resolve) => {
      // Oldest first; equal ages keep their arrival order.
      let at = this.waiters.length;
      while (at > 0 && this.waiters[at - 1].since > waiter.since) at--;
      this.waiters.splice(at, 0, { ...waiter, resolve });
      this.serve();
    });
  }

  /** SES throttled a send: back off (once per burst) and spend no more tokens this instant. */
  onThrottled(): void {
    const now = this.clock.now();
    this.refill(now);
    this.throttles++;
    if (now - this.lastDecrease >= this.decreaseHoldMs) {
      this.currentRate = Math.max(this.min, this.currentRate * this.decreaseFactor);
      this.lastDecrease = now;
    }
    this.tokens = Math.min(this.tokens, 0);
    this.serve();
  }

  /** SES accepted a send: recover slowly, about `increasePerSecond` per second of sending. */
  onSent(): void {
    if (this.currentRate >= this.max) return;
    this.refill(this.clock.now());
    this.currentRate = Math.min(this.max, this.currentRate + this.increasePerSecond / this.currentRate);
  }

  /** Gives up every waiter (`false`) and stops the timer. */
  close(): void {
    for (const w of this.waiters.splice(0)) w.resolve(false);
    this.clearTimer();
  }

  private capacity(): number {
    return Math.max(1, this.currentRate);
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.last) / 1000) * this.currentRate);
    this.last = now;
  }

  private serve(): void {
    this.clearTimer();
    const now = this.clock.now();
    this.refill(now);
    // A hair under one token is one: the timer was set for the moment it would be whole.
    while (this.waiters.length > 0 && this.tokens >= 1 - 1e-9) {
      this.tokens = Math.max(0, this.tokens - 1);
      this.waiters.shift()!.resolve(true);
    }
    // Whoever cannot be served before its deadline, at its place in the line, is told now.
    let place = 0;
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i];
      const readyAt = now + (Math.max(0, place + 1 - this.tokens) / this.currentRate) * 1000;
      if (readyAt > w.deadline) {
        this.waiters.splice(i, 1);
        w.resolve(false);
        continue;
      }
      place++;
      i++;
    }
    if (this.waiters.length === 0) return;
    const wait = Math.max(1, ((1 - this.tokens) / this.currentRate) * 1000);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.serve();
    }, wait);
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
