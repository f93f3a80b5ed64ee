import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DevicesStore } from '../shared/adapters/devices-store.js';
import { PushEndpoints } from '../shared/adapters/push-endpoints.js';
import { UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { snsClient } from '../shared/aws/sns.js';
import { ENV, optionalEnv, requiredEnv } from '../shared/environment.js';
import { ApiError, notFound } from '../shared/http/api-error.js';
import { apiHandler } from '../shared/http/api-handler.js';
import { producerOf, requireScope } from '../shared/http/producer.js';
import { parseJsonBody, parsePathParameters } from '../shared/http/request.js';
import { json, noContent } from '../shared/http/responses.js';
import { logger } from '../shared/observability.js';
import { deviceRegistrationSchema, type PushPlatform } from '../shared/schemas/device-registration.js';
import { deviceIdSchema, userIdSchema } from '../shared/schemas/identifiers.js';

const devices = new DevicesStore(requiredEnv(ENV.devicesTable), documentClient);
const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);
const endpoints = new PushEndpoints(snsClient);
const platformApplications: Record<PushPlatform, string | undefined> = {
  apns: optionalEnv(ENV.apnsPlatformApplicationArn),
  fcm: optionalEnv(ENV.fcmPlatformApplicationArn),
};

const userPath = z.object({ user_id: userIdSchema });
const devicePath = z.object({ user_id: userIdSchema, device_id: deviceIdSchema });

/**
 * The same token registered again is the same device: its id is derived from the token, so an app that
 * registers on every launch does not pile up devices. The id reveals nothing of the token.
 */
function deviceIdOf(platform: PushPlatform, token: string): string {
  return createHash('sha256').update(`${platform}:${token}`).digest('hex').slice(0, 32);
}

/** POST, GET /v1/users/{user_id}/devices and DELETE /v1/users/{user_id}/devices/{device_id} */
export const handler = apiHandler(async (event) => {
  switch (event.httpMethod) {
    case 'POST': {
      const producer = requireScope(event, 'preferences:write');
      const { user_id } = parsePathParameters(event, userPath);
      logger.appendKeys({ producer: producer.name, user_id });
      const { platform, token } = parseJsonBody(event, deviceRegistrationSchema);
      const application = platformApplications[platform];
      if (!application) {
        throw new ApiError(422, 'platform_not_configured', `push to ${platform} is not configured on this platform`, [
          { field: 'platform', message: `has no SNS platform application configured` },
        ]);
      }
      const device_id = deviceIdOf(platform, token);
      const endpoint_arn = await endpoints.register(application, token);
      await devices.save({ user_id, device_id, platform, endpoint_arn, created_at: new Date().toISOString() });
      await users.addDevice(user_id, device_id);
      logger.info('device registered', { device_id, platform });
      return json(201, { device_id });
    }
    case 'GET': {
      const producer = producerOf(event);
      const { user_id } = parsePathParameters(event, userPath);
      logger.appendKeys({ producer: producer.name, user_id });
      const list = await devices.list(user_id);
      return json(200, {
        devices: list.map(({ device_id, platform, created_at }) => ({ device_id, platform, created_at })),
      });
    }
    case 'DELETE': {
      const producer = requireScope(event, 'preferences:write');
      const { user_id, device_id } = parsePathParameters(event, devicePath);
      logger.appendKeys({ producer: producer.name, user_id });
      const device = await devices.find(user_id, device_id);
      if (!device) throw notFound(`device ${device_id} of user ${user_id}`);
      // The user stops counting the device first: a notification accepted meanwhile skips push, not fails it.
      await users.removeDevice(user_id, device_id);
      await endpoints.remove(device.endpoint_arn);
      await devices.remove(user_id, device_id);
      logger.info('device removed', { device_id });
      return noContent();
    }
    default:
      throw new ApiError(405, 'method_not_allowed', `${event.httpMethod} is not supported here`);
  }
});
