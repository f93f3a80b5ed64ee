import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from '../aws/conditional-write.js';
import { deletePartition } from '../aws/partition.js';
import type { DigestMember } from '../domain/digest.js';
import { NOTIFICATION_RECORD_SORT_KEY } from '../platform/resources.js';
import { NOTIFICATION_KEY_PREFIX, type NotificationItem, type NotificationsStore } from './notifications-store.js';

/**
 * The partition keys of digest windows in the notifications table begin with this; a function that may write only
 * those is held to it (IAM's dynamodb:LeadingKeys).
 */
export const DIGEST_KEY_PREFIX = 'digest#';

// One partition per person, so that erasing them finds every window of theirs (forgetPerson).
const windowKey = (userId: string, ref: string) => ({ pk: `${DIGEST_KEY_PREFIX}${userId}`, sk: `open#${ref}` });
const digestKey = (digestId: string) => ({
  pk: `${NOTIFICATION_KEY_PREFIX}${digestId}`,
  sk: NOTIFICATION_RECORD_SORT_KEY,
});

/** A digest's record: a scheduled notification of its own, whose members are kept on it until it goes. */
export interface DigestRecord extends NotificationItem {
  readonly kind: 'digest';
  readonly digest_ref: string;
  readonly members: readonly DigestMember[];
  readonly member_ids: ReadonlySet<string>;
  readonly member_count: number;
  readonly cancelled_members?: ReadonlySet<string>;
  readonly payload_bytes: number;
  readonly max_items: number;
  /** Moved by every join and every member cancelled: the flush records only what it read (markDispatched). */
  readonly digest_version: number;
}

/**
 * Where a person's digests collect: one window item per (type, person, key value) naming the digest open now, and the
 * digest's record, which members join while it is still `scheduled`. Every step is one conditional write, so a member
 * arriving while its window is flushed finds it closed and opens the next: never lost, never in two.
 */
export class DigestWindows {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
    private readonly notifications: Pick<NotificationsStore, 'creationPut'>,
  ) {}

  /** The digest open for the person's `ref`, if any (it may have gone out meanwhile: a join then fails). */
  async openDigestOf(userId: string, ref: string): Promise<string | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: windowKey(userId, ref),
      ConsistentRead: true,
    });
    return Item?.digest_id as string | undefined;
  }

  /**
   * Adds a member to a digest still waiting, with room for it; answers how many it holds then, or undefined when it is
   * closed (gone out, or full). A member already in it (a retried request) is not added again.
   */
  async join(
    digestId: string,
    member: DigestMember,
    room: { readonly maxItems: number; readonly bytes: number; readonly limitBytes: number },
  ): Promise<number | undefined> {
    try {
      const { Attributes } = await this.client.update({
        TableName: this.tableName,
        Key: digestKey(digestId),
        UpdateExpression:
          'SET members = list_append(members, :member), member_count = member_count + :one, ' +
          'payload_bytes = payload_bytes + :bytes, digest_version = digest_version + :one ADD member_ids :ids',
        ConditionExpression:
          '#status = :scheduled AND member_count < :max AND payload_bytes <= :room AND NOT contains(member_ids, :id)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':member': [member],
          ':one': 1,
          ':bytes': room.bytes,
          ':ids': new Set([member.notification_id]),
          ':id': member.notification_id,
          ':scheduled': 'scheduled',
          ':max': room.maxItems,
          ':room': room.limitBytes - room.bytes,
        },
        ReturnValues: 'UPDATED_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      return Number(Attributes?.member_count);
    } catch (error) {
      const failed = error as Error & { Item?: { member_ids?: { SS?: string[] }; member_count?: { N?: string } } };
      if (failed.name !== 'ConditionalCheckFailedException') throw error;
      // A retry of a member that joined before: it is in, once.
      if (failed.Item?.member_ids?.SS?.includes(member.notification_id)) return Number(failed.Item.member_count?.N);
      return undefined;
    }
  }

  /**
   * Opens a digest with its first member and names it the open one, in one transaction, only while the window item
   * still names `previous` (or none): two members opening at once make one digest, and the other joins it.
   */
  async open(digest: DigestRecord, previous: string | undefined): Promise<boolean> {
    try {
      await this.client.transactWrite({
        TransactItems: [
          { Put: { ...this.notifications.creationPut(digest) } },
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...windowKey(digest.user_id ?? '', digest.digest_ref),
                digest_id: digest.notification_id,
                expires_at: digest.expires_at,
              },
              ConditionExpression: previous === undefined ? 'attribute_not_exists(pk)' : 'digest_id = :previous',
              ...(previous === undefined ? {} : { ExpressionAttributeValues: { ':previous': previous } }),
            },
          },
        ],
      });
      return true;
    } catch (error) {
      if ((error as Error).name === 'TransactionCanceledException') return false;
      throw error;
    }
  }

  /** Erasing a person: their windows go (their user id is the partition); their digests' records are erased as theirs. */
  async forgetPerson(userId: string): Promise<number> {
    return deletePartition(this.client, this.tableName, `${DIGEST_KEY_PREFIX}${userId}`);
  }

  /** Leaves a member out of a digest that has not gone yet; false when it has. */
  excludeMember(digestId: string, memberId: string): Promise<boolean> {
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: digestKey(digestId),
        UpdateExpression: 'ADD cancelled_members :ids SET digest_version = digest_version + :one',
        ConditionExpression: '#status = :scheduled',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':ids': new Set([memberId]), ':one': 1, ':scheduled': 'scheduled' },
      }),
    );
  }
}
