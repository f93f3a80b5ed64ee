import { GetItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetEndpointAttributesCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFICATIONS_BY_USER_INDEX } from '../../../lambdas/shared/platform/resources.js';
import { invoke, TEST_KEYS } from '../../support/api-gateway.js';
import { dynamoDb, sns } from '../../support/emulator-clients.js';
import { eventually } from '../../support/eventually.js';
import { type ControlPlane, createUser, loadControlPlane, saveTemplate } from '../../support/platform-fixtures.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let plane: ControlPlane;
let ingest: Parameters<typeof invoke>[0];
let status: Parameters<typeof invoke>[0];
let erasure: Parameters<typeof invoke>[0];

beforeAll(async () => {
  platform = await provisionTestPlatform('erasure');
  plane = await loadControlPlane();
  ({ handler: ingest } = await import('../../../lambdas/ingest/handler.js'));
  ({ handler: status } = await import('../../../lambdas/notification-status/handler.js'));
  ({ handler: erasure } = await import('../../../lambdas/user-erasure/handler.js'));
  await saveTemplate(plane, 'order_shipped', {
    email: { subject: 'Shipped', body: 'It is on its way' },
    sms: { body: 'Shipped' },
    push: { title: 'Shipped', body: 'On its way' },
  });
});
afterAll(() => platform.remove());

const erase = (userId: string, apiKeyId: string = TEST_KEYS.admin) =>
  invoke(erasure, { operation: 'erasePerson', pathParameters: { user_id: userId }, apiKeyId });

