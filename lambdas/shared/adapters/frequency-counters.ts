import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../../channels/registry.js';
import { conditionHeld } from '../aws/conditional-write.js';
import { deletePartition } from '../aws/partition.js';
import { type FrequencyCap, takeSlot } from '../domain/frequency-caps.js';

/**
 * The partition keys of frequency counters in the notifications table begin with this; a function that may write only
 * those is held to it (IAM's dynamodb:LeadingKeys).
 */
export const COUNTER_KEY_PREFIX = 'throttle#';

/** Attempts at the conditional write before giving up: each conflict means another message just took a slot. */
const ATTEMPTS = 8;

// One partition per person, so that erasing them finds every counter of theirs (forgetPerson).
const counterKey = (userId: string, channel: Channel, cap: FrequencyCap) => ({
  pk: `${COUNTER_KEY_PREFIX}${userId}`,
  sk: `${cap.scope}#${channel}`,
});

interface CounterItem {
  readonly sent_at?: number[];
  readonly version?: number;
}

/** The counter could not be written for contention: the caller's request fails and is retried. */
export class FrequencyCounterContended extends Error {
  constructor() {
    super('the frequency counter stayed contended');
    this.name = 'FrequencyCounterContended';
  }
}

/**
 * One counter per person, channel and cap scope: when its recent messages went, in one item. A slot is taken by a
 * read and a write conditional on the version read, so two messages at the same moment cannot both take the last
 * slot: the second write fails, reads again, and finds the cap reached. The item expires a window after its last use.
 */
export class FrequencyCounters {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
  ) {}

  /** Takes a slot at `now` (epoch ms); false when the cap is reached. */
  async take(userId: string, channel: Channel, cap: FrequencyCap, now: number): Promise<boolean> {
    const Key = counterKey(userId, channel, cap);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { Item } = await this.client.get({ TableName: this.tableName, Key, ConsistentRead: true });
      const counter = (Item ?? {}) as CounterItem;
      const slot = takeSlot(counter.sent_at ?? [], now, cap);
      if (!slot.allowed) return false;
      const written = await conditionHeld(
        this.client.update({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'SET sent_at = :kept, #version = :next, expires_at = :expires',
          ConditionExpression: counter.version === undefined ? 'attribute_not_exists(pk)' : '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: {
            ':kept': slot.kept,
            ':next': (counter.version ?? 0) + 1,
            ':expires': Math.ceil(now / 1000) + cap.windowSeconds,
            ...(counter.version === undefined ? {} : { ':version': counter.version }),
          },
        }),
      );
      if (written) return true;
    }
    throw new FrequencyCounterContended();
  }

  /** Erasing a person: their counters go (their user id is the partition). */
  async forgetPerson(userId: string): Promise<number> {
    return deletePartition(this.client, this.tableName, `${COUNTER_KEY_PREFIX}${userId}`);
  }

  /** Gives back the slot taken at `at`: the message it was for will not go (another cap stopped it). */
  async giveBack(userId: string, channel: Channel, cap: FrequencyCap, at: number): Promise<void> {
    const Key = counterKey(userId, channel, cap);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { Item } = await this.client.get({ TableName: this.tableName, Key, ConsistentRead: true });
      const counter = (Item ?? {}) as CounterItem;
      if (counter.version === undefined || !counter.sent_at?.includes(at)) return;
      const written = await conditionHeld(
        this.client.update({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'SET sent_at = :kept, #version = :next',
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: {
            ':kept': withoutOne(counter.sent_at, at),
            ':next': counter.version + 1,
            ':version': counter.version,
          },
        }),
      );
      if (written) return;
    }
  }
}

/** The times with one occurrence of `at` taken out. */
function withoutOne(times: readonly number[], at: number): number[] {
  const index = times.indexOf(at);
  return index < 0 ? [...times] : [...times.slice(0, index), ...times.slice(index + 1)];
}
