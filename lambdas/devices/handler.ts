import { PUSH_VARIABLES } from '../channels/push/channel.js';
import type { PushPlatform } from '../channels/push/device-registration.js';
import { DeviceRegistry } from '../channels/push/device-registry.js';
import { PushEndpoints } from '../channels/push/endpoints.js';
import { snsClient } from '../channels/push/sns-clients.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { ApiError, notFound } from '../shared/http/api-error.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { json, noContent } from '../shared/http/responses.js';
import { logger } from '../shared/observability.js';
import { ENV, numberEnv, optionalEnv, requiredEnv } from '../shared/platform/environment.js';

const registry = new DeviceRegistry(
  { devices: requiredEnv(ENV.devicesTable), users: requiredEnv(ENV.usersTable) },
  documentClient,
  new PushEndpoints(snsClient),
);
const maxDevicesPerUser = numberEnv(PUSH_VARIABLES.maxDevicesPerUser);
const platformApplications: Record<PushPlatform, string | undefined> = {
  apns: optionalEnv(PUSH_VARIABLES.apnsPlatformApplicationArn),
  fcm: optionalEnv(PUSH_VARIABLES.fcmPlatformApplicationArn),
};

/** A person's push devices. */
export const handler = operationsHandler({
  registerDevice: async ({ path: { user_id }, body: { platform, token } }) => {
    const platformApplicationArn = platformApplications[platform];
    if (!platformApplicationArn) {
      throw new ApiError(422, 'platform_not_configured', `push to ${platform} is not configured on this platform`, [
        { field: 'platform', message: `has no SNS platform application configured` },
      ]);
    }
    const registered = await registry.register(user_id, { platform, token, platformApplicationArn }, maxDevicesPerUser);
    logger.info('device registered', {
      device_id: registered.deviceId,
      platform,
      moved: registered.movedFrom !== undefined,
      evicted: registered.evicted.length,
    });
    return json(201, { device_id: registered.deviceId });
  },
  listDevices: async ({ path: { user_id } }) => {
    const devices = await registry.listFor(user_id);
    return json(200, {
      devices: devices.map(({ device_id, platform, created_at }) => ({ device_id, platform, created_at })),
    });
  },
  removeDevice: async ({ path: { user_id, device_id } }) => {
    const device = await registry.find(device_id);
    // Another person's device is answered as one that does not exist.
    if (device?.user_id !== user_id || !(await registry.forget(user_id, device)))
      throw notFound(`device ${device_id} of user ${user_id}`);
    logger.info('device removed', { device_id });
    return noContent();
  },
});
