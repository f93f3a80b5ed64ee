import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubscriptionsUnprocessed, TopicsStore } from '../../../lambdas/shared/adapters/topics-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { dynamoDb } from '../../support/emulator-clients.js';
import { eventually } from '../../support/eventually.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let table: string;
let store: TopicsStore;

beforeAll(async () => {
  platform = await provisionTestPlatform('topics-store');
  table = platform.resources.tables.topics;
  store = new TopicsStore(table, documentClient);
});
afterAll(() => platform.remove());

const newTopic = () => `topic-${randomUUID()}`;

describe('owner and claim', () => {
  it('has no owner for a topic no one created, and the claimant once claimed, with when', async () => {
    const topic = newTopic();

    expect(await store.owner(topic)).toBeUndefined();
    expect(await store.claim(topic, 'news', new Date('2030-01-01T00:00:00Z'))).toBe('news');

    expect(await store.owner(topic)).toBe('news');
    const { Item } = await dynamoDb.send(
      new GetItemCommand({ TableName: table, Key: { topic: { S: topic }, member: { S: '#owner' } } }),
    );
    expect(Item).toEqual({
      topic: { S: topic },
      member: { S: '#owner' },
      producer: { S: 'news' },
      created_at: { S: '2030-01-01T00:00:00.000Z' },
    });
  });

  it('leaves exactly one owner when producers claim the same topic at once', async () => {
    const topic = newTopic();
    const claimants = Array.from({ length: 8 }, (_, index) => `producer-${index}`);

    const answers = await Promise.all(claimants.map((producer) => store.claim(topic, producer)));

    const owner = await store.owner(topic);
    expect(claimants).toContain(owner);
    expect(new Set(answers)).toEqual(new Set([owner]));
  });
});

describe('subscriptions', () => {
  it('subscribes people once each, pages through them in id order, and unsubscribes one', async () => {
    // Prepare: 60 people (three batches), one named twice
    const topic = newTopic();
    await store.claim(topic, 'news');
    const people = Array.from({ length: 60 }, (_, index) => `person-${String(index).padStart(2, '0')}`);

    // Act
    const subscribed = await store.subscribe(topic, [...people, 'person-07'], new Date('2030-01-01T00:00:00Z'));
    await store.unsubscribe(topic, 'person-59');
    await store.unsubscribe(topic, 'never-subscribed');
    const pages: string[][] = [];
    let after: string | undefined;
    do {
      const page = await store.subscribersPage(topic, { limit: 25, ...(after === undefined ? {} : { after }) });
      pages.push(page.userIds);
      after = page.last;
    } while (after !== undefined && pages.length < 10);

    // Assess: the owner item is never a subscriber, and the last page says there is no more
    expect(subscribed).toBe(60);
    expect(pages.map((page) => page.length)).toEqual([25, 25, 9]);
    expect(pages.flat()).toEqual(people.slice(0, 59));
    const first = await store.subscriptionsPage(topic, { limit: 1 });
    expect(first).toEqual({
      subscriptions: [{ userId: 'person-00', subscribedAt: '2030-01-01T00:00:00.000Z' }],
      last: 'person-00',
    });
  });

  it('answers no page after the last, and none for a topic without subscribers', async () => {
    const topic = newTopic();
    await store.claim(topic, 'news');

    expect(await store.subscribersPage(topic, { limit: 10 })).toEqual({ userIds: [] });
    await store.subscribe(topic, ['a', 'b']);
    expect(await store.subscribersPage(topic, { limit: 2 })).toEqual({ userIds: ['a', 'b'] });
    expect(await store.subscribersPage(topic, { limit: 1, after: 'a' })).toEqual({ userIds: ['b'] });
  });

  it('takes a person off every topic, found through the by_subscriber index', async () => {
    const topics = [newTopic(), newTopic(), newTopic()];
    const person = `person-${randomUUID()}`;
    for (const topic of topics) {
      await store.claim(topic, 'news');
      await store.subscribe(topic, [person, 'someone-else']);
    }

    // The index is eventually consistent: a pass that finds fewer leaves the rest to the next, as an erasure does.
    let removed = 0;
    await eventually('every subscription removed', async () => {
      removed += await store.removeEverywhere(person);
      return removed === topics.length ? true : undefined;
    });

    for (const topic of topics)
      expect((await store.subscribersPage(topic, { limit: 10 })).userIds).toEqual(['someone-else']);
    expect(await store.removeEverywhere(person)).toBe(0);
  });
});

describe('unprocessed items', () => {
  /** The real client, except that DynamoDB leaves each batch's first item unprocessed `times` times. */
  function throttled(times: number) {
    let left = times;
    const sleeps: number[] = [];
    const client = {
      batchWrite: async (input: Parameters<DynamoDBDocument['batchWrite']>[0]) => {
        const requests = input.RequestItems?.[table] ?? [];
        if (left <= 0) return documentClient.batchWrite(input);
        left--;
        if (requests.length > 1) await documentClient.batchWrite({ RequestItems: { [table]: requests.slice(1) } });
        return { UnprocessedItems: { [table]: requests.slice(0, 1) } };
      },
    } as unknown as DynamoDBDocument;
    return { store: new TopicsStore(table, client, async (ms) => void sleeps.push(ms)), sleeps };
  }

  it('writes again what DynamoDB left unprocessed, after a backoff', async () => {
    const topic = newTopic();
    const { store: retrying, sleeps } = throttled(2);

    expect(await retrying.subscribe(topic, ['a', 'b', 'c'])).toBe(3);

    expect(sleeps).toHaveLength(2);
    expect((await store.subscribersPage(topic, { limit: 10 })).userIds).toEqual(['a', 'b', 'c']);
  });

  it('gives up after a bounded number of attempts, saying how many of how many were not written', async () => {
    const topic = newTopic();
    const { store: refusing, sleeps } = throttled(100);

    await expect(refusing.subscribe(topic, ['a', 'b', 'c'])).rejects.toEqual(new SubscriptionsUnprocessed(topic, 1, 3));

    expect(sleeps).toHaveLength(4);
    expect((await store.subscribersPage(topic, { limit: 10 })).userIds).toEqual(['b', 'c']);
  });
});
