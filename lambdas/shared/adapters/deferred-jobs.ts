import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../../channels/registry.js';
import { dueShardOf } from '../domain/schedule.js';
import type { ChannelJob } from '../schemas/channel-job.js';
import { NOTIFICATION_KEY_PREFIX, NOTIFICATION_RETENTION_SECONDS } from './notifications-store.js';

/** The sort key of a channel's job set aside until the end of a long quiet-hours window. */
const deferralSortKey = (channel: Channel) => `deferral#${channel}`;

const deferralKey = (notificationId: string, channel: Channel) => ({
  pk: `${NOTIFICATION_KEY_PREFIX}${notificationId}`,
  sk: deferralSortKey(channel),
});

/** The channel a due-time index entry's sort key names, when it is a deferred job's rather than a notification's. */
export function deferredChannelOf(sortKey: string): Channel | undefined {
  return sortKey.startsWith('deferral#') ? (sortKey.slice('deferral#'.length) as Channel) : undefined;
}

interface DeferredJobItem {
  readonly job: ChannelJob;
  readonly address_keys?: readonly string[];
}

/**
 * A channel job that must wait longer than the dispatch lookahead (the end of a night's quiet hours): set aside beside
 * its notification, in the due-time index, rather than hopping through SQS every 15 minutes; the due drain and the
 * dispatch function put it back on its channel's queue when it falls due (domain/schedule.ts). No wait is too long
 * for it: a queue would drop a message after its retention (4 days).
 */
export class DeferredJobs {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
  ) {}

  async setAside(job: ChannelJob, notBefore: Date, addressKeys?: readonly string[]): Promise<void> {
    await this.client.put({
      TableName: this.tableName,
      Item: {
        ...deferralKey(job.notification_id, job.channel),
        job,
        ...(addressKeys?.length ? { address_keys: addressKeys } : {}),
        due_shard: dueShardOf(job.notification_id),
        due_at: notBefore.toISOString(),
        expires_at: Math.floor(notBefore.getTime() / 1000) + NOTIFICATION_RETENTION_SECONDS,
      },
    });
  }

  /** The job set aside for (notification, channel), if any, with the keys of the address it was decided on. */
  async find(
    notificationId: string,
    channel: Channel,
  ): Promise<{ job: ChannelJob; addressKeys?: readonly string[] } | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: deferralKey(notificationId, channel),
      ConsistentRead: true,
    });
    if (!Item) return undefined;
    const item = Item as DeferredJobItem;
    return { job: item.job, ...(item.address_keys ? { addressKeys: item.address_keys } : {}) };
  }
}