describe('DELETE /v1/users/{user_id}', () => {
  it('erases contacts, preferences, devices and their endpoints, and the name on every notification record', async () => {
    // Prepare: a person with everything, and two notifications sent to them
    const userId = await createUser(plane, {
      preferences: { email: true, sms: false, push: true, quiet_hours: null },
    });
    const ids: string[] = [];
    for (const order of ['A-1', 'A-2']) {
      const sent = await invoke(ingest, {
        operation: 'sendNotification',
        body: { user_id: userId, type: 'order_shipped', payload: { order_id: order } },
        apiKeyId: TEST_KEYS.orderService,
      });
      ids.push(sent.json.notification_id);
    }
    const devices = await dynamoDb.send(new ScanCommand({ TableName: platform.resources.tables.devices }));
    const endpointArn = devices.Items?.find((item) => item.user_id?.S === userId)?.endpoint_arn?.S ?? '';
    // The index of a person's notifications is eventually consistent: erasure runs once both are in it.
    await eventually('both records in the index', async () => {
      const { Count } = await dynamoDb.send(
        new QueryCommand({
          TableName: platform.resources.tables.notifications,
          IndexName: NOTIFICATIONS_BY_USER_INDEX,
          KeyConditionExpression: 'user_id = :user',
          ExpressionAttributeValues: { ':user': { S: userId } },
        }),
      );
      return Count === 2 ? true : undefined;
    });

    // Act
    const erased = await erase(userId);

    // Assess
    expect(erased.statusCode).toBe(204);
    const user = await dynamoDb.send(
      new GetItemCommand({ TableName: platform.resources.tables.users, Key: { user_id: { S: userId } } }),
    );
    expect(user.Item).toBeUndefined();
    const left = await dynamoDb.send(new ScanCommand({ TableName: platform.resources.tables.devices }));
    expect(left.Items?.filter((item) => item.user_id?.S === userId)).toEqual([]);
    await expect(sns.send(new GetEndpointAttributesCommand({ EndpointArn: endpointArn }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
    for (const id of ids) {
      const record = await invoke(status, {
        operation: 'getNotification',
        pathParameters: { notification_id: id },
        apiKeyId: TEST_KEYS.orderService,
      });
      // The producer can still account for what it sent; nothing says to whom.
      expect(record.statusCode).toBe(200);
      expect(record.json).toMatchObject({ type: 'order_shipped', producer: 'order-service' });
      expect(record.json.user_id).toBeUndefined();
      expect(JSON.stringify(record.json)).not.toContain(userId);
    }
    const preferences = await invoke(plane.preferences, {
      operation: 'getPreferences',
      pathParameters: { user_id: userId },
    });
    expect(preferences.json).toEqual({
      email: true,
      sms: true,
      push: true,
      quiet_hours: null,
      categories: {},
      unsubscribed: [],
    });
  });

  it("takes what waits for them out of the platform: a scheduled send's payload, their digest windows and frequency counters", async () => {
    // Prepare: a send scheduled for tomorrow, a comment in an open digest, a capped message sent
    await saveTemplate(plane, 'order_comment', {
      digest: { window_seconds: 600, max_items: 10 },
      email: { subject: '{{ count }} comments', body: 'x' },
    });
    await saveTemplate(plane, 'order_nudge', {
      throttle: { limit: 5, window_seconds: 3600 },
      email: { subject: 'Nudge', body: 'x' },
    });
    const userId = await createUser(plane, { device: false });
    const send = async (type: string, extra: object = {}) => {
      const sent = await invoke(ingest, {
        operation: 'sendNotification',
        body: { user_id: userId, type, payload: { secret: 'kept-nowhere' }, ...extra },
        apiKeyId: TEST_KEYS.orderService,
      });
      expect(sent.statusCode, type).toBe(202);
      return sent.json.notification_id as string;
    };
    const scheduled = await send('order_shipped', { send_at: new Date(Date.now() + 86_400_000).toISOString() });
    const comment = await send('order_comment');
    await send('order_nudge');
    const table = platform.resources.tables.notifications;
    const itemsKeyedBy = async (prefix: string) =>
      (await dynamoDb.send(new ScanCommand({ TableName: table }))).Items?.filter((item) =>
        item.pk?.S?.startsWith(`${prefix}${userId}`),
      ) ?? [];
    expect(await itemsKeyedBy('throttle#')).toHaveLength(1);
    expect(await itemsKeyedBy('digest#')).toHaveLength(1);
    const digestId = (
      await invoke(status, {
        operation: 'getNotification',
        pathParameters: { notification_id: comment },
        apiKeyId: TEST_KEYS.orderService,
      })
    ).json.digest_id as string;

    // Act
    expect((await erase(userId)).statusCode).toBe(204);

    // Assess: the records say whose no more, and hold no payload
    expect(await itemsKeyedBy('throttle#')).toEqual([]);
    expect(await itemsKeyedBy('digest#')).toEqual([]);
    for (const id of [scheduled, digestId]) {
      const { Item } = await dynamoDb.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: `notification#${id}` }, sk: { S: 'notification' } } }),
      );
      expect(Item?.user_id, id).toBeUndefined();
      expect(Item?.request, id).toBeUndefined();
      expect(Item?.members, id).toBeUndefined();
    }
  });

  it('answers 204 again, and for a person never seen: erasing is idempotent', async () => {
    const userId = await createUser(plane, { device: false });

    expect((await erase(userId)).statusCode).toBe(204);
    expect((await erase(userId)).statusCode).toBe(204);
    expect((await erase('never-seen-anywhere')).statusCode).toBe(204);
  });

  it('needs the users:erase scope, and a user id that is one', async () => {
    const userId = await createUser(plane, { device: false });

    const unauthorized = await erase(userId, TEST_KEYS.orderService);
    const malformed = await erase('../../etc');

    expect(unauthorized.statusCode).toBe(403);
    expect(unauthorized.json.error.code).toBe('missing_scope');
    const user = await dynamoDb.send(
      new GetItemCommand({ TableName: platform.resources.tables.users, Key: { user_id: { S: userId } } }),
    );
    expect(user.Item).toBeDefined();
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json.error.details[0].field).toBe('user_id');
  });
});
