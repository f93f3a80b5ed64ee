import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NotificationItem, NotificationsStore } from '../../../lambdas/shared/adapters/notifications-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import type { ChannelState } from '../../../lambdas/shared/domain/notification.js';
import { LOG_SHARDS } from '../../../lambdas/shared/domain/notification-log.js';
import { eventually } from '../../support/eventually.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let store: NotificationsStore;

beforeAll(async () => {
  platform = await provisionTestPlatform('notifications-store');
  store = new NotificationsStore(platform.resources.tables.notifications, documentClient);
});
afterAll(() => platform.remove());

const at = '2030-01-01T12:00:00.000Z';
const queued: ChannelState = { status: 'queued', updated_at: at };

function notification(overrides: Partial<NotificationItem> = {}): NotificationItem {
  return {
    notification_id: randomUUID(),
    user_id: `user-${randomUUID()}`,
    type: 'order_shipped',
    producer: 'order-service',
    critical: false,
    created_at: at,
    channels: { email: queued, sms: queued },
    expires_at: Math.floor(Date.parse(at) / 1000) + 3600,
    ...overrides,
  };
}

/** Every id the person's index lists, over all its pages. */
async function idsOf(userId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of store.notificationIdsOf(userId)) ids.push(...page);
  return ids.sort();
}

