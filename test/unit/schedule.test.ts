import { describe, expect, it } from 'vitest';
import {
  DISPATCH_LOOKAHEAD_SECONDS,
  DUE_INDEX_SHARDS,
  dueShardOf,
  dueWithinLookahead,
  scheduleProblem,
  secondsUntil,
} from '../../lambdas/shared/domain/schedule.js';
import { notificationRequestSchema } from '../../lambdas/shared/schemas/notification-request.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

describe('when a scheduled send may be', () => {
  it('takes a time in the future up to the configured days ahead', () => {
    expect(scheduleProblem(later(1), NOW, 366)).toBeUndefined();
    expect(scheduleProblem(later(366 * 86_400), NOW, 366)).toBeUndefined();
  });

  it('refuses now, the past, and beyond the configured days, saying which', () => {
    expect(scheduleProblem(NOW, NOW, 366)).toMatch(/must be in the future/);
    expect(scheduleProblem(later(-60), NOW, 366)).toMatch(/must be in the future/);
    expect(scheduleProblem(later(366 * 86_400 + 1), NOW, 366)).toBe('must be at most 366 days ahead');
    expect(scheduleProblem(later(2 * 86_400), NOW, 1)).toBe('must be at most 1 days ahead');
    expect(scheduleProblem(new Date('nonsense'), NOW, 366)).toMatch(/RFC 3339/);
  });

  it('is RFC 3339 with an offset: a local time without one, or a date alone, is refused by the request schema', () => {
    const base = { user_id: 'ada', type: 'order_shipped', payload: {} };
    for (const good of ['2027-01-05T09:00:00+01:00', '2027-01-05T08:00:00Z', '2027-01-05T08:00:00.250-05:30'])
      expect(notificationRequestSchema.safeParse({ ...base, send_at: good }).success).toBe(true);
    for (const bad of ['2027-01-05T09:00:00', '2027-01-05', 'tomorrow at 9', 1_800_000_000, '2027-13-05T09:00:00Z'])
      expect(notificationRequestSchema.safeParse({ ...base, send_at: bad }).success).toBe(false);
  });
});

describe('how a scheduled send waits', () => {
  it('waits on the dispatch queue within the lookahead, below SQS delay limit of 900 s, and in the index beyond', () => {
    expect(DISPATCH_LOOKAHEAD_SECONDS).toBeLessThan(900);
    expect(dueWithinLookahead(later(20), NOW)).toBe(true);
    expect(dueWithinLookahead(later(DISPATCH_LOOKAHEAD_SECONDS), NOW)).toBe(true);
    expect(dueWithinLookahead(later(DISPATCH_LOOKAHEAD_SECONDS + 1), NOW)).toBe(false);
  });

  it('counts whole seconds to go, and none for a time already passed (a late firing goes at once)', () => {
    expect(secondsUntil(later(19.2), NOW)).toBe(20);
    expect(secondsUntil(later(-3600), NOW)).toBe(0);
  });

  it("spreads notifications over the due-time index's shards, the same shard for the same id", () => {
    const counts = new Map<string, number>();
    for (let index = 0; index < 16_000; index++) {
      const shard = dueShardOf(crypto.randomUUID());
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect(counts.size).toBe(DUE_INDEX_SHARDS);
    // A fair spread puts 1,000 in each; none should be far off.
    for (const count of counts.values()) expect(count).toBeGreaterThan(800);
    const id = crypto.randomUUID();
    expect(dueShardOf(id)).toBe(dueShardOf(id));
  });
});
