import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS_BY_SUBSCRIBER_INDEX } from '../../../lambdas/shared/platform/resources.js';
import { invoke, onlyScopeKey, TEST_KEYS } from '../../support/api-gateway.js';
import { dynamoDb } from '../../support/emulator-clients.js';
import { eventually } from '../../support/eventually.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let topics: Parameters<typeof invoke>[0];
let erasure: Parameters<typeof invoke>[0];

beforeAll(async () => {
  platform = await provisionTestPlatform('topics');
  ({ handler: topics } = await import('../../../lambdas/topics/handler.js'));
  ({ handler: erasure } = await import('../../../lambdas/user-erasure/handler.js'));
});
afterAll(() => platform.remove());

const newTopic = () => `launches.${randomUUID()}`;
const newPerson = () => `person-${randomUUID()}`;

const subscribe = (topic: string, userId: string, apiKeyId: string = TEST_KEYS.marketing) =>
  invoke(topics, { operation: 'subscribeToTopic', pathParameters: { topic, user_id: userId }, apiKeyId });
const subscribeMany = (topic: string, body: unknown, apiKeyId: string = TEST_KEYS.marketing) =>
  invoke(topics, { operation: 'subscribeManyToTopic', pathParameters: { topic }, body, apiKeyId });
const unsubscribe = (topic: string, userId: string, apiKeyId: string = TEST_KEYS.marketing) =>
  invoke(topics, { operation: 'unsubscribeFromTopic', pathParameters: { topic, user_id: userId }, apiKeyId });
const list = (topic: string, query?: Record<string, string>, apiKeyId: string = TEST_KEYS.marketing) =>
  invoke(topics, {
    operation: 'listTopicSubscribers',
    pathParameters: { topic },
    ...(query ? { query } : {}),
    apiKeyId,
  });

/** Every subscriber's id, page after page of `limit`, and the pages' sizes. */
async function everySubscriber(topic: string, limit: number) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  // Bounded: a cursor that led back would otherwise page for ever.
  do {
    const page = await list(topic, { limit: String(limit), ...(cursor ? { cursor } : {}) });
    expect(page.statusCode, JSON.stringify(page.json)).toBe(200);
    pages.push(page.json.subscribers.map((subscriber: { user_id: string }) => subscriber.user_id));
    cursor = page.json.next_cursor;
  } while (cursor !== undefined && pages.length <= 2_000 / limit);
  return { ids: pages.flat(), sizes: pages.map((page) => page.length) };
}

describe('PUT and DELETE /v1/topics/{topic}/subscribers/{user_id}', () => {
  it('subscribes a person, again without a second subscription, and unsubscribes them, each idempotent', async () => {
    // Prepare
    const topic = newTopic();
    const person = newPerson();

    // Act: subscribe twice
    const first = await subscribe(topic, person);
    const again = await subscribe(topic, person);
    const listed = await list(topic);

    // Assess
    expect(first.statusCode).toBe(204);
    expect(again.statusCode).toBe(204);
    expect(listed.statusCode).toBe(200);
    expect(listed.json).toEqual({ topic, subscribers: [{ user_id: person, subscribed_at: expect.any(String) }] });
    expect(Date.now() - Date.parse(listed.json.subscribers[0].subscribed_at)).toBeLessThan(60_000);

    // Act: unsubscribe twice, and from a topic no one created
    expect((await unsubscribe(topic, person)).statusCode).toBe(204);
    expect((await unsubscribe(topic, person)).statusCode).toBe(204);
    expect((await unsubscribe(newTopic(), person)).statusCode).toBe(204);

    // Assess: the topic stays, with no one on it
    expect((await list(topic)).json).toEqual({ topic, subscribers: [] });
  });

  it('refuses a topic name that breaks the rule with 400, naming topic and the rule', async () => {
    for (const topic of ['Launches', '-launches', 'a b', 'x'.repeat(101)]) {
      const refused = await subscribe(topic, newPerson());

      expect(refused.statusCode, topic).toBe(400);
      expect(refused.json.error.details).toEqual([
        {
          field: 'topic',
          message: 'must be 1 to 100 characters of a-z 0-9 _ . : -, starting with a letter or a digit',
        },
      ]);
    }
  });
});

