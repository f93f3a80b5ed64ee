import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../../channels/registry.js';
import { conditionHeld } from '../aws/conditional-write.js';
import { NOTIFICATION_KEY_PREFIX } from './notifications-store.js';

/**
 * The claim a worker takes on (notification, channel) before it calls the provider, so that a
 * redelivered job is not sent twice. `completed` is final; `in_progress` belongs to a worker that is
 * sending right now, or that died: its lease then runs out and the next attempt takes the claim.
 * Each attempt holds its claim under a token of its own, and completes or releases only that claim: an attempt
 * that outlived its lease cannot end the claim of the attempt that took over.
 */
export type ClaimResult =
  | { readonly outcome: 'claimed'; readonly token: string }
  | { readonly outcome: 'completed' }
  | { readonly outcome: 'cancelled' }
  | { readonly outcome: 'held_by_another'; readonly leaseUntil: number };

const claimKey = (notificationId: string, channel: Channel) => ({
  pk: `${NOTIFICATION_KEY_PREFIX}${notificationId}`,
  sk: `claim#${channel}`,
});

export class DeliveryClaims {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
    private readonly leaseSeconds: number,
    private readonly clock: () => number = Date.now,
    private readonly newToken: () => string = () => crypto.randomUUID(),
  ) {}

  async claim(notificationId: string, channel: Channel, expiresAt: number): Promise<ClaimResult> {
    const now = this.clock();
    const token = this.newToken();
    try {
      await this.client.put({
        TableName: this.tableName,
        Item: {
          ...claimKey(notificationId, channel),
          state: 'in_progress',
          token,
          lease_until: now + this.leaseSeconds * 1000,
          expires_at: expiresAt,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :in_progress AND lease_until < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':in_progress': 'in_progress', ':now': now },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      return { outcome: 'claimed', token };
    } catch (error) {
      const failed = error as Error & { Item?: Record<string, { S?: string; N?: string }> };
      if (failed.name !== 'ConditionalCheckFailedException') throw error;
      // The existing claim comes back with the failed write: no second read, no race between them.
      if (failed.Item?.state?.S === 'completed') return { outcome: 'completed' };
      if (failed.Item?.state?.S === 'cancelled') return { outcome: 'cancelled' };
      return { outcome: 'held_by_another', leaseUntil: Number(failed.Item?.lease_until?.N ?? now) };
    }
  }

  /**
   * Cancels (notification, channel) before any attempt sends it: the one conditional write that decides a cancel
   * against a worker. It holds only while no attempt has claimed the job, or the last one gave its claim back after a
   * failure the provider proved it did not send on (released, lease 0); a claim held now, or one whose worker died
   * mid-send (the outcome unknown), or a completed one, is not cancelled. True when cancelled (again, too).
   */
  async cancel(notificationId: string, channel: Channel, expiresAt: number): Promise<boolean> {
    try {
      await this.client.put({
        TableName: this.tableName,
        Item: { ...claimKey(notificationId, channel), state: 'cancelled', expires_at: expiresAt },
        ConditionExpression:
          'attribute_not_exists(pk) OR #state = :cancelled OR (#state = :in_progress AND lease_until = :released)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':cancelled': 'cancelled', ':in_progress': 'in_progress', ':released': 0 },
      });
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * The job is done, sent or failed for good: every later delivery of it is acknowledged unsent. False when the
   * claim is no longer this attempt's (its lease ran out and another attempt took it over).
   */
  complete(notificationId: string, channel: Channel, token: string): Promise<boolean> {
    return this.updateOwnClaim(notificationId, channel, token, 'SET #state = :completed REMOVE lease_until', {
      ':completed': 'completed',
    });
  }

  /**
   * The attempt failed and will be retried: its lease ends now, so the next attempt claims at once. False when the
   * claim is no longer this attempt's.
   */
  release(notificationId: string, channel: Channel, token: string): Promise<boolean> {
    return this.updateOwnClaim(notificationId, channel, token, 'SET lease_until = :ended', { ':ended': 0 });
  }

  /** An update of the claim made only while this attempt still holds it. */
  private updateOwnClaim(
    notificationId: string,
    channel: Channel,
    token: string,
    update: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: claimKey(notificationId, channel),
        UpdateExpression: update,
        ConditionExpression: '#token = :token AND #state = :in_progress',
        ExpressionAttributeNames: { '#state': 'state', '#token': 'token' },
        ExpressionAttributeValues: { ...values, ':in_progress': 'in_progress', ':token': token },
      }),
    );
  }
}
