import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../src/util/poll.js';
import { sleep } from '../../src/util/sleep.js';

/** A clock that sleeping moves forward: no real time passes. */
function fakeTime() {
  let now = 1_000;
  const pauses: number[] = [];
  return {
    now: () => now,
    pauses,
    sleep: async (ms: number) => {
      pauses.push(ms);
      now += ms;
    },
  };
}

describe('pollUntil', () => {
  it('returns as soon as the check is done, with its value and the attempts it took', async () => {
    const time = fakeTime();
    const out = await pollUntil(async (attempt) => ({ done: attempt === 3, value: `try ${attempt}` }), { delayMs: 100, timeoutMs: 10_000, ...time });
    expect(out).toEqual({ done: true, value: 'try 3', attempts: 3 });
    expect(time.pauses).toEqual([100, 100]);
  });

  it('times out with the last value, never pauses past the deadline, and checks once more at it', async () => {
    const time = fakeTime();
    const out = await pollUntil(async (attempt) => ({ done: false, value: attempt }), { delayMs: 400, timeoutMs: 1_000, ...time });
    expect(out).toEqual({ done: false, value: 4, attempts: 4 });
    expect(time.pauses).toEqual([400, 400, 200]);
  });

  it('grows the pause by the factor, rounded, up to the maximum', async () => {
    const time = fakeTime();
    await pollUntil(async () => ({ done: false, value: undefined }), { delayMs: 200, factor: 1.5, maxDelayMs: 1_000, timeoutMs: 4_000, ...time });
    expect(time.pauses).toEqual([200, 300, 450, 675, 1000, 1000, 375]);
  });

  it('tells onWait each pause before it is taken', async () => {
    const time = fakeTime();
    const told: Array<[number, number]> = [];
    await pollUntil(async (attempt) => ({ done: attempt === 3, value: undefined }), { delayMs: 5, factor: 2, ...time, onWait: (ms, attempt) => told.push([ms, attempt]) });
    expect(told).toEqual([[5, 1], [10, 2]]);
  });

  it('polls without a deadline when no timeout is given', async () => {
    const time = fakeTime();
    const out = await pollUntil(async (attempt) => ({ done: attempt === 50, value: undefined }), { delayMs: 60_000, ...time });
    expect(out.attempts).toBe(50);
  });

  it('lets an error of the check through and stops polling', async () => {
    const time = fakeTime();
    let checks = 0;
    const run = pollUntil(
      async () => {
        checks += 1;
        if (checks === 2) throw new Error('the process died');
        return { done: false, value: undefined };
      },
      { delayMs: 10, timeoutMs: 1_000, ...time },
    );
    await expect(run).rejects.toThrow('the process died');
    expect(checks).toBe(2);
  });

  it('rejects when the signal fires during a real pause', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    const run = pollUntil(async () => ({ done: false, value: undefined }), { delayMs: 10_000, signal: controller.signal });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('sleep', () => {
  it('waits about the time asked', async () => {
    const started = Date.now();
    await sleep(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('rejects at once on a signal that already fired, and the moment one fires', async () => {
    await expect(sleep(10_000, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    const started = Date.now();
    await expect(sleep(10_000, AbortSignal.timeout(20))).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
