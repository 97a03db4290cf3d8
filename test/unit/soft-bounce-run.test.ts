import { describe, expect, it } from 'vitest';
import { softBouncesSinceDelivery } from '../../src/engine/feedback.js';
import { softBounceRun } from '../../src/suppression/suppression-store.js';

describe('which soft bounces count (Feedback decides, the store only keeps them)', () => {
  it('counts distinct events newer than the last delivery', () => {
    const run = softBounceRun({
      softBounceEvents: new Set(['2026-01-01T00:00:00.000Z|a', '2026-01-02T00:00:00.000Z|b', '2026-01-03T00:00:00.000Z|c', '2026-01-03T00:00:00.000Z|c']),
      softBouncesResetAt: '2026-01-01T12:00:00.000Z',
    });
    expect(run.bounces).toHaveLength(3);
    expect(softBouncesSinceDelivery(run)).toBe(2);
  });

  it('counts one event once even when stored under two times, and a bounce at the delivery time not at all', () => {
    expect(softBouncesSinceDelivery({ bounces: [{ time: '2026-01-02T00:00:00.000Z', eventId: 'a' }, { time: '2026-01-02T00:00:01.000Z', eventId: 'a' }] })).toBe(1);
    expect(softBouncesSinceDelivery({ bounces: [{ time: '2026-01-02T00:00:00.000Z', eventId: 'a' }], resetAt: '2026-01-02T00:00:00.000Z' })).toBe(0);
    expect(softBouncesSinceDelivery(softBounceRun({}))).toBe(0);
  });
});
