import { randomBytes, randomUUID } from 'node:crypto';
import { GetEndpointAttributesCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../../../lambdas/shared/adapters/device-registry.js';
import { PushEndpoints } from '../../../lambdas/shared/adapters/push-endpoints.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { snsClient } from '../../../lambdas/shared/aws/sns.js';
import { invoke, TEST_KEYS } from '../../support/api-gateway.js';
import { sns } from '../../support/emulator-clients.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let handler: Parameters<typeof invoke>[0];

beforeAll(async () => {
  platform = await provisionTestPlatform('devices');
  ({ handler } = await import('../../../lambdas/devices/handler.js'));
});
afterAll(() => platform.remove());

const register = (userId: string, body: unknown) =>
  invoke(handler, {
    method: 'POST',
    resource: '/v1/users/{user_id}/devices',
    pathParameters: { user_id: userId },
    body,
  });
const list = (userId: string) =>
  invoke(handler, {
    method: 'GET',
    resource: '/v1/users/{user_id}/devices',
    pathParameters: { user_id: userId },
    apiKeyId: TEST_KEYS.orderService,
  });
const remove = (userId: string, deviceId: string) =>
  invoke(handler, {
    method: 'DELETE',
    resource: '/v1/users/{user_id}/devices/{device_id}',
    pathParameters: { user_id: userId, device_id: deviceId },
  });

const registry = () =>
  new DeviceRegistry(
    { devices: platform.resources.tables.devices, users: platform.resources.tables.users },
    documentClient,
    new PushEndpoints(snsClient),
  );

const fcmToken = () => `fcm-${randomUUID()}:APA91b${randomBytes(40).toString('base64url')}`;

describe('devices', () => {
  it('registers a device as an SNS endpoint, lists it, and reuses it for the same token', async () => {
    const userId = `user-${randomUUID()}`;
    const token = fcmToken();

    const first = await register(userId, { platform: 'fcm', token });
    const again = await register(userId, { platform: 'fcm', token });
    const apns = await register(userId, { platform: 'apns', token: randomBytes(32).toString('hex') });

    expect(first.statusCode).toBe(201);
    expect(first.json.device_id).toMatch(/^[a-f0-9]{32}$/);
    expect(again.json.device_id).toBe(first.json.device_id);
    const devices = (await list(userId)).json.devices;
    expect(devices).toHaveLength(2);
    expect(devices.map((device: { platform: string }) => device.platform).sort()).toEqual(['apns', 'fcm']);
    // No token or endpoint in the answer: the token belongs to the device and SNS.
    expect(JSON.stringify(devices)).not.toContain(token);
    expect(apns.statusCode).toBe(201);
  });

  it('deletes the device and its SNS endpoint; a second delete is 404', async () => {
    const userId = `user-${randomUUID()}`;
    const { json } = await register(userId, { platform: 'fcm', token: fcmToken() });
    const stored = await registry().find(json.device_id);

    const deleted = await remove(userId, json.device_id);
    const deletedAgain = await remove(userId, json.device_id);

    expect(deleted.statusCode).toBe(204);
    expect(deletedAgain.statusCode).toBe(404);
    expect((await list(userId)).json.devices).toEqual([]);
    await expect(
      sns.send(new GetEndpointAttributesCommand({ EndpointArn: stored?.endpoint_arn ?? '' })),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
  });

  it.each([
    [{ platform: 'apns', token: 'not-hex' }, 'token'],
    [{ platform: 'fcm', token: 'short' }, 'token'],
    [{ platform: 'sms', token: 'x'.repeat(64) }, 'platform'],
    [{ platform: 'fcm' }, 'token'],
    [{ platform: 'fcm', token: fcmToken(), label: 'phone' }, 'label'],
  ])('refuses %j naming %s, and registers nothing', async (body, field) => {
    const userId = `user-${randomUUID()}`;

    const answer = await register(userId, body);

    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.details.map((detail: { field: string }) => detail.field)).toContain(field);
    expect((await list(userId)).json.devices).toEqual([]);
  });

  it('refuses a device id that is not one', async () => {
    const answer = await remove('user-1', '../../etc');

    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.details[0].field).toBe('device_id');
  });
});
