import { describe, expect, it } from 'vitest';
import { mapConcurrent } from '../../src/util/pool.js';

const tick = (ms = 1) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('mapConcurrent', () => {
  it('never runs more than the limit at once, uses all of it, and keeps input order', async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: 25 }, (_, i) => i);
    const out = await mapConcurrent(items, 4, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await tick(n % 3);
      running -= 1;
      return n * 10;
    });
    expect(most).toBe(4);
    expect(out).toEqual(items.map((n) => n * 10));
  });

  it('passes each item its index and runs each exactly once', async () => {
    const seen: Array<[string, number]> = [];
    await mapConcurrent(['a', 'b', 'c'], 2, async (item, index) => {
      seen.push([item, index]);
    });
    expect(seen.sort()).toEqual([['a', 0], ['b', 1], ['c', 2]]);
  });

  it('rejects with the first failure, starts nothing after it, and waits for the running ones', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const failure = new Error('item 2 failed');
    const run = mapConcurrent([0, 1, 2, 3, 4, 5, 6], 3, async (n) => {
      started.push(n);
      if (n === 2) throw failure;
      await tick(20);
      finished.push(n);
      return n;
    });
    await expect(run).rejects.toBe(failure);
    // 0, 1 and 2 start together; 2 fails at once, so nothing new starts, and 0 and 1 finished first.
    expect(started).toEqual([0, 1, 2]);
    expect(finished.sort()).toEqual([0, 1]);
  });

  it('keeps the first failure when several fail', async () => {
    const run = mapConcurrent([1, 2], 2, async (n) => {
      await tick(n * 10);
      throw new Error(`failure ${n}`);
    });
    await expect(run).rejects.toThrow('failure 1');
  });

  it('handles no items and a limit above the item count or below one', async () => {
    expect(await mapConcurrent([], 8, async () => 1)).toEqual([]);
    expect(await mapConcurrent([1, 2], 100, async (n) => n + 1)).toEqual([2, 3]);
    let running = 0;
    let most = 0;
    await mapConcurrent([1, 2, 3], 0, async () => {
      running += 1;
      most = Math.max(most, running);
      await tick();
      running -= 1;
    });
    expect(most).toBe(1);
  });
});
