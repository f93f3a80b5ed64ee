import { SubscriptionsUnprocessed, TopicsStore } from '../shared/adapters/topics-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import type { Producer } from '../shared/domain/producer.js';
import { TopicOwnedByAnother, TopicOwnership } from '../shared/domain/topic-ownership.js';
import { ApiError } from '../shared/http/api-error.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { notTopicOwner } from '../shared/http/producer.js';
import { json, noContent } from '../shared/http/responses.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { pageCursor } from '../shared/schemas/paging.js';

const topics = new TopicsStore(requiredEnv(ENV.topicsTable), documentClient);
const ownership = new TopicOwnership(topics);

/** The ownership check, its refusal answered as a template's is: 403 not_owner, naming the field. */
async function checked<T>(topic: string, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (!(error instanceof TopicOwnedByAnother)) throw error;
    throw notTopicOwner(topic);
  }
}

/** Subscribes them after the claim; what DynamoDB would not take is a 503 the caller retries, as the call is safe. */
async function subscribe(topic: string, producer: Producer, userIds: readonly string[]): Promise<number> {
  await checked(topic, () => ownership.claimFor(topic, producer));
  try {
    return await topics.subscribe(topic, userIds);
  } catch (error) {
    if (!(error instanceof SubscriptionsUnprocessed)) throw error;
    throw new ApiError(
      503,
      'subscriptions_incomplete',
      `${error.unprocessed} of the ${error.total} subscriptions could not be written just now (the table is busy); ` +
        'the others were: make the same call again',
      undefined,
      1,
    );
  }
}

/** A producer's topics: who is subscribed to each (the owner item and subscriptions, adapters/topics-store.ts). */
export const handler = operationsHandler({
  subscribeToTopic: async ({ producer, path: { topic, user_id } }) => {
    await subscribe(topic, producer, [user_id]);
    return noContent();
  },
  subscribeManyToTopic: async ({ producer, path: { topic }, body: { user_ids } }) => {
    const subscribed = await subscribe(topic, producer, user_ids);
    return json(200, { topic, subscribed });
  },
  unsubscribeFromTopic: async ({ producer, path: { topic, user_id } }) => {
    // A topic no one created has no one to take off.
    if (await checked(topic, () => ownership.exists(topic, producer))) await topics.unsubscribe(topic, user_id);
    return noContent();
  },
  listTopicSubscribers: async ({ producer, path: { topic }, query: { cursor, limit } }) => {
    if (!(await checked(topic, () => ownership.exists(topic, producer))))
      throw new ApiError(
        404,
        'topic_not_found',
        `the topic ${topic} was not found: no one has subscribed anyone to it`,
      );
    const page = await topics.subscriptionsPage(topic, { limit, after: cursor?.user_id });
    return json(200, {
      topic,
      subscribers: page.subscriptions.map(({ userId, subscribedAt }) => ({
        user_id: userId,
        subscribed_at: subscribedAt,
      })),
      ...(page.last === undefined ? {} : { next_cursor: pageCursor({ user_id: page.last }) }),
    });
  },
});
