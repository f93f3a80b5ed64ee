import { createHash } from 'node:crypto';
import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from '../aws/conditional-write.js';
import type { Channel } from '../domain/channel.js';
import type { AcceptedNotification, ChannelState } from '../domain/notification.js';

/** The accepted request and each channel's state, under the notification's own key. */
export interface NotificationItem {
  readonly notification_id: string;
  /** Absent once the person was erased. */
  readonly user_id?: string;
  readonly type: string;
  readonly producer: string;
  readonly critical: boolean;
  readonly created_at: string;
  readonly channels: Partial<Record<Channel, ChannelState & { enqueued_at?: string }>>;
  readonly expires_at: number;
}

/**
 * A producer's claim on an Idempotency-Key. `in_progress` until every job is on its queue, then
 * `completed`; an `in_progress` claim whose lease ran out belongs to a request that died or failed,
 * and the next retry takes it over.
 */
export interface IdempotencyItem {
  readonly notification_id: string;
  readonly fingerprint: string;
  readonly state: 'in_progress' | 'completed';
  readonly lease_until: number;
  readonly response: AcceptedNotification;
  readonly expires_at: number;
}

export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;
export const NOTIFICATION_RETENTION_SECONDS = 30 * 24 * 3600;

const notificationKey = (notificationId: string) => ({ pk: `notification#${notificationId}`, sk: 'notification' });
// The key is the producer's text; only its hash is stored, which bounds its size and keeps it out of reach.
const idempotencyKey = (producer: string, key: string) => ({
  pk: `idempotency#${producer}#${createHash('sha256').update(key).digest('hex')}`,
  sk: 'idempotency',
});

/** The index of a person's notifications (declared in TABLES.notifications.indexes). */
export const NOTIFICATIONS_BY_USER_INDEX = 'by_user';

/** A channel's status may be written unless it already says `sent` (names #channel and #status, value :sent). */
const NOT_SENT = '(attribute_not_exists(channels.#channel) OR channels.#channel.#status <> :sent)';

export type ClaimOutcome = { readonly claimed: true } | { readonly claimed: false; readonly existing: IdempotencyItem };

