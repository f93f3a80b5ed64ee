import { describe, expect, it } from 'vitest';
import { LOG_SHARDS, logKeyOf, logPartitionsOf, mergedPage } from '../../lambdas/shared/domain/notification-log.js';

describe("a producer's log", () => {
  it('spreads a producer over its shards by id, and orders by time, then id', () => {
    const ids = Array.from(
      { length: 400 },
      (_, index) => `7c9e6679-7425-40de-944b-e07fc1f9${index.toString(16).padStart(4, '0')}`,
    );
    const partitions = new Set(
      ids.map((id) => logKeyOf('order-service', id, '2026-12-08T10:00:00.000Z').log_partition),
    );

    expect([...partitions].sort()).toEqual(logPartitionsOf(['order-service']).sort());
    expect(partitions.size).toBe(LOG_SHARDS);
    expect(logKeyOf('p', 'a', '2026-12-08T10:00:00.000Z').log_time).toBe('2026-12-08T10:00:00.000Z#a');
  });

  it('merges partitions newest first, before the cursor, and says whether more are left', () => {
    const entry = (minute: number, id: string) => ({
      notificationId: id,
      logTime: `2026-12-08T10:0${minute}:00.000Z#${id}`,
    });
    const partitions = [
      { entries: [entry(9, 'a'), entry(5, 'b'), entry(1, 'c')], more: false },
      { entries: [entry(8, 'd'), entry(5, 'e')], more: false },
    ];

    expect(mergedPage(partitions, 3).entries.map(({ notificationId }) => notificationId)).toEqual(['a', 'd', 'e']);
    expect(mergedPage(partitions, 3).more).toBe(true);
    expect(mergedPage(partitions, 10)).toEqual({
      entries: [entry(9, 'a'), entry(8, 'd'), entry(5, 'e'), entry(5, 'b'), entry(1, 'c')],
      more: false,
    });
    expect(
      mergedPage(partitions, 10, entry(5, 'e').logTime).entries.map(({ notificationId }) => notificationId),
    ).toEqual(['b', 'c']);
    expect(mergedPage([{ entries: [entry(1, 'c')], more: true }], 10).more).toBe(true);
  });
});
