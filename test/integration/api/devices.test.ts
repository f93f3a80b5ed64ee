import { randomBytes, randomUUID } from 'node:crypto';
import { GetEndpointAttributesCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../../../lambdas/channels/push/device-registry.js';
import { PushEndpoints } from '../../../lambdas/channels/push/endpoints.js';
import { snsClient } from '../../../lambdas/channels/push/sns-clients.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { invoke, onlyScopeKey } from '../../support/api-gateway.js';
import { sns } from '../../support/emulator-clients.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

const MAX_DEVICES = 3;
let platform: TestPlatform;
let handler: Parameters<typeof invoke>[0];

beforeAll(async () => {
  platform = await provisionTestPlatform('devices', { MAX_DEVICES_PER_USER: String(MAX_DEVICES) });
  ({ handler } = await import('../../../lambdas/devices/handler.js'));
});
afterAll(() => platform.remove());

const register = (userId: string, body: unknown) =>
  invoke(handler, {
    operation: 'registerDevice',
    pathParameters: { user_id: userId },
    body,
  });
const list = (userId: string) =>
  invoke(handler, {
    operation: 'listDevices',
    pathParameters: { user_id: userId },
    apiKeyId: onlyScopeKey('users:read'),
  });
const remove = (userId: string, deviceId: string) =>
  invoke(handler, {
    operation: 'removeDevice',
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

  it("moves a token registered for another person: one device, one owner, and the first one's delete cannot reach it", async () => {
    // Prepare: Ada's phone is handed to Bob, whose app registers the same token
    const ada = `ada-${randomUUID()}`;
    const bob = `bob-${randomUUID()}`;
    const token = fcmToken();
    const forAda = await register(ada, { platform: 'fcm', token });

    // Act
    const forBob = await register(bob, { platform: 'fcm', token });
    const adaDeletes = await remove(ada, forAda.json.device_id);

    // Assess: Bob holds it alone, and its SNS endpoint lives on
    expect(forBob.json.device_id).toBe(forAda.json.device_id);
    expect((await list(ada)).json.devices).toEqual([]);
    expect((await list(bob)).json.devices.map((device: { device_id: string }) => device.device_id)).toEqual([
      forBob.json.device_id,
    ]);
    expect(adaDeletes.statusCode).toBe(404);
    const stored = await registry().find(forBob.json.device_id);
    expect(stored?.user_id).toBe(bob);
    const endpoint = await sns.send(new GetEndpointAttributesCommand({ EndpointArn: stored?.endpoint_arn ?? '' }));
    expect(endpoint.Attributes?.Enabled).toBe('true');
    // ...until Bob deletes it: then nobody holds it, and the endpoint goes.
    expect((await remove(bob, forBob.json.device_id)).statusCode).toBe(204);
    await expect(
      sns.send(new GetEndpointAttributesCommand({ EndpointArn: stored?.endpoint_arn ?? '' })),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
  });

  it(`keeps at most ${MAX_DEVICES} devices a person: registering one more forgets the oldest and its endpoint`, async () => {
    const userId = `user-${randomUUID()}`;
    const ids: string[] = [];
    for (let index = 0; index <= MAX_DEVICES; index++) {
      ids.push((await register(userId, { platform: 'fcm', token: fcmToken() })).json.device_id);
    }
    const oldest = ids[0] ?? '';

    const devices = (await list(userId)).json.devices.map((device: { device_id: string }) => device.device_id);

    expect(devices.sort()).toEqual(ids.slice(1).sort());
    expect(await registry().find(oldest)).toBeUndefined();
  });

  it('refuses a device id that is not one', async () => {
    const answer = await remove('user-1', '../../etc');

    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.details[0].field).toBe('device_id');
  });
});