export class NotificationsStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
  ) {}

  /** Records a notification sent without an Idempotency-Key (its id is new, so the write cannot collide). */
  async create(notification: NotificationItem): Promise<void> {
    await this.client.put({
      TableName: this.tableName,
      Item: { ...notificationKey(notification.notification_id), ...notification },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  }

  /**
   * Claims the producer's Idempotency-Key and records the notification in one atomic write. A claim that
   * exists and has not expired wins: the caller gets it back to replay, resume or refuse.
   */
  async createOnce(
    notification: NotificationItem,
    claim: { producer: string; key: string; fingerprint: string; response: AcceptedNotification; leaseUntil: number },
  ): Promise<ClaimOutcome> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const idempotency: IdempotencyItem = {
      notification_id: notification.notification_id,
      fingerprint: claim.fingerprint,
      state: 'in_progress',
      lease_until: claim.leaseUntil,
      response: claim.response,
      expires_at: nowSeconds + IDEMPOTENCY_WINDOW_SECONDS,
    };
    try {
      await this.client.transactWrite({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: { ...idempotencyKey(claim.producer, claim.key), ...idempotency },
              // A key past its 24 hours is free again even before DynamoDB's TTL has removed it.
              ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now',
              ExpressionAttributeValues: { ':now': nowSeconds },
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: { ...notificationKey(notification.notification_id), ...notification },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      });
      return { claimed: true };
    } catch (error) {
      if (!isClaimContested(error)) throw error;
      const existing = await this.findClaim(claim.producer, claim.key);
      // Contested by a concurrent request whose own write then failed: nothing to replay, so let the
      // producer retry (a TransactionCanceledException of this kind answers 503 with Retry-After).
      if (!existing) throw error;
      return { claimed: false, existing };
    }
  }

  async findClaim(producer: string, key: string): Promise<IdempotencyItem | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: idempotencyKey(producer, key),
      ConsistentRead: true,
    });
    return Item as IdempotencyItem | undefined;
  }

  /** Takes over a claim whose lease ran out; false when another retry took it first. */
  async takeOver(producer: string, key: string, seen: IdempotencyItem, leaseUntil: number): Promise<boolean> {
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: idempotencyKey(producer, key),
        UpdateExpression: 'SET lease_until = :lease',
        ConditionExpression: '#state = :in_progress AND lease_until = :seen',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':lease': leaseUntil, ':in_progress': 'in_progress', ':seen': seen.lease_until },
      }),
    );
  }

  async completeClaim(producer: string, key: string): Promise<void> {
    await this.client.update({
      TableName: this.tableName,
      Key: idempotencyKey(producer, key),
      UpdateExpression: 'SET #state = :completed',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':completed': 'completed' },
    });
  }

  /** Ends the lease at once, so that the producer's retry can resume the work without waiting. */
  async releaseClaim(producer: string, key: string): Promise<void> {
    await this.client.update({
      TableName: this.tableName,
      Key: idempotencyKey(producer, key),
      UpdateExpression: 'SET lease_until = :expired',
      ExpressionAttributeValues: { ':expired': 0 },
    });
  }

  async find(notificationId: string): Promise<NotificationItem | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: notificationKey(notificationId),
      ConsistentRead: true,
    });
    return Item as NotificationItem | undefined;
  }

  /** The ids of a person's notification records, page by page (the index is eventually consistent). */
  async *notificationIdsOf(userId: string): AsyncGenerator<string[]> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.query({
        TableName: this.tableName,
        IndexName: NOTIFICATIONS_BY_USER_INDEX,
        KeyConditionExpression: 'user_id = :user',
        ExpressionAttributeValues: { ':user': userId },
        ExclusiveStartKey,
      });
      yield (page.Items ?? []).map((item) => String(item.pk).replace(/^notification#/, ''));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  /**
   * Takes the person out of a notification record: it keeps what the producer needs to account for what was sent
   * (type, producer, each channel's status) and no longer says to whom. The record leaves the person's index too.
   */
  async eraseRecipient(notificationId: string): Promise<void> {
    await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: notificationKey(notificationId),
        UpdateExpression: 'REMOVE user_id SET erased_at = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': new Date().toISOString() },
      }),
    );
  }

  /**
   * A channel worker's news: sent (with the provider's message id), failed (with the reason), skipped or
   * deferred again. Only for a notification that exists: a job can outlive its record only through a
   * very late redrive, and then there is nothing to report to. `sent` is never overwritten: whatever a slower
   * writer says afterwards (a duplicate attempt, an ingest retry) is older news.
   */
  async recordChannelState(notificationId: string, channel: Channel, state: ChannelState): Promise<void> {
    await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: notificationKey(notificationId),
        UpdateExpression: 'SET channels.#channel = :state',
        ConditionExpression: `attribute_exists(pk) AND ${NOT_SENT}`,
        ExpressionAttributeNames: { '#channel': channel, '#status': 'status' },
        ExpressionAttributeValues: { ':state': state, ':sent': 'sent' },
      }),
    );
  }

  /**
   * After sending jobs: which channels' jobs SQS accepted (so a resumed request does not send them again)
   * and which it refused (so the notification does not claim to be queued on them). A channel refused
   * before and accepted now gets its decided state back, but only while it still says so: a worker may have
   * delivered the job in the meantime, and its status stands.
   */
  async recordEnqueueOutcome(
    notificationId: string,
    outcome: { enqueued: readonly { channel: Channel; restore?: ChannelState }[]; refused: readonly Channel[] },
  ): Promise<void> {
    const now = new Date().toISOString();
    const set: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    outcome.enqueued.forEach(({ channel }, index) => {
      names[`#e${index}`] = channel;
      values[`:e${index}`] = now;
      set.push(`channels.#e${index}.enqueued_at = :e${index}`);
    });
    outcome.refused.forEach((channel, index) => {
      names[`#r${index}`] = channel;
      values[`:r${index}`] = { status: 'failed', reason: 'enqueue_failed', updated_at: now };
      set.push(`channels.#r${index} = :r${index}`);
    });
    if (set.length > 0) {
      await this.client.update({
        TableName: this.tableName,
        Key: notificationKey(notificationId),
        UpdateExpression: `SET ${set.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      });
    }
    await Promise.all(
      outcome.enqueued.flatMap(({ channel, restore }) =>
        restore ? [this.restoreRefusedChannel(notificationId, channel, { ...restore, enqueued_at: now })] : [],
      ),
    );
  }

  private async restoreRefusedChannel(
    notificationId: string,
    channel: Channel,
    state: ChannelState & { enqueued_at: string },
  ): Promise<void> {
    await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: notificationKey(notificationId),
        UpdateExpression: 'SET channels.#channel = :state',
        ConditionExpression: 'channels.#channel.#status = :failed AND channels.#channel.reason = :enqueue_failed',
        ExpressionAttributeNames: { '#channel': channel, '#status': 'status' },
        ExpressionAttributeValues: { ':state': state, ':failed': 'failed', ':enqueue_failed': 'enqueue_failed' },
      }),
    );
  }
}

/** The key's claim exists, or a concurrent request is writing it at this very moment. */
function isClaimContested(error: unknown): boolean {
  const cancelled = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  const code = cancelled.CancellationReasons?.[0]?.Code;
  return (
    cancelled.name === 'TransactionCanceledException' &&
    (code === 'ConditionalCheckFailed' || code === 'TransactionConflict')
  );
}
