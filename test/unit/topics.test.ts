import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Producer } from '../../lambdas/shared/domain/producer.js';
import {
  mayManageTopic,
  TopicOwnedByAnother,
  type TopicOwners,
  TopicOwnership,
} from '../../lambdas/shared/domain/topic-ownership.js';
import { ApiError } from '../../lambdas/shared/http/api-error.js';
import { MAX_BODY_BYTES, parseJsonBody } from '../../lambdas/shared/http/request.js';
import { MAX_SUBSCRIBERS_PER_CALL, OPERATIONS } from '../../lambdas/shared/platform/operations.js';
import { topicSchema } from '../../lambdas/shared/schemas/identifiers.js';

const news: Producer = { name: 'news', scopes: ['topics:write'], types: [] };
const shop: Producer = { name: 'shop', scopes: ['topics:write'], types: [] };
const admin: Producer = { name: 'console', scopes: ['topics:write', 'admin'], types: [] };

/** Topic owners in memory; `claimedMeanwhile` is a producer whose claim lands between a read and this one's claim. */
class FakeOwners implements TopicOwners {
  readonly owners = new Map<string, string>();
  claims = 0;
  constructor(private readonly claimedMeanwhile?: string) {}

  async owner(topic: string) {
    return this.owners.get(topic);
  }
  async claim(topic: string, producer: string) {
    this.claims++;
    if (this.claimedMeanwhile && !this.owners.has(topic)) this.owners.set(topic, this.claimedMeanwhile);
    if (!this.owners.has(topic)) this.owners.set(topic, producer);
    return this.owners.get(topic) as string;
  }
}

describe('mayManageTopic', () => {
  it('lets the owner and an admin manage a topic, and no other producer', () => {
    expect(mayManageTopic('news', news)).toBe(true);
    expect(mayManageTopic('news', admin)).toBe(true);
    expect(mayManageTopic('news', shop)).toBe(false);
  });
});

describe('TopicOwnership', () => {
  it('creates a topic no one has for the producer that subscribes someone first, and lets it in again', async () => {
    // Prepare
    const owners = new FakeOwners();
    const ownership = new TopicOwnership(owners);

    // Act
    await ownership.claimFor('launches', news);
    await ownership.claimFor('launches', news);

    // Assess
    expect(owners.owners.get('launches')).toBe('news');
    expect(owners.claims).toBe(1);
    expect(await ownership.exists('launches', news)).toBe(true);
  });

  it("refuses another producer's topic, to subscribe, list or unsubscribe, unless it is an admin", async () => {
    const owners = new FakeOwners();
    owners.owners.set('launches', 'news');
    const ownership = new TopicOwnership(owners);

    await expect(ownership.claimFor('launches', shop)).rejects.toBeInstanceOf(TopicOwnedByAnother);
    await expect(ownership.exists('launches', shop)).rejects.toBeInstanceOf(TopicOwnedByAnother);
    await ownership.claimFor('launches', admin);
    expect(await ownership.exists('launches', admin)).toBe(true);
    // The admin's subscription leaves the topic its owner's.
    expect(owners.owners.get('launches')).toBe('news');
  });

  it('refuses a producer whose claim lost the race to another, who owns the topic then', async () => {
    const owners = new FakeOwners('news');
    const ownership = new TopicOwnership(owners);

    await expect(ownership.claimFor('launches', shop)).rejects.toMatchObject({ topic: 'launches' });
    expect(owners.owners.get('launches')).toBe('news');
  });

  it('finds a topic no one created missing, without creating it', async () => {
    const owners = new FakeOwners();

    expect(await new TopicOwnership(owners).exists('launches', shop)).toBe(false);
    expect(owners.claims).toBe(0);
  });
});

describe('topicSchema', () => {
  it.each(['a', '7', 'product-updates', 'team:42', 'order.shipping_updates', 'x'.repeat(100)])(
    'accepts %s',
    (topic) => {
      expect(topicSchema.safeParse(topic).success).toBe(true);
    },
  );

  it.each(['', 'News', '-news', '.news', ':a', '_a', 'a b', 'a/b', 'a#b', 'ü', 'x'.repeat(101)])(
    'refuses %j, saying the rule',
    (topic) => {
      const parsed = topicSchema.safeParse(topic);

      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toBe(
        'must be 1 to 100 characters of a-z 0-9 _ . : -, starting with a letter or a digit',
      );
    },
  );
});

describe('the body of POST /topics/{topic}/subscribers', () => {
  const body = OPERATIONS.subscribeManyToTopic.body;
  const event = (value: unknown) =>
    ({
      body: JSON.stringify(value),
      headers: { 'content-type': 'application/json' },
      isBase64Encoded: false,
    }) as unknown as APIGatewayProxyEvent;
  const refusal = (value: unknown): ApiError => {
    try {
      parseJsonBody(event(value), body);
    } catch (error) {
      if (error instanceof ApiError) return error;
      throw error;
    }
    throw new Error('expected the body to be refused');
  };
  const ids = (count: number, length: number) =>
    Array.from({ length: count }, (_, index) => `u${String(index).padStart(length - 1, '0')}`);

  it('names a bad id by its place in the list', () => {
    const refused = refusal({ user_ids: ['ada', 'grace', 'linus', 'ada@example.com', 'ok'] });

    expect(refused.details).toEqual([{ field: 'user_ids.3', message: expect.stringContaining('email address') }]);
  });

  it('takes 1 to 1,000 ids, and says so', () => {
    expect(refusal({ user_ids: [] }).details).toEqual([{ field: 'user_ids', message: 'must name 1 to 1000 people' }]);
    expect(refusal({ user_ids: ids(MAX_SUBSCRIBERS_PER_CALL + 1, 8) }).details?.[0]?.field).toBe('user_ids');
    expect(refusal({ user_ids: ['ada'], extra: 1 }).details).toEqual([
      { field: 'extra', message: 'is not a known field' },
    ]);
    expect(parseJsonBody(event({ user_ids: ids(MAX_SUBSCRIBERS_PER_CALL, 8) }), body).user_ids).toHaveLength(1_000);
  });

  it('fits 1,000 ids of 62 characters in the 64 KiB body, not 1,000 of 128, as the description says', () => {
    expect(parseJsonBody(event({ user_ids: ids(1_000, 62) }), body).user_ids).toHaveLength(1_000);
    expect(refusal({ user_ids: ids(1_000, 63) }).statusCode).toBe(413);
    expect(Buffer.byteLength(JSON.stringify({ user_ids: ids(500, 128) }))).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(OPERATIONS.subscribeManyToTopic.description).toContain('at most 62 characters');
  });
});
