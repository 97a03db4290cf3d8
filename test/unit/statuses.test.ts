import { describe, expect, it } from 'vitest';
import { STATUSES, STATUS_RANK, supersedesCondition, type EmailStatus } from '../../src/model/statuses.js';

describe('status precedence', () => {
  it('is one DynamoDB condition on the stored rank, bound to the rank of the new status', () => {
    for (const status of STATUSES) {
      expect(supersedesCondition(status, { ifUnranked: false })).toEqual({ condition: 'statusRank < :rank', values: { ':rank': STATUS_RANK[status] } });
      expect(supersedesCondition(status, { ifUnranked: true })).toEqual({
        condition: '(attribute_not_exists(statusRank) OR statusRank < :rank)',
        values: { ':rank': STATUS_RANK[status] },
      });
    }
  });

  it('lets later events win only where the table says so', () => {
    const wins = (next: EmailStatus, stored: EmailStatus) => stored !== next && supersedesCondition(next, { ifUnranked: false }).values[':rank'] > STATUS_RANK[stored];
    expect(wins('sent', 'sending')).toBe(true);
    expect(wins('delivered', 'sent')).toBe(true);
    expect(wins('opened', 'delivered')).toBe(true);
    expect(wins('bounced', 'delivered')).toBe(true);
    expect(wins('delivered', 'soft_bounced')).toBe(true);
    // A late Delivery never turns a bounced or complained email back into a delivered one.
    expect(wins('delivered', 'bounced')).toBe(false);
    expect(wins('delivered', 'complained')).toBe(false);
    expect(wins('sent', 'delivered')).toBe(false);
    // Decided before SES: nothing later changes them.
    for (const status of STATUSES) {
      expect(wins(status, 'failed')).toBe(false);
      expect(wins(status, 'suppressed')).toBe(false);
    }
  });
});