describe('GET /v1/topics/{topic}/subscribers', () => {
  it('pages through every subscriber in id order, with next_cursor until the last page', async () => {
    const topic = newTopic();
    const people = Array.from({ length: 7 }, (_, index) => `reader-${index}`);
    expect((await subscribeMany(topic, { user_ids: people })).statusCode).toBe(200);

    const { ids, sizes } = await everySubscriber(topic, 3);

    expect(sizes).toEqual([3, 3, 1]);
    expect(ids).toEqual(people);
  });

  it('answers 404 topic_not_found for a topic no one created', async () => {
    const missing = await list(newTopic());

    expect(missing.statusCode).toBe(404);
    expect(missing.json.error.code).toBe('topic_not_found');
  });

  it.each([
    ['limit', { limit: '0' }],
    ['limit', { limit: '1001' }],
    ['cursor', { cursor: 'not a cursor' }],
    ['cursor', { cursor: Buffer.from('{"type":"order_shipped"}').toString('base64url') }],
  ])('refuses a bad %s with 400 naming it: %j', async (field, query) => {
    const topic = newTopic();
    await subscribe(topic, newPerson());

    const refused = await list(topic, query);

    expect(refused.statusCode).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'invalid_request', details: [{ field }] });
  });
});

describe('POST /v1/topics/{topic}/subscribers', () => {
  it('subscribes 1,000 people in one call, each named once, and answers how many', async () => {
    const topic = newTopic();
    const people = Array.from({ length: 1_000 }, (_, index) => `bulk-${String(index).padStart(4, '0')}`);

    const answer = await subscribeMany(topic, { user_ids: people });
    // Again, with some named twice: the same people, still 1,000.
    const again = await subscribeMany(topic, { user_ids: [...people.slice(0, 10), ...people.slice(0, 10)] });

    expect(answer.statusCode, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json).toEqual({ topic, subscribed: 1_000 });
    expect(again.json).toEqual({ topic, subscribed: 10 });
    const { ids, sizes } = await everySubscriber(topic, 400);
    expect(sizes).toEqual([400, 400, 200]);
    expect(ids).toEqual(people);
  });

  it('refuses a list with a bad id, naming its place (user_ids.3), and creates nothing', async () => {
    const topic = newTopic();

    const refused = await subscribeMany(topic, { user_ids: ['ada', 'grace', 'linus', 'not valid!', 'ok'] });

    expect(refused.statusCode).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'invalid_request', details: [{ field: 'user_ids.3' }] });
    expect((await list(topic)).statusCode).toBe(404);
  });

  it('refuses an empty list and one over 1,000 people, naming user_ids', async () => {
    const topic = newTopic();
    const tooMany = Array.from({ length: 1_001 }, (_, index) => `p${index}`);

    for (const user_ids of [[], tooMany]) {
      const refused = await subscribeMany(topic, { user_ids });

      expect(refused.statusCode).toBe(400);
      expect(refused.json.error.details).toEqual([{ field: 'user_ids', message: 'must name 1 to 1000 people' }]);
    }
  });
});

