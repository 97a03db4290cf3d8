import { describe, expect, it } from 'vitest';
import { SendPacer, type PacerClock } from '../../../src/engine/pacer.js';
import { sendRateLimiter } from '../../../src/local/runner/ses-client.js';

/** A clock that moves only when told to, running due timers in time order. */
class FakeClock implements PacerClock {
  private t = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== handle);
  };
  /** Moves time forward by `ms`, firing each timer at its moment and letting promise callbacks run. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function track(pacer: SendPacer, clock: FakeClock, name: string, log: Array<[string, boolean, number]>, options: { deadline?: number; since?: number } = {}) {
  void pacer.acquire({ deadline: options.deadline ?? Infinity, ...(options.since !== undefined ? { since: options.since } : {}) }).then((granted) => log.push([name, granted, clock.now()]));
}

describe('the send pacer (token bucket, AIMD, one line of waiters)', () => {
  it('grants one second of burst, then exactly the rate', async () => {
    const clock = new FakeClock();
    const pacer = new SendPacer({ ratePerSecond: 5, clock });
    const log: Array<[string, boolean, number]> = [];
    for (let i = 0; i < 20; i++) track(pacer, clock, `e${i}`, log);
    await clock.advance(0);
    expect(log).toHaveLength(5);
    await clock.advance(1000);
    expect(log).toHaveLength(10);
    // Evenly spaced, 200 ms apart, not in bursts.
    expect(log.slice(5, 10).map(([, , at]) => at)).toEqual([200, 400, 600, 800, 1000]);
    await clock.advance(2000);
    expect(log).toHaveLength(20);
    expect(log.every(([, granted]) => granted)).toBe(true);
    expect(pacer.waiting).toBe(0);
  });

  it('serves the email that has waited longest first, fresh ones in arrival order after it', async () => {
    const clock = new FakeClock();
    const pacer = new SendPacer({ ratePerSecond: 1, clock });
    const log: Array<[string, boolean, number]> = [];
    track(pacer, clock, 'burst', log);
    await clock.advance(100);
    track(pacer, clock, 'fresh-1', log);
    track(pacer, clock, 'fresh-2', log);
    // Throttled before, waiting since t = 0 (earlier than the fresh ones): it goes first.
    track(pacer, clock, 'retry', log, { since: 0 });
    await clock.advance(5000);
    expect(log.map(([name]) => name)).toEqual(['burst', 'retry', 'fresh-1', 'fresh-2']);
  });

  it('tells a caller at once when no token can come before its deadline, and keeps the line moving', async () => {
    const clock = new FakeClock();
    const pacer = new SendPacer({ ratePerSecond: 2, clock });
    const log: Array<[string, boolean, number]> = [];
    for (let i = 0; i < 6; i++) track(pacer, clock, `e${i}`, log, { deadline: 1_200 });
    await clock.advance(0);
    // Two from the burst; at 2/s two more fit before 1.2 s (at 0.5 s and 1 s); the last two cannot.
    expect(log).toEqual([
      ['e0', true, 0],
      ['e1', true, 0],
      ['e4', false, 0],
      ['e5', false, 0],
    ]);
    await clock.advance(1_000);
    expect(log.slice(4)).toEqual([
      ['e2', true, 500],
      ['e3', true, 1000],
    ]);
  });

  it('halves its rate when SES throttles (once per burst), never below the floor, and drops the tokens it had', async () => {
    const clock = new FakeClock();
    const pacer = new SendPacer({ ratePerSecond: 8, minRatePerSecond: 1.5, clock });
    pacer.onThrottled();
    pacer.onThrottled();
    expect(pacer.rate).toBe(4);
    await clock.advance(1000);
    pacer.onThrottled();
    expect(pacer.rate).toBe(2);
    await clock.advance(1000);
    pacer.onThrottled();
    expect(pacer.rate).toBe(1.5);
    expect(pacer.throttled).toBe(4);
    // The bucket was emptied by the throttle: the next token is 1 / rate away.
    const log: Array<[string, boolean, number]> = [];
    track(pacer, clock, 'next', log);
    await clock.advance(600);
    expect(log).toEqual([]);
    await clock.advance(100);
    expect(log).toEqual([['next', true, expect.closeTo(2000 + 1000 / 1.5, 3)]]);
  });

  it('a throttle tells waiters whose deadline can no longer be met', async () => {
    const clock = new FakeClock();
    const pacer = new SendPacer({ ratePerSecond: 4, clock });
    const log: Array<[string, boolean, number]> = [];
    for (let i = 0; i < 4; i++) track(pacer, clock, `burst${i}`, log);
    track(pacer, clock, 'late', log, { deadline: 400 });
    await clock.advance(0);
    expect(log.map(([n]) => n)).toEqual(['burst0', 'burst1', 'burst2', 'burst3']);
    pacer.onThrottled();
    await clock.advance(0);
    // At 2/s its token is 500 ms away, past its deadline.
    expect(log[4]).toEqual(['late', false, 0]);
  });

  it('recovers additively while sends succeed', async () => {
    const clock = new FakeClock();
    const pacer = new SendPacer({ ratePerSecond: 10, increasePerSecond: 1, clock });
    pacer.onThrottled();
    expect(pacer.rate).toBe(5);
    // About one send a second per second: from 5/s to 10/s takes several seconds of sending, not one.
    let sent = 0;
    for (let second = 0; second < 3; second++) {
      const target = Math.floor(pacer.rate);
      for (let i = 0; i < target; i++, sent++) pacer.onSent();
      await clock.advance(1000);
    }
    expect(pacer.rate).toBeGreaterThan(7);
    expect(pacer.rate).toBeLessThan(8.5);
    for (let i = 0; i < 1000; i++) pacer.onSent();
    expect(pacer.rate).toBe(10);
    expect(sent).toBeGreaterThan(0);
  });

  it('settles near what SES really accepts when that is below its rate, with few refusals', async () => {
    // The pacer believes 10/s; the account (shared with another sender) takes only 6/s.
    const clock = new FakeClock();
    const pacer = new SendPacer({ ratePerSecond: 10, clock });
    const ses = sendRateLimiter(6, clock.now);
    let accepted = 0;
    let refused = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        if (!(await pacer.acquire({ deadline: Infinity }))) continue;
        if (ses()) {
          accepted++;
          pacer.onSent();
        } else {
          refused++;
          pacer.onThrottled();
        }
      }
    };
    const workers = Array.from({ length: 10 }, worker);
    await clock.advance(120_000);
    stop = true;
    pacer.close();
    await Promise.all(workers);
    const perSecond = accepted / 120;
    expect(perSecond).toBeGreaterThan(6 * 0.8);
    expect(perSecond).toBeLessThanOrEqual(6.1);
    expect(refused / (accepted + refused)).toBeLessThan(0.1);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new SendPacer({ ratePerSecond: 0 })).toThrow(/positive rate/);
  });
});
