import type { DynamoDBDocument, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../../channels/registry.js';
import { conditionHeld, madeOrUndefined } from '../aws/conditional-write.js';
import type { DigestMember } from '../domain/digest.js';
import type { ChannelState, NotificationRecord } from '../domain/notification.js';
import { logKeyOf } from '../domain/notification-log.js';
import { PROVIDER_OUTCOMES, type ProviderEvent, statusesBefore } from '../domain/provider-outcome.js';
import { dueShardOf, dueWithinLookahead } from '../domain/schedule.js';
import {
  NOTIFICATION_RECORD_SORT_KEY,
  NOTIFICATIONS_BY_DUE_TIME_INDEX,
  NOTIFICATIONS_BY_USER_INDEX,
} from '../platform/resources.js';
import type { NotificationRequest } from '../schemas/notification-request.js';

/**
 * The accepted request and each channel's state, under the notification's own key: the domain's record
 * (domain/notification.ts) and what the platform keeps beside it.
 */
export interface NotificationItem extends NotificationRecord {
  /** A scheduled notification: what it asks for (decided when it is due), and which dispatch message sent it. */
  readonly request?: Pick<NotificationRequest, 'payload' | 'channels'>;
  readonly dispatched_by?: string;
  readonly dispatched_at?: string;
  /** When the dispatch had every job on its queue: a later firing of the same message then does nothing. */
  readonly jobs_queued_at?: string;
  /** The producer's cancel key: the notification is listed under it too (cancelKeyPut). */
  readonly cancel_key?: string;
  /** In the due-time index while it waits there (domain/schedule.ts): its shard and due time. */
  readonly due_shard?: string;
  readonly due_at?: string;
  /** A broadcast whose every job has its outcome (kept here too, so that a cancel's condition can see it). */
  readonly finished_at?: string;
  readonly digest_ref?: string;
  readonly members?: readonly DigestMember[];
  readonly member_count?: number;
  readonly max_items?: number;
  readonly cancelled_members?: ReadonlySet<string>;
  readonly digest_version?: number;
  /** Each channel's state, with what the platform keeps for itself: when ingest queued its job, events counted. */
  readonly channels: Partial<
    Record<Channel, ChannelState & { enqueued_at?: string; event_keys?: ReadonlySet<string> }>
  >;
  readonly expires_at: number;
}

/**
 * What a provider's event did: `moved` the channel's status, was `noted` in its events only (the status already
 * further on), or left it `unchanged` (a duplicate, or no such notification and channel); with the notification, when
 * there is one.
 */
export type RecordedOutcome =
  | { readonly result: 'moved' | 'noted'; readonly notification: NotificationItem }
  | { readonly result: 'unchanged'; readonly notification?: undefined };

export const NOTIFICATION_RETENTION_SECONDS = 30 * 24 * 3600;

/** An entry of the due-time index: a scheduled notification's record, or a channel job set aside beside it. */
export interface DueEntry {
  readonly notificationId: string;
  /** The item's sort key: `notification` for the record, `deferral#<channel>` for a job set aside. */
  readonly sortKey: string;
  readonly dueAt: string;
}

/**
 * The partition keys of the lists of a producer's notifications under a cancel key begin with this: one item per
 * notification, `cancelkey#<producer>#<key>` / its id. The producer's name first, so that one producer's key never finds
 * another's notifications. A list, rather than an index: read consistently, and an index more on the table would be
 * one more that DynamoDB builds per table update.
 */
export const CANCEL_KEY_PREFIX = 'cancelkey#';

const cancelKeyPartition = (producer: string, cancelKey: string) => `${CANCEL_KEY_PREFIX}${producer}#${cancelKey}`;

/** The due-time index attributes of a notification due at `sendAt`, or none when it waits on the dispatch queue. */
export function dueIndexEntry(
  notificationId: string,
  sendAt: Date,
  now: Date,
): Pick<NotificationItem, 'due_shard' | 'due_at'> {
  if (dueWithinLookahead(sendAt, now)) return {};
  return { due_shard: dueShardOf(notificationId), due_at: sendAt.toISOString() };
}

/**
 * The partition keys of a notification's items (its record, its delivery claims) begin with this; a function that may
 * write only those is held to it (IAM's dynamodb:LeadingKeys).
 */
export const NOTIFICATION_KEY_PREFIX = 'notification#';

const notificationKey = (notificationId: string) => ({
  pk: `${NOTIFICATION_KEY_PREFIX}${notificationId}`,
  sk: NOTIFICATION_RECORD_SORT_KEY,
});

/** A channel's status may be written unless it already says `sent` (names #channel and #status, value :sent). */
/** What a provider said after the send: a worker's later write (a duplicate attempt's) must not undo it. */
const SENT_OR_AFTER = ['sent', ...PROVIDER_OUTCOMES];
const NOT_SENT = `(attribute_not_exists(channels.#channel) OR NOT (channels.#channel.#status IN (${SENT_OR_AFTER.map((_, index) => `:sent${index}`).join(', ')})))`;
const SENT_OR_AFTER_VALUES = Object.fromEntries(SENT_OR_AFTER.map((status, index) => [`:sent${index}`, status]));

/**
 * The conditional write that records a new notification. `create` makes it alone; `IdempotencyKeys` makes it in one
 * transaction with the reservation of the producer's Idempotency-Key.
 */
export interface NotificationPut {
  readonly TableName: string;
  readonly Item: Record<string, unknown>;
  readonly ConditionExpression: string;
}

export class NotificationsStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
  ) {}

  /**
   * Records a notification sent without an Idempotency-Key (its id is new, so the write cannot collide), with its
   * place under its cancel key in the same transaction when it has one.
   */
  async create(notification: NotificationItem): Promise<void> {
    const [record, ...others] = this.creationPuts(notification);
    if (!record) return;
    if (others.length === 0) await this.client.put({ ...record });
    else await this.client.transactWrite({ TransactItems: [record, ...others].map((put) => ({ Put: put })) });
  }

  /**
   * Records a notification whose id is derived (a broadcast's recipient), unless it is recorded already: true when this
   * call recorded it.
   */
  async createOnce(notification: NotificationItem): Promise<boolean> {
    return conditionHeld(this.client.put({ ...this.creationPut(notification) }));
  }

  /** The writes that record a new notification: its record, and its place under its cancel key, if it has one. */
  creationPuts(notification: NotificationItem): NotificationPut[] {
    if (notification.cancel_key === undefined) return [this.creationPut(notification)];
    return [
      this.creationPut(notification),
      {
        TableName: this.tableName,
        Item: {
          pk: cancelKeyPartition(notification.producer, notification.cancel_key),
          sk: notification.notification_id,
          expires_at: notification.expires_at,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    ];
  }

  /** The write that records a new notification, for `create` or for a transaction that includes it. */
  creationPut(notification: NotificationItem): NotificationPut {
    return {
      TableName: this.tableName,
      Item: {
        ...notificationKey(notification.notification_id),
        ...notification,
        ...logKeyOf(notification.producer, notification.notification_id, notification.created_at),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
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
      yield (page.Items ?? []).map((item) => String(item.pk).slice(NOTIFICATION_KEY_PREFIX.length));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  /**
   * Takes the person out of a notification record: it keeps what the producer needs to account for what was sent
   * (type, producer, each channel's status) and no longer says to whom. The record leaves the person's index too, and
   * the producer's log.
   */
  async eraseRecipient(notificationId: string): Promise<void> {
    await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: notificationKey(notificationId),
        // What a scheduled notification asks for goes too (a digest's, its members' payloads): its dispatch then finds no
        // one to send to.
        UpdateExpression: 'REMOVE user_id, #request, members, log_partition, log_time SET erased_at = :now',
        ConditionExpression: 'attribute_exists(pk)',
        // REQUEST is one of DynamoDB's reserved words.
        ExpressionAttributeNames: { '#request': 'request' },
        ExpressionAttributeValues: { ':now': new Date().toISOString() },
      }),
    );
  }

  /**
   * The scheduled notifications in one shard of the due-time index that are due by `until`, soonest first, a page at a
   * time (the index is eventually consistent: one that just left it may still be listed, and is then queued again).
   */
  async *dueBy(shard: string, until: string, pageSize: number): AsyncGenerator<DueEntry[]> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.query({
        TableName: this.tableName,
        IndexName: NOTIFICATIONS_BY_DUE_TIME_INDEX,
        KeyConditionExpression: 'due_shard = :shard AND due_at <= :until',
        ExpressionAttributeValues: { ':shard': shard, ':until': until },
        Limit: pageSize,
        ExclusiveStartKey,
      });
      yield (page.Items ?? []).map((item) => ({
        notificationId: String(item.pk).slice(NOTIFICATION_KEY_PREFIX.length),
        sortKey: String(item.sk),
        dueAt: String(item.due_at),
      }));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  /** Puts a scheduled notification into the due-time index, while it is still scheduled. */
  async enterDueIndex(notificationId: string, sendAt: string): Promise<boolean> {
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: notificationKey(notificationId),
        UpdateExpression: 'SET due_shard = :shard, due_at = :due',
        ConditionExpression: '#status = :scheduled',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':shard': dueShardOf(notificationId), ':due': sendAt, ':scheduled': 'scheduled' },
      }),
    );
  }

  /**
   * Takes an entry out of the due-time index (a notification's record, or a channel job set aside beside it): it is on
   * the dispatch queue now, or was cancelled.
   */
  async leaveDueIndex(entry: Pick<DueEntry, 'notificationId' | 'sortKey'>): Promise<void> {
    await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: { pk: `${NOTIFICATION_KEY_PREFIX}${entry.notificationId}`, sk: entry.sortKey },
        UpdateExpression: 'REMOVE due_shard, due_at',
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  }

  /**
   * The one write that dispatches a scheduled notification: its decided channels recorded, and the message that did it,
   * only while it is still `scheduled`. A cancel makes the other write on the same condition, so exactly one of the
   * two happens. False when it is no longer scheduled (cancelled, or dispatched by another firing).
   */
  async markDispatched(
    notificationId: string,
    dispatch: {
      /** `fanning_out` for a broadcast, whose recipients the fan-out dispatches. */
      readonly status: 'queued' | 'suppressed' | 'fanning_out';
      readonly channels: NotificationItem['channels'];
      readonly dispatchedBy: string;
      readonly at: string;
      /** A digest: the members as read, so that one joining or cancelled meanwhile makes the write fail and retry. */
      readonly digestVersion?: number;
    },
  ): Promise<boolean> {
    const digest = dispatch.digestVersion !== undefined;
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: notificationKey(notificationId),
        UpdateExpression:
          'SET #status = :status, channels = :channels, dispatched_by = :by, dispatched_at = :at REMOVE due_shard, due_at',
        ConditionExpression: digest ? '#status = :scheduled AND digest_version = :version' : '#status = :scheduled',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': dispatch.status,
          ':channels': dispatch.channels,
          ':by': dispatch.dispatchedBy,
          ':at': dispatch.at,
          ':scheduled': 'scheduled',
          ...(digest ? { ':version': dispatch.digestVersion } : {}),
        },
      }),
    );
  }

  /** Records that a dispatched notification has every job on its queue. */
  async markJobsQueued(notificationId: string): Promise<void> {
    await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: notificationKey(notificationId),
        UpdateExpression: 'SET jobs_queued_at = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': new Date().toISOString() },
      }),
    );
  }

  /**
   * A member's place in its digest, once it has joined: only while it is still `digesting` (from the request, or from
   * its scheduled time: the one conditional write that decides it against a cancel, as markDispatched does).
   */
  async markDigested(notificationId: string, digestId: string): Promise<boolean> {
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: notificationKey(notificationId),
        UpdateExpression: 'SET #status = :digested, digest_id = :digest REMOVE due_shard, due_at',
        ConditionExpression: '#status = :digesting',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':digested': 'digested', ':digest': digestId, ':digesting': 'digesting' },
      }),
    );
  }

  /** A scheduled member of a digest type, at its time: it starts to join its digest, unless it was cancelled. */
  async startDigesting(notificationId: string): Promise<boolean> {
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: notificationKey(notificationId),
        UpdateExpression: 'SET #status = :digesting REMOVE due_shard, due_at',
        ConditionExpression: '#status = :scheduled',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':digesting': 'digesting', ':scheduled': 'scheduled' },
      }),
    );
  }

  /** A member left out of its digest before it went: cancelled. */
  async cancelDigested(notificationId: string, at: string): Promise<boolean> {
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: notificationKey(notificationId),
        UpdateExpression: 'SET #status = :cancelled, cancelled_at = :at REMOVE #request',
        ConditionExpression: '#status = :digested',
        ExpressionAttributeNames: { '#status': 'status', '#request': 'request' },
        ExpressionAttributeValues: { ':cancelled': 'cancelled', ':digested': 'digested', ':at': at },
      }),
    );
  }

  /**
   * Cancels a notification that is still `scheduled`, in one conditional write (see markDispatched): it leaves the
   * due-time index and forgets what it asked for. The record after it, or undefined when it was no longer scheduled.
   */
  async cancelScheduled(notificationId: string, at: string, reason?: string): Promise<NotificationItem | undefined> {
    return this.updatedItem({
      TableName: this.tableName,
      Key: notificationKey(notificationId),
      UpdateExpression: `SET #status = :cancelled, cancelled_at = :at${reason ? ', cancel_reason = :reason' : ''} REMOVE due_shard, due_at, #request`,
      ConditionExpression: '#status = :scheduled',
      ExpressionAttributeNames: { '#status': 'status', '#request': 'request' },
      ExpressionAttributeValues: {
        ':cancelled': 'cancelled',
        ':scheduled': 'scheduled',
        ':at': at,
        ...(reason ? { ':reason': reason } : {}),
      },
    });
  }

  /**
   * Records that a dispatched notification was cancelled on at least one channel (its channels say which), and, when
   * nothing of it went out, that it is `cancelled` as a whole.
   */
  async recordCancelled(notificationId: string, at: string, whole: boolean): Promise<void> {
    await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: notificationKey(notificationId),
        UpdateExpression: whole ? 'SET cancelled_at = :at, #status = :cancelled' : 'SET cancelled_at = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ...(whole ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
        ExpressionAttributeValues: { ':at': at, ...(whole ? { ':cancelled': 'cancelled' } : {}) },
      }),
    );
  }

  /** The ids of a producer's notifications under a cancel key, page by page. */
  async *notificationIdsUnderCancelKey(producer: string, cancelKey: string): AsyncGenerator<string[]> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.query({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :list',
        ExpressionAttributeValues: { ':list': cancelKeyPartition(producer, cancelKey) },
        ConsistentRead: true,
        ExclusiveStartKey,
      });
      yield (page.Items ?? []).map((item) => String(item.sk));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
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
        ExpressionAttributeValues: { ':state': state, ...SENT_OR_AFTER_VALUES },
      }),
    );
  }

  /**
   * A provider's word on a channel after the send (delivered, bounced, complained, ...): the event joins the
   * channel's list, once however often it arrives, and the status moves to it only forward (a late Delivery does not
   * undo a Bounce). Answers `moved`, `noted` (kept in the list, the status already further on), or `unchanged` (a
   * duplicate, or no such notification and channel).
   */
  async recordProviderOutcome(
    notificationId: string,
    channel: Channel,
    outcome: ProviderEvent & {
      readonly providerMessageId: string;
      /** What makes the event the same when it comes again; by default its status and time. */
      readonly eventKey?: string;
    },
  ): Promise<RecordedOutcome> {
    const { providerMessageId, eventKey = `${outcome.status}@${outcome.at}`, ...event } = outcome;
    const names = { '#channel': channel, '#status': 'status' };
    const common = {
      ':event': [event],
      ':empty': [],
      ':key': eventKey,
      ':keys': new Set([eventKey]),
    };
    const notDuplicate =
      '(attribute_not_exists(channels.#channel.event_keys) OR NOT contains(channels.#channel.event_keys, :key))';
    const append = 'channels.#channel.events = list_append(if_not_exists(channels.#channel.events, :empty), :event)';
    const before = statusesBefore(event.status);
    // The notification's producer and type come back with the write, for the metrics of who causes bounces.
    const moved = await this.updatedItem({
      TableName: this.tableName,
      Key: notificationKey(notificationId),
      UpdateExpression:
        `SET channels.#channel.#status = :status, channels.#channel.provider_message_id = :provider, ` +
        `channels.#channel.updated_at = :at, ${append} ADD channels.#channel.event_keys :keys`,
      ConditionExpression:
        `attribute_exists(channels.#channel) AND ${notDuplicate} AND ` +
        `channels.#channel.#status IN (${before.map((_, index) => `:before${index}`).join(', ')})`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ...common,
        ':status': event.status,
        ':provider': providerMessageId,
        ':at': event.at,
        ...Object.fromEntries(before.map((status, index) => [`:before${index}`, status])),
      },
    });
    if (moved) return { result: 'moved', notification: moved };
    const noted = await this.updatedItem({
      TableName: this.tableName,
      Key: notificationKey(notificationId),
      UpdateExpression: `SET ${append} ADD channels.#channel.event_keys :keys`,
      ConditionExpression: `attribute_exists(channels.#channel) AND ${notDuplicate}`,
      ExpressionAttributeNames: { '#channel': channel },
      ExpressionAttributeValues: common,
    });
    return noted ? { result: 'noted', notification: noted } : { result: 'unchanged' };
  }

  /** A conditional update's item after it, or undefined when its condition did not hold. */
  private async updatedItem(update: UpdateCommandInput): Promise<NotificationItem | undefined> {
    const made = await madeOrUndefined(this.client.update({ ...update, ReturnValues: 'ALL_NEW' }));
    return made?.Attributes as NotificationItem | undefined;
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
