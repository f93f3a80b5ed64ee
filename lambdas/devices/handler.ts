import { z } from 'zod';
import { DeviceRegistry } from '../shared/adapters/device-registry.js';
import { PushEndpoints } from '../shared/adapters/push-endpoints.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { snsClient } from '../shared/aws/sns.js';
import { ENV, numberEnv, optionalEnv, requiredEnv } from '../shared/environment.js';
import { ApiError, notFound } from '../shared/http/api-error.js';
import { apiHandler } from '../shared/http/api-handler.js';
import { producerOf, requireScope } from '../shared/http/producer.js';
import { parseJsonBody, parsePathParameters } from '../shared/http/request.js';
import { json, noContent } from '../shared/http/responses.js';
import { logger } from '../shared/observability.js';
import { deviceRegistrationSchema, type PushPlatform } from '../shared/schemas/device-registration.js';
import { deviceIdSchema, userIdSchema } from '../shared/schemas/identifiers.js';

const registry = new DeviceRegistry(
  { devices: requiredEnv(ENV.devicesTable), users: requiredEnv(ENV.usersTable) },
  documentClient,
  new PushEndpoints(snsClient),
);
const maxDevicesPerUser = numberEnv(ENV.maxDevicesPerUser);
const platformApplications: Record<PushPlatform, string | undefined> = {
  apns: optionalEnv(ENV.apnsPlatformApplicationArn),
  fcm: optionalEnv(ENV.fcmPlatformApplicationArn),
};

const userPath = z.object({ user_id: userIdSchema });
const devicePath = z.object({ user_id: userIdSchema, device_id: deviceIdSchema });

/** POST, GET /v1/users/{user_id}/devices and DELETE /v1/users/{user_id}/devices/{device_id} */
export const handler = apiHandler(async (event) => {
  switch (event.httpMethod) {
    case 'POST': {
      const producer = requireScope(event, 'preferences:write');
      const { user_id } = parsePathParameters(event, userPath);
      logger.appendKeys({ producer: producer.name, user_id });
      const { platform, token } = parseJsonBody(event, deviceRegistrationSchema);
      const platformApplicationArn = platformApplications[platform];
      if (!platformApplicationArn) {
        throw new ApiError(422, 'platform_not_configured', `push to ${platform} is not configured on this platform`, [
          { field: 'platform', message: `has no SNS platform application configured` },
        ]);
      }
      const registered = await registry.register(
        user_id,
        { platform, token, platformApplicationArn },
        maxDevicesPerUser,
      );
      logger.info('device registered', {
        device_id: registered.deviceId,
        platform,
        moved: registered.movedFrom !== undefined,
        evicted: registered.evicted.length,
      });
      return json(201, { device_id: registered.deviceId });
    }
    case 'GET': {
      const producer = producerOf(event);
      const { user_id } = parsePathParameters(event, userPath);
      logger.appendKeys({ producer: producer.name, user_id });
      const devices = await registry.listFor(user_id);
      return json(200, {
        devices: devices.map(({ device_id, platform, created_at }) => ({ device_id, platform, created_at })),
      });
    }
    case 'DELETE': {
      const producer = requireScope(event, 'preferences:write');
      const { user_id, device_id } = parsePathParameters(event, devicePath);
      logger.appendKeys({ producer: producer.name, user_id });
      const device = await registry.find(device_id);
      // Another person's device is answered as one that does not exist.
      if (device?.user_id !== user_id || !(await registry.forget(user_id, device)))
        throw notFound(`device ${device_id} of user ${user_id}`);
      logger.info('device removed', { device_id });
      return noContent();
    }
    default:
      throw new ApiError(405, 'method_not_allowed', `${event.httpMethod} is not supported here`);
  }
});
