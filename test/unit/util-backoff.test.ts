import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay } from '../../src/util/backoff.js';

const options = { baseMs: 200, maxMs: 5_000 };

describe('backoff', () => {
  it('doubles the ceiling each attempt up to the maximum', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((attempt) => backoffCeiling(attempt, options))).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('full jitter spans 0 up to the ceiling, rounded to whole milliseconds', () => {
    expect(backoffDelay(2, { ...options, jitter: 'full', random: () => 0 })).toBe(0);
    expect(backoffDelay(2, { ...options, jitter: 'full', random: () => 0.5 })).toBe(400);
    expect(backoffDelay(2, { ...options, jitter: 'full', random: () => 0.9999 })).toBe(800);
    expect(backoffDelay(1, { baseMs: 100, maxMs: 5_000, jitter: 'full', random: () => 0.333 })).toBe(67);
  });

  it('half jitter spans half the ceiling up to the ceiling', () => {
    expect(backoffDelay(2, { ...options, jitter: 'half', random: () => 0 })).toBe(400);
    expect(backoffDelay(2, { ...options, jitter: 'half', random: () => 0.5 })).toBe(600);
    expect(backoffDelay(9, { ...options, jitter: 'half', random: () => 0.9999 })).toBeCloseTo(5_000, 0);
  });

  it('stays within its bounds with the real random source', () => {
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const ceiling = backoffCeiling(attempt, options);
      for (let i = 0; i < 200; i += 1) {
        const full = backoffDelay(attempt, { ...options, jitter: 'full' });
        const half = backoffDelay(attempt, { ...options, jitter: 'half' });
        expect(full).toBeGreaterThanOrEqual(0);
        expect(full).toBeLessThanOrEqual(ceiling);
        expect(Number.isInteger(full)).toBe(true);
        expect(half).toBeGreaterThanOrEqual(ceiling / 2);
        expect(half).toBeLessThan(ceiling);
      }
    }
  });
});