describe('who may use a topic', () => {
  it('refuses another producer every operation on a topic it does not own with 403 not_owner, and changes nothing', async () => {
    // Prepare: marketing-tool creates the topic with its first subscription
    const topic = newTopic();
    const person = newPerson();
    expect((await subscribe(topic, person)).statusCode).toBe(204);

    // Act: the newsletter, which has the same scopes, tries everything
    const refusals = [
      await subscribe(topic, newPerson(), TEST_KEYS.newsletter),
      await subscribeMany(topic, { user_ids: [newPerson()] }, TEST_KEYS.newsletter),
      await unsubscribe(topic, person, TEST_KEYS.newsletter),
      await list(topic, undefined, TEST_KEYS.newsletter),
    ];

    // Assess
    for (const refused of refusals) {
      expect(refused.statusCode).toBe(403);
      expect(refused.json.error).toMatchObject({ code: 'not_owner', details: [{ field: 'topic' }] });
    }
    expect((await list(topic)).json.subscribers.map((subscriber: { user_id: string }) => subscriber.user_id)).toEqual([
      person,
    ]);
  });

  it("lets an admin list, subscribe and unsubscribe on another producer's topic, which stays its owner's", async () => {
    const topic = newTopic();
    const person = newPerson();
    const added = newPerson();
    await subscribe(topic, person);

    const listed = await list(topic, undefined, TEST_KEYS.admin);
    const subscribed = await subscribe(topic, added, TEST_KEYS.admin);
    const unsubscribed = await unsubscribe(topic, person, TEST_KEYS.admin);

    expect(listed.statusCode).toBe(200);
    expect(subscribed.statusCode).toBe(204);
    expect(unsubscribed.statusCode).toBe(204);
    expect((await list(topic)).json.subscribers).toEqual([{ user_id: added, subscribed_at: expect.any(String) }]);
    expect((await list(topic, undefined, TEST_KEYS.newsletter)).statusCode).toBe(403);
  });

  it('needs topics:write to subscribe and unsubscribe, and users:read to list, with 403 missing_scope naming it', async () => {
    const topic = newTopic();
    await subscribe(topic, newPerson(), onlyScopeKey('topics:write'));

    const writes = [
      await subscribe(topic, newPerson(), TEST_KEYS.orderService),
      await subscribeMany(topic, { user_ids: [newPerson()] }, onlyScopeKey('users:read')),
      await unsubscribe(topic, newPerson(), TEST_KEYS.reporting),
    ];
    // Its owner lists nothing without users:read: the list is of people.
    const read = await list(topic, undefined, onlyScopeKey('topics:write'));

    for (const refused of writes) {
      expect(refused.statusCode).toBe(403);
      expect(refused.json.error.code).toBe('missing_scope');
      expect(refused.json.error.message).toContain('topics:write');
    }
    expect(read.statusCode).toBe(403);
    expect(read.json.error).toMatchObject({ code: 'missing_scope', message: expect.stringContaining('users:read') });
  });
});

describe('DELETE /v1/users/{user_id}', () => {
  it('takes the person off every topic, and no one else', async () => {
    // Prepare: the person and a neighbour on three topics of two producers
    const person = newPerson();
    const neighbour = newPerson();
    const owned = [
      [newTopic(), TEST_KEYS.marketing],
      [newTopic(), TEST_KEYS.marketing],
      [newTopic(), TEST_KEYS.newsletter],
    ] as const;
    for (const [topic, apiKeyId] of owned)
      expect((await subscribeMany(topic, { user_ids: [person, neighbour] }, apiKeyId)).statusCode).toBe(200);
    // The index of a person's subscriptions is eventually consistent: the erasure runs once all three are in it.
    await eventually('the three subscriptions in the index', async () => {
      const { Count } = await dynamoDb.send(
        new QueryCommand({
          TableName: platform.resources.tables.topics,
          IndexName: TOPICS_BY_SUBSCRIBER_INDEX,
          KeyConditionExpression: 'subscriber = :user',
          ExpressionAttributeValues: { ':user': { S: person } },
        }),
      );
      return Count === 3 ? true : undefined;
    });

    // Act
    const erased = await invoke(erasure, { operation: 'erasePerson', pathParameters: { user_id: person } });

    // Assess
    expect(erased.statusCode).toBe(204);
    for (const [topic, apiKeyId] of owned) {
      const listed = await list(topic, undefined, apiKeyId);
      expect(
        listed.json.subscribers.map((subscriber: { user_id: string }) => subscriber.user_id),
        topic,
      ).toEqual([neighbour]);
    }
  });
});