describe('create and find', () => {
  it('records a notification and reads it back', async () => {
    const item = notification();

    await store.create(item);

    expect(await store.find(item.notification_id)).toMatchObject(item);
  });

  it('refuses to record a second notification under an id that exists, and keeps the first', async () => {
    const item = notification();
    await store.create(item);

    const second = store.create({ ...item, type: 'other' });

    await expect(second).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect((await store.find(item.notification_id))?.type).toBe('order_shipped');
  });

  it('answers undefined for an id never recorded', async () => {
    expect(await store.find(randomUUID())).toBeUndefined();
  });

  it("describes, as creationPut, the very write create makes, with the record's place in its producer's log", async () => {
    const item = notification();

    const put = store.creationPut(item);

    expect(put).toEqual({
      TableName: platform.resources.tables.notifications,
      Item: {
        pk: `notification#${item.notification_id}`,
        sk: 'notification',
        ...item,
        log_partition: expect.stringMatching(new RegExp(`^${item.producer}#[0-${LOG_SHARDS - 1}]$`)),
        log_time: `${item.created_at}#${item.notification_id}`,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });
});

describe('recordChannelState', () => {
  it("writes a channel's news and leaves the other channels as they were", async () => {
    const item = notification();
    await store.create(item);
    const sent: ChannelState = { status: 'sent', provider_message_id: 'SM1', updated_at: at };

    await store.recordChannelState(item.notification_id, 'sms', sent);

    expect((await store.find(item.notification_id))?.channels).toEqual({ email: queued, sms: sent });
  });

  it("never overwrites sent: a slower writer's older news is dropped without an error", async () => {
    const item = notification();
    await store.create(item);
    const sent: ChannelState = { status: 'sent', provider_message_id: 'SM1', updated_at: at };
    await store.recordChannelState(item.notification_id, 'sms', sent);

    await store.recordChannelState(item.notification_id, 'sms', { status: 'failed', reason: 'late', updated_at: at });

    expect((await store.find(item.notification_id))?.channels.sms).toEqual(sent);
  });

  it('writes nothing for a notification that does not exist', async () => {
    const id = randomUUID();

    await store.recordChannelState(id, 'sms', { status: 'sent', updated_at: at });

    expect(await store.find(id)).toBeUndefined();
  });
});

describe('recordEnqueueOutcome', () => {
  it('marks the accepted channels enqueued and the refused ones failed with enqueue_failed', async () => {
    const item = notification();
    await store.create(item);

    await store.recordEnqueueOutcome(item.notification_id, { enqueued: [{ channel: 'email' }], refused: ['sms'] });

    const channels = (await store.find(item.notification_id))?.channels;
    expect(channels?.email).toMatchObject({ status: 'queued', enqueued_at: expect.any(String) });
    expect(channels?.sms).toMatchObject({ status: 'failed', reason: 'enqueue_failed' });
    expect(channels?.sms?.enqueued_at).toBeUndefined();
  });

  it('gives a channel refused before and accepted on the retry its decided state back', async () => {
    const item = notification();
    await store.create(item);
    await store.recordEnqueueOutcome(item.notification_id, { enqueued: [{ channel: 'email' }], refused: ['sms'] });

    await store.recordEnqueueOutcome(item.notification_id, {
      enqueued: [{ channel: 'sms', restore: queued }],
      refused: [],
    });

    expect((await store.find(item.notification_id))?.channels.sms).toEqual({
      ...queued,
      enqueued_at: expect.any(String),
    });
  });

  it('does not restore a channel a worker delivered in the meantime', async () => {
    // Prepare: refused, then queued by the retry and delivered before the retry records that it queued it
    const item = notification();
    await store.create(item);
    await store.recordEnqueueOutcome(item.notification_id, { enqueued: [], refused: ['sms'] });
    const sent: ChannelState = { status: 'sent', provider_message_id: 'SM2', updated_at: at };
    await store.recordChannelState(item.notification_id, 'sms', sent);

    // Act
    await store.recordEnqueueOutcome(item.notification_id, {
      enqueued: [{ channel: 'sms', restore: queued }],
      refused: [],
    });

    // Assess: the enqueue mark lands, the status stays sent
    expect((await store.find(item.notification_id))?.channels.sms).toMatchObject({
      status: 'sent',
      provider_message_id: 'SM2',
      enqueued_at: expect.any(String),
    });
  });
});

describe("a person's notifications and their erasure", () => {
  it("lists the ids of one person's notifications and no one else's", async () => {
    const userId = `user-${randomUUID()}`;
    const theirs = [
      notification({ user_id: userId }),
      notification({ user_id: userId }),
      notification({ user_id: userId }),
    ];
    await Promise.all([...theirs, notification()].map((item) => store.create(item)));
    const expected = theirs.map((item) => item.notification_id).sort();

    // The index is eventually consistent: read it until it has caught up, a bounded number of times.
    const ids = await eventually('the index to list the three notifications', async () => {
      const listed = await idsOf(userId);
      return listed.length === expected.length ? listed : undefined;
    });

    expect(ids).toEqual(expected);
  });

  it("takes the person out of a record, which keeps the rest and leaves the person's index", async () => {
    // Prepare
    const userId = `user-${randomUUID()}`;
    const item = notification({ user_id: userId });
    await store.create(item);
    await eventually('the record in the index', async () => ((await idsOf(userId)).length === 1 ? true : undefined));

    // Act
    await store.eraseRecipient(item.notification_id);

    // Assess
    const erased = (await store.find(item.notification_id)) as (NotificationItem & { erased_at?: string }) | undefined;
    expect(erased?.user_id).toBeUndefined();
    expect(erased).toMatchObject({ type: item.type, producer: item.producer, channels: item.channels });
    expect(erased?.erased_at).toEqual(expect.any(String));
    expect(
      await eventually('the record to leave the index', async () =>
        (await idsOf(userId)).length === 0 ? [] : undefined,
      ),
    ).toEqual([]);
  });

  it('erases nothing, and creates nothing, for a record that does not exist', async () => {
    const id = randomUUID();

    await store.eraseRecipient(id);

    expect(await store.find(id)).toBeUndefined();
  });
});

describe('recordProviderOutcome', () => {
  const sent: ChannelState = { status: 'sent', provider_message_id: 'ses-1', updated_at: at };
  const delivered = { status: 'delivered' as const, at: '2030-01-01T12:00:05.000Z', providerMessageId: 'ses-1' };
  const bounced = {
    status: 'bounced' as const,
    at: '2030-01-01T12:00:06.000Z',
    detail: { bounce_type: 'Permanent', bounce_sub_type: 'General' },
    providerMessageId: 'ses-1',
  };

  it('moves the status forward and lists the event', async () => {
    const item = notification({ channels: { email: sent } });
    await store.create(item);

    expect((await store.recordProviderOutcome(item.notification_id, 'email', bounced)).result).toBe('moved');

    const email = (await store.find(item.notification_id))?.channels.email;
    expect(email).toMatchObject({ status: 'bounced', updated_at: bounced.at, provider_message_id: 'ses-1' });
    expect(email?.events).toEqual([{ status: 'bounced', at: bounced.at, detail: bounced.detail }]);
  });

  it('keeps a late event in the list without moving the status back, and a duplicate not at all', async () => {
    const item = notification({ channels: { email: sent } });
    await store.create(item);
    await store.recordProviderOutcome(item.notification_id, 'email', bounced);

    expect((await store.recordProviderOutcome(item.notification_id, 'email', delivered)).result).toBe('noted');
    expect((await store.recordProviderOutcome(item.notification_id, 'email', bounced)).result).toBe('unchanged');

    const email = (await store.find(item.notification_id))?.channels.email;
    expect(email?.status).toBe('bounced');
    expect(email?.events).toHaveLength(2);
  });

  it('answers the notification with its producer and type, for the metrics of who causes bounces', async () => {
    const item = notification({ channels: { email: sent } });
    await store.create(item);

    const recorded = await store.recordProviderOutcome(item.notification_id, 'email', delivered);

    expect(recorded.notification).toMatchObject({ producer: item.producer, type: item.type });
  });

  it("takes the provider's own key of an event over its time, so that an event without a time of its own comes once", async () => {
    const item = notification({ channels: { sms: { status: 'sent', provider_message_id: 'SM1', updated_at: at } } });
    await store.create(item);
    const arrival = (second: number) => ({
      status: 'delivered' as const,
      at: `2030-01-01T12:00:0${second}.000Z`,
      providerMessageId: 'SM1',
      eventKey: 'SM1:delivered',
    });

    expect((await store.recordProviderOutcome(item.notification_id, 'sms', arrival(1))).result).toBe('moved');
    expect((await store.recordProviderOutcome(item.notification_id, 'sms', arrival(2))).result).toBe('unchanged');

    expect((await store.find(item.notification_id))?.channels.sms?.events).toHaveLength(1);
  });

  it('is not undone by a worker that records its attempt afterwards', async () => {
    const item = notification({ channels: { email: sent } });
    await store.create(item);
    await store.recordProviderOutcome(item.notification_id, 'email', delivered);

    await store.recordChannelState(item.notification_id, 'email', { status: 'failed', reason: 'late', updated_at: at });

    expect((await store.find(item.notification_id))?.channels.email?.status).toBe('delivered');
  });

  it('changes nothing for a channel the worker skipped, or a notification that does not exist', async () => {
    const item = notification({ channels: { email: { status: 'skipped', reason: 'opted_out', updated_at: at } } });
    await store.create(item);

    expect((await store.recordProviderOutcome(item.notification_id, 'email', delivered)).result).toBe('noted');
    expect((await store.find(item.notification_id))?.channels.email?.status).toBe('skipped');
    expect((await store.recordProviderOutcome(randomUUID(), 'email', delivered)).result).toBe('unchanged');
    expect((await store.recordProviderOutcome(item.notification_id, 'push', delivered)).result).toBe('unchanged');
  });
});
