import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../domain/channel.js';

/**
 * The claim a worker takes on (notification, channel) before it calls the provider, so that a
 * redelivered job is not sent twice. `completed` is final; `in_progress` belongs to a worker that is
 * sending right now, or that died: its lease then runs out and the next attempt takes the claim.
 */
export type ClaimResult =
  | { readonly outcome: 'claimed' }
  | { readonly outcome: 'completed' }
  | { readonly outcome: 'held_by_another'; readonly leaseUntil: number };

const claimKey = (notificationId: string, channel: Channel) => ({
  pk: `notification#${notificationId}`,
  sk: `claim#${channel}`,
});

export class DeliveryClaims {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
    private readonly leaseSeconds: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async claim(notificationId: string, channel: Channel, expiresAt: number): Promise<ClaimResult> {
    const now = this.clock();
    try {
      await this.client.put({
        TableName: this.tableName,
        Item: {
          ...claimKey(notificationId, channel),
          state: 'in_progress',
          lease_until: now + this.leaseSeconds * 1000,
          expires_at: expiresAt,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :in_progress AND lease_until < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':in_progress': 'in_progress', ':now': now },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      return { outcome: 'claimed' };
    } catch (error) {
      const failed = error as Error & { Item?: Record<string, { S?: string; N?: string }> };
      if (failed.name !== 'ConditionalCheckFailedException') throw error;
      // The existing claim comes back with the failed write: no second read, no race between them.
      if (failed.Item?.state?.S === 'completed') return { outcome: 'completed' };
      return { outcome: 'held_by_another', leaseUntil: Number(failed.Item?.lease_until?.N ?? now) };
    }
  }

  /** The job is done, sent or failed for good: every later delivery of it is acknowledged unsent. */
  async complete(notificationId: string, channel: Channel): Promise<void> {
    await this.client.update({
      TableName: this.tableName,
      Key: claimKey(notificationId, channel),
      UpdateExpression: 'SET #state = :completed REMOVE lease_until',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':completed': 'completed' },
    });
  }

  /** The attempt failed and will be retried: let the next one claim at once. */
  async release(notificationId: string, channel: Channel): Promise<void> {
    await this.client.delete({
      TableName: this.tableName,
      Key: claimKey(notificationId, channel),
      ConditionExpression: '#state = :in_progress',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':in_progress': 'in_progress' },
    });
  }
}
