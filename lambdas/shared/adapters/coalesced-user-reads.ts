import type DataLoader from 'dataloader';
import { BATCH_GET_LIMIT } from '../aws/batch-get.js';
import { coalescer } from './coalescing.js';
import type { UserItem, UsersStore } from './users-store.js';

/**
 * The people one request that sends many notifications (a batch) reads, a BatchGetItem for every hundred: `find` as
 * UsersStore's (through the cache when there is one, each person once for the request), `findFresh` as its
 * consistent read (never remembered: a decision it confirms must see the latest write). `readAhead` reads the people
 * of the whole batch at once, before its notifications are decided one by one.
 */
export class CoalescedUserReads implements Pick<UsersStore, 'find' | 'findFresh'> {
  private readonly cached: DataLoader<string, UserItem | undefined>;
  private readonly fresh: DataLoader<string, UserItem | undefined>;

  constructor(users: Pick<UsersStore, 'findMany' | 'findManyFresh'>, windowMs?: number) {
    const reader =
      (read: (ids: readonly string[]) => Promise<Map<string, UserItem>>) => async (ids: readonly string[]) => {
        // BatchGetItem refuses a key named twice.
        const found = await read([...new Set(ids)]);
        return ids.map((id) => found.get(id));
      };
    this.cached = coalescer(
      reader((ids) => users.findMany(ids)),
      {
        maxBatchSize: BATCH_GET_LIMIT,
        cache: true,
        windowMs,
      },
    );
    this.fresh = coalescer(
      reader((ids) => users.findManyFresh(ids)),
      { maxBatchSize: BATCH_GET_LIMIT, windowMs },
    );
  }

  find(userId: string): Promise<UserItem | undefined> {
    return this.cached.load(userId);
  }

  findFresh(userId: string): Promise<UserItem | undefined> {
    return this.fresh.load(userId);
  }

  /** Reads these people now, in as few calls as they fit; a failed read is left to each `find` to report. */
  async readAhead(userIds: readonly string[]): Promise<void> {
    await this.cached.loadMany(userIds);
  }
}
