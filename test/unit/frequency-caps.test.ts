import { describe, expect, it } from 'vitest';
import { capsFor, takeSlot } from '../../lambdas/shared/domain/frequency-caps.js';

const marketing = { required: false, throttle: { limit: 3, windowSeconds: 7 * 86_400 } };

describe('capsFor', () => {
  it("holds a type to its template's cap, then its category's", () => {
    expect(
      capsFor(
        { type: 'spring_sale', critical: false, throttle: { limit: 1, window_seconds: 3600 } },
        'marketing',
        marketing,
      ),
    ).toEqual([
      { scope: 'type:spring_sale', limit: 1, windowSeconds: 3600 },
      { scope: 'category:marketing', limit: 3, windowSeconds: 7 * 86_400 },
    ]);
    expect(capsFor({ type: 'order_shipped', critical: false }, 'orders', { required: false })).toEqual([]);
  });

  it('never caps a critical type or a required category, whatever the template or category says', () => {
    const throttle = { limit: 1, window_seconds: 3600 };
    expect(capsFor({ type: 'password_reset', critical: true, throttle }, 'marketing', marketing)).toEqual([]);
    expect(
      capsFor({ type: 'new_login', critical: false, throttle }, 'security', { ...marketing, required: true }),
    ).toEqual([]);
  });
});

describe('takeSlot', () => {
  const cap = { limit: 3, windowSeconds: 60 };

  it('allows up to the limit in any window, and keeps only the times inside it', () => {
    expect(takeSlot([], 1_000, cap)).toEqual({ allowed: true, kept: [1_000] });
    expect(takeSlot([1, 2], 1_000, cap)).toEqual({ allowed: true, kept: [1, 2, 1_000] });
    expect(takeSlot([1, 2, 3], 1_000, cap)).toEqual({ allowed: false, kept: [1, 2, 3] });
    // A window slides: what went more than 60 s ago no longer counts.
    expect(takeSlot([1, 2, 3], 60_002, cap)).toEqual({ allowed: true, kept: [3, 60_002] });
  });
});
