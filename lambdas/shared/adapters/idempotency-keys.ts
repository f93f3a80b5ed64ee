import { createHash } from 'node:crypto';
import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { conditionHeld, transactionCancellationCodes } from '../aws/conditional-write.js';
import type { AcceptedNotification } from '../domain/notification.js';
import type { NotificationItem, NotificationsStore } from './notifications-store.js';

/**
 * A producer's reservation of an Idempotency-Key. `in_progress` until every job is on its queue, then
 * `completed`; an `in_progress` reservation whose lease ran out belongs to a request that died or failed,
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

/** What a request reserves its key with: who it is, what it asked, what it answers, and until when it holds the key. */
export interface Reservation {
  readonly producer: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly response: AcceptedNotification;
  readonly leaseUntil: number;
}

export type ReservationOutcome =
  | { readonly reserved: true }
  | { readonly reserved: false; readonly existing: IdempotencyItem };

// The key is the producer's text; only its hash is stored, which bounds its size and keeps it out of reach.
const reservationKey = (producer: string, key: string) => ({
  pk: `idempotency#${producer}#${createHash('sha256').update(key).digest('hex')}`,
  sk: 'idempotency',
});

/**
 * The producers' Idempotency-Keys, each reserved by the first request that uses it, in the notifications table.
 * A key is reserved in one transaction with the notification it makes, whose write the notifications store
 * describes: concurrent identical requests make one notification, and a reservation never points at nothing.
 */
export class IdempotencyKeys {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
    private readonly notifications: Pick<NotificationsStore, 'creationPuts'>,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Reserves the producer's Idempotency-Key and records the notification in one atomic write. A reservation that
   * exists and has not expired wins: the caller gets it back to replay, resume or refuse.
   */
  async reserveWhileCreating(notification: NotificationItem, reservation: Reservation): Promise<ReservationOutcome> {
    const nowSeconds = Math.floor(this.clock() / 1000);
    const item: IdempotencyItem = {
      notification_id: notification.notification_id,
      fingerprint: reservation.fingerprint,
      state: 'in_progress',
      lease_until: reservation.leaseUntil,
      response: reservation.response,
      expires_at: nowSeconds + IDEMPOTENCY_WINDOW_SECONDS,
    };
    try {
      await this.client.transactWrite({
        TransactItems: [
          // First: isReservationContested reads the cancellation reason of this Put.
          {
            Put: {
              TableName: this.tableName,
              Item: { ...reservationKey(reservation.producer, reservation.key), ...item },
              // A key past its 24 hours is free again even before DynamoDB's TTL has removed it.
              ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now',
              ExpressionAttributeValues: { ':now': nowSeconds },
            },
          },
          ...this.notifications.creationPuts(notification).map((put) => ({ Put: { ...put } })),
        ],
      });
      return { reserved: true };
    } catch (error) {
      if (!isReservationContested(error)) throw error;
      const existing = await this.findReservation(reservation.producer, reservation.key);
      // Contested by a concurrent request whose own write then failed: nothing to replay, so let the
      // producer retry (a TransactionCanceledException of this kind answers 503 with Retry-After).
      if (!existing) throw error;
      return { reserved: false, existing };
    }
  }

  async findReservation(producer: string, key: string): Promise<IdempotencyItem | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: reservationKey(producer, key),
      ConsistentRead: true,
    });
    return Item as IdempotencyItem | undefined;
  }

  /** Takes over a reservation whose lease ran out; false when another retry took it first. */
  async takeOver(producer: string, key: string, seen: IdempotencyItem, leaseUntil: number): Promise<boolean> {
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: reservationKey(producer, key),
        UpdateExpression: 'SET lease_until = :lease',
        ConditionExpression: '#state = :in_progress AND lease_until = :seen',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':lease': leaseUntil, ':in_progress': 'in_progress', ':seen': seen.lease_until },
      }),
    );
  }

  /** Every job is queued: from now on the key replays the first answer. */
  async complete(producer: string, key: string): Promise<void> {
    await this.client.update({
      TableName: this.tableName,
      Key: reservationKey(producer, key),
      UpdateExpression: 'SET #state = :completed',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':completed': 'completed' },
    });
  }

  /** Ends the lease at once, so that the producer's retry can resume the work without waiting. */
  async release(producer: string, key: string): Promise<void> {
    await this.client.update({
      TableName: this.tableName,
      Key: reservationKey(producer, key),
      UpdateExpression: 'SET lease_until = :expired',
      ExpressionAttributeValues: { ':expired': 0 },
    });
  }
}

/** The key's reservation exists, or a concurrent request is writing it at this very moment. */
function isReservationContested(error: unknown): boolean {
  const [code] = transactionCancellationCodes(error);
  return code === 'ConditionalCheckFailed' || code === 'TransactionConflict';
}
