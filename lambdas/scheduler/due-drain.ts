import { deferredChannelOf } from '../shared/adapters/deferred-jobs.js';
import type { DispatchQueue } from '../shared/adapters/dispatch-queue.js';
import type { NotificationsStore } from '../shared/adapters/notifications-store.js';
import { DISPATCH_LOOKAHEAD_SECONDS, DUE_INDEX_SHARDS, dueShard, secondsUntil } from '../shared/domain/schedule.js';
import { logger } from '../shared/observability.js';

export interface DueDrainDependencies {
  readonly notifications: Pick<NotificationsStore, 'dueBy' | 'leaveDueIndex'>;
  readonly dispatchQueue: Pick<DispatchQueue, 'sendAll'>;
  readonly shards?: number;
  /** Items read from one shard at a time. */
  readonly pageSize?: number;
}

export interface DrainResult {
  /** Handed to the dispatch queue, each with the rest of its wait as its delay. */
  readonly queued: number;
  /** Refused by SQS: they stay in the index for the next drain. */
  readonly refused: number;
}

/**
 * Every minute: what falls due within the lookahead moves from the due-time index onto the dispatch queue, with the
 * rest of its wait as the message's delay, and leaves the index. In that order, so that a drain that dies between the
 * two only queues it again next time (the dispatch's claim makes that harmless), and never loses it.
 */
export class DueDrain {
  private readonly shards: number;
  private readonly pageSize: number;

  constructor(private readonly deps: DueDrainDependencies) {
    this.shards = deps.shards ?? DUE_INDEX_SHARDS;
    this.pageSize = deps.pageSize ?? 100;
  }

  async drain(now: Date, deadline = Number.POSITIVE_INFINITY): Promise<DrainResult> {
    const until = new Date(now.getTime() + DISPATCH_LOOKAHEAD_SECONDS * 1000).toISOString();
    const results = await Promise.all(
      Array.from({ length: this.shards }, (_, index) => this.drainShard(dueShard(index), until, now, deadline)),
    );
    return results.reduce((sum, result) => ({
      queued: sum.queued + result.queued,
      refused: sum.refused + result.refused,
    }));
  }

  private async drainShard(shard: string, until: string, now: Date, deadline: number): Promise<DrainResult> {
    let queued = 0;
    let refused = 0;
    // What is left when the function must stop waits for the next drain.
    for await (const due of this.deps.notifications.dueBy(shard, until, this.pageSize)) {
      if (due.length === 0) continue;
      const taken = await this.deps.dispatchQueue.sendAll(
        due.map(({ notificationId, sortKey, dueAt }) => {
          const channel = deferredChannelOf(sortKey);
          return { notificationId, ...(channel ? { channel } : {}), delaySeconds: secondsUntil(new Date(dueAt), now) };
        }),
      );
      await Promise.all(
        due.flatMap((entry, index) => (taken.has(index) ? [this.deps.notifications.leaveDueIndex(entry)] : [])),
      );
      queued += taken.size;
      refused += due.length - taken.size;
      if (taken.size < due.length) {
        logger.warn('the dispatch queue refused some due notifications; the next drain retries', {
          shard,
          refused: due.length - taken.size,
        });
        break;
      }
      if (Date.now() >= deadline) break;
    }
    return { queued, refused };
  }
}
