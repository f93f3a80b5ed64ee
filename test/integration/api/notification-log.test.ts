import { randomUUID } from 'node:crypto';
import { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NotificationItem, NotificationsStore } from '../../../lambdas/shared/adapters/notifications-store.js';
import { invoke, TEST_KEYS } from '../../support/api-gateway.js';
import { dynamoDb } from '../../support/emulator-clients.js';
import { eventually } from '../../support/eventually.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let status: Parameters<typeof invoke>[0];
let store: NotificationsStore;

/** Twelve notifications of the order service and three of the auth service, a minute apart, newest last. */
const records: NotificationItem[] = [];
const record = (index: number, overrides: Partial<NotificationItem>): NotificationItem => ({
  notification_id: randomUUID(),
  user_id: index % 2 === 0 ? 'ada' : 'grace',
  type: index % 3 === 0 ? 'order_cancelled' : 'order_shipped',
  producer: 'order-service',
  critical: false,
  created_at: new Date(Date.UTC(2026, 11, 8, 9, index)).toISOString(),
  expires_at: 1_900_000_000,
  status: 'queued',
  channels: { email: { status: index === 4 ? 'bounced' : 'delivered', updated_at: '2026-12-08T10:00:00.000Z' } },
  ...overrides,
});

beforeAll(async () => {
  platform = await provisionTestPlatform('notification-log');
  ({ handler: status } = await import('../../../lambdas/notification-status/handler.js'));
  store = new NotificationsStore(
    platform.resources.tables.notifications,
    DynamoDBDocument.from(dynamoDb, { marshallOptions: { removeUndefinedValues: true } }),
  );
  for (let index = 0; index < 12; index++) records.push(record(index, {}));
  for (let index = 0; index < 3; index++)
    records.push(record(20 + index, { producer: 'auth-service', type: 'password_reset', user_id: 'ada' }));
  // Two made in the same millisecond: the order is kept by id.
  const tied = '2026-12-08T09:30:00.000Z';
  records.push(record(30, { created_at: tied }), record(31, { created_at: tied }));
  for (const item of records) await store.create(item);
});
afterAll(() => platform.remove());

const search = (query: Record<string, string>, apiKeyId: string = TEST_KEYS.orderService) =>
  invoke(status, { operation: 'listNotifications', query, apiKeyId });

/** Every page of a search, followed to its end; the ids in order, and the page sizes. */
async function everyPage(query: Record<string, string>, apiKeyId?: string) {
  const ids: string[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await search({ ...query, ...(cursor ? { cursor } : {}) }, apiKeyId);
    expect(page.statusCode, JSON.stringify(page.json)).toBe(200);
    ids.push(...page.json.notifications.map((item: { notification_id: string }) => item.notification_id));
    sizes.push(page.json.notifications.length);
    cursor = page.json.next_cursor;
  } while (cursor !== undefined && sizes.length < 50);
  return { ids, sizes };
}

const newestFirst = (items: readonly NotificationItem[]) =>
  [...items]
    .sort((a, b) => `${b.created_at}#${b.notification_id}`.localeCompare(`${a.created_at}#${a.notification_id}`))
    .map((item) => item.notification_id);
const orderService = () => records.filter((item) => item.producer === 'order-service');

describe('GET /v1/notifications', () => {
  it("lists a producer's own notifications newest first, every one once across pages", async () => {
    const { ids, sizes } = await eventually('the log', async () => {
      const pages = await everyPage({ limit: '3' });
      return pages.ids.length === orderService().length ? pages : undefined;
    });

    expect(ids).toEqual(newestFirst(orderService()));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
  });

  it("narrows by person, type, status (a channel's too) and time", async () => {
    const ada = await everyPage({ user_id: 'ada', limit: '4' });
    expect(ada.ids).toEqual(newestFirst(orderService().filter((item) => item.user_id === 'ada')));

    const cancelled = await everyPage({ type: 'order_cancelled' });
    expect(cancelled.ids).toEqual(newestFirst(orderService().filter((item) => item.type === 'order_cancelled')));

    const bounced = await everyPage({ status: 'bounced' });
    expect(bounced.ids).toEqual([records[4]?.notification_id]);

    const window = await everyPage({ since: '2026-12-08T09:03:00Z', until: '2026-12-08T10:05:00+01:00' });
    expect(window.ids).toEqual(
      newestFirst(
        orderService().filter(
          (item) => item.created_at >= '2026-12-08T09:03:00.000Z' && item.created_at <= '2026-12-08T09:05:00.000Z',
        ),
      ),
    );
  });

  it("shows every producer's to a producer with notifications:read_all", async () => {
    const all = await everyPage({ user_id: 'ada' }, TEST_KEYS.admin);
    expect(all.ids).toEqual(newestFirst(records.filter((item) => item.user_id === 'ada')));
    const everyone = await everyPage({ limit: '100' }, TEST_KEYS.admin);
    expect(everyone.ids).toEqual(newestFirst(records));
  });

  it("lists none of an erased person's notifications", async () => {
    const grace = records.filter((item) => item.producer === 'order-service' && item.user_id === 'grace');
    for (const item of grace) await store.eraseRecipient(item.notification_id);

    expect((await everyPage({ user_id: 'grace' })).ids).toEqual([]);
    const { ids } = await eventually('the log without grace', async () => {
      const pages = await everyPage({});
      return pages.ids.length === orderService().length - grace.length ? pages : undefined;
    });
    expect(ids).toEqual(newestFirst(orderService().filter((item) => item.user_id !== 'grace')));
  });

  it.each([
    [{ since: '2026-12-09T00:00:00Z', until: '2026-12-08T00:00:00Z' }, 'since'],
    [{ since: 'yesterday' }, 'since'],
    [{ until: '2026-12-08T09:00:00' }, 'until'],
    [{ status: 'Bounced!' }, 'status'],
    [{ type: 'NOT A TYPE' }, 'type'],
    [{ user_id: 'not an id' }, 'user_id'],
    [{ cursor: 'made-up' }, 'cursor'],
    [{ limit: '101' }, 'limit'],
  ])('refuses %o with 400 naming %s', async (query, field) => {
    const answer = await search(query);
    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.details.map((detail: { field: string }) => detail.field)).toContain(field);
  });
});
