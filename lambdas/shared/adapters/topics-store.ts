import type { BatchWriteCommandOutput, DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { TOPICS_BY_SUBSCRIBER_INDEX } from '../platform/resources.js';

/** The member of a topic's owner item: it sorts before every subscription ("#" < "u"), and is never one. */
export const TOPIC_OWNER_MEMBER = '#owner';
/** A subscription's member is this and the person's id, so that a Query by prefix reads subscriptions only. */
export const SUBSCRIBER_MEMBER_PREFIX = 'u#';

/** DynamoDB's limit of items in one BatchWriteItem. */
const BATCH_WRITE_LIMIT = 25;
/** Batches written at once: 1,000 people are 40 batches, which one at a time would take a second. */
const BATCHES_IN_FLIGHT = 4;
/**
 * Attempts of a batch whose items DynamoDB left unprocessed (throttling), with backoff between them (about 1.5 s in
 * all): a request must answer, and an idempotent retry by the caller finishes what is left.
 */
const UNPROCESSED_ATTEMPTS = 5;
const UNPROCESSED_BACKOFF_MS = 50;
/** Subscriptions an erasure deletes at once: a person on thousands of topics is erased in seconds, not minutes. */
const DELETES_IN_FLIGHT = 16;

/** Subscriptions DynamoDB did not take after every attempt; the others were written. */
export class SubscriptionsUnprocessed extends Error {
  constructor(
    readonly topic: string,
    readonly unprocessed: number,
    readonly total: number,
  ) {
    super(`${unprocessed} of ${total} subscriptions to ${topic} were not written`);
    this.name = 'SubscriptionsUnprocessed';
  }
}

export interface Subscription {
  readonly userId: string;
  readonly subscribedAt: string;
}

const memberOf = (userId: string) => `${SUBSCRIBER_MEMBER_PREFIX}${userId}`;
const userIdOf = (member: string) => member.slice(SUBSCRIBER_MEMBER_PREFIX.length);

/**
 * Topics (TABLES.topics): a topic's owner item and one item per subscriber under the topic's name, and the sparse
 * by_subscriber index that finds a person's subscriptions when they are erased.
 */
export class TopicsStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** The producer that owns the topic; undefined when no one created it. Consistent: a claim just made is seen. */
  async owner(topic: string): Promise<string | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: { topic, member: TOPIC_OWNER_MEMBER },
      ProjectionExpression: 'producer',
      ConsistentRead: true,
    });
    return Item?.producer as string | undefined;
  }

  /**
   * Creates the topic for `producer` unless someone has; answers its owner, which is `producer` only if this claim
   * made it. One conditional put: of two producers claiming at once, exactly one owns the topic.
   */
  async claim(topic: string, producer: string, now: Date = new Date()): Promise<string> {
    try {
      await this.client.put({
        TableName: this.tableName,
        Item: { topic, member: TOPIC_OWNER_MEMBER, producer, created_at: now.toISOString() },
        ConditionExpression: 'attribute_not_exists(topic)',
      });
      return producer;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
    const owner = await this.owner(topic);
    // Topics are never deleted: a claim that lost found an owner.
    if (owner === undefined) throw new Error(`the topic ${topic} was claimed, yet has no owner`);
    return owner;
  }

  /**
   * Subscribes each person (again: their subscribed_at becomes now), 25 to a BatchWriteItem; answers how many
   * distinct people. Not atomic: on SubscriptionsUnprocessed some are subscribed, and the same call again is safe.
   */
  async subscribe(topic: string, userIds: readonly string[], now: Date = new Date()): Promise<number> {
    // One batch may not name an item twice, and the same person listed twice is one subscription.
    const distinct = [...new Set(userIds)];
    const subscribedAt = now.toISOString();
    const batches: string[][] = [];
    for (let start = 0; start < distinct.length; start += BATCH_WRITE_LIMIT)
      batches.push(distinct.slice(start, start + BATCH_WRITE_LIMIT));
    let unprocessed = 0;
    for (let start = 0; start < batches.length; start += BATCHES_IN_FLIGHT) {
      const left = await Promise.all(
        batches.slice(start, start + BATCHES_IN_FLIGHT).map((batch) => this.writeBatch(topic, batch, subscribedAt)),
      );
      unprocessed += left.reduce((sum, count) => sum + count, 0);
    }
    if (unprocessed > 0) throw new SubscriptionsUnprocessed(topic, unprocessed, distinct.length);
    return distinct.length;
  }

  /** Writes one batch, again for what DynamoDB leaves unprocessed; answers how many it never took. */
  private async writeBatch(topic: string, userIds: readonly string[], subscribedAt: string): Promise<number> {
    let requests: NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string] = userIds.map((userId) => ({
      PutRequest: {
        Item: { topic, member: memberOf(userId), subscriber: userId, subscribed_at: subscribedAt },
      },
    }));
    for (let attempt = 1; ; attempt++) {
      const { UnprocessedItems } = await this.client.batchWrite({ RequestItems: { [this.tableName]: requests } });
      requests = UnprocessedItems?.[this.tableName] ?? [];
      if (requests.length === 0 || attempt >= UNPROCESSED_ATTEMPTS) return requests.length;
      // Exponential backoff with full jitter, as AWS advises for unprocessed items.
      await this.sleep(Math.random() * UNPROCESSED_BACKOFF_MS * 2 ** attempt);
    }
  }

  /** Takes the person off the topic; nothing happens when they were not on it. */
  async unsubscribe(topic: string, userId: string): Promise<void> {
    await this.client.delete({ TableName: this.tableName, Key: { topic, member: memberOf(userId) } });
  }

  /**
   * Up to `limit` subscriptions, in the order of their user ids, from after the person `after`, and the id the next
   * page starts after (undefined when there are no more). Eventually consistent: a subscription made a moment ago
   * may be missing for a moment, which a broadcast and a listing can live with at half the price.
   */
  async subscriptionsPage(
    topic: string,
    { after, limit }: { after?: string; limit: number },
  ): Promise<{ subscriptions: Subscription[]; last?: string }> {
    // One more than asked: whether another page exists is known now, not by a next query that finds nothing.
    const { Items = [], LastEvaluatedKey } = await this.client.query({
      TableName: this.tableName,
      KeyConditionExpression: 'topic = :topic AND begins_with(#member, :prefix)',
      ExpressionAttributeNames: { '#member': 'member' },
      ExpressionAttributeValues: { ':topic': topic, ':prefix': SUBSCRIBER_MEMBER_PREFIX },
      ...(after === undefined ? {} : { ExclusiveStartKey: { topic, member: memberOf(after) } }),
      Limit: limit + 1,
      ProjectionExpression: '#member, subscribed_at',
    });
    const subscriptions = Items.slice(0, limit).map((item) => ({
      userId: userIdOf(item.member as string),
      subscribedAt: item.subscribed_at as string,
    }));
    // A Query also stops at 1 MB: then there may be more after fewer than `limit`.
    const more = Items.length > limit || LastEvaluatedKey !== undefined;
    const last = more ? subscriptions.at(-1)?.userId : undefined;
    return { subscriptions, ...(last === undefined ? {} : { last }) };
  }

  /** The page of subscribers' ids a broadcast reads: as subscriptionsPage, ids only. */
  async subscribersPage(
    topic: string,
    page: { after?: string; limit: number },
  ): Promise<{ userIds: string[]; last?: string }> {
    const { subscriptions, last } = await this.subscriptionsPage(topic, page);
    return {
      userIds: subscriptions.map((subscription) => subscription.userId),
      ...(last === undefined ? {} : { last }),
    };
  }

  /**
   * Takes the person off every topic (an erasure), found through the by_subscriber index; answers how many. The index
   * is eventually consistent, so a subscription made a moment ago may be left to the erasure's next pass.
   */
  async removeEverywhere(userId: string): Promise<number> {
    let removed = 0;
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const { Items = [], LastEvaluatedKey } = await this.client.query({
        TableName: this.tableName,
        IndexName: TOPICS_BY_SUBSCRIBER_INDEX,
        KeyConditionExpression: 'subscriber = :user',
        ExpressionAttributeValues: { ':user': userId },
        ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
      });
      for (let start = 0; start < Items.length; start += DELETES_IN_FLIGHT) {
        const topics = Items.slice(start, start + DELETES_IN_FLIGHT).map((item) => item.topic as string);
        await Promise.all(topics.map((topic) => this.unsubscribe(topic, userId)));
      }
      removed += Items.length;
      exclusiveStartKey = LastEvaluatedKey;
    } while (exclusiveStartKey);
    return removed;
  }
}
