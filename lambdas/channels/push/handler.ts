import { documentClient } from '../../shared/aws/dynamodb.js';
import { channelWorkerHandler } from '../../shared/delivery/worker-handler.js';
import { ENV, requiredEnv } from '../../shared/platform/environment.js';
import { templateRenderer } from '../../shared/templates/bounded-renderer.js';
import { PushDeliverer } from './deliverer.js';
import { DeviceRegistry } from './device-registry.js';
import { PushEndpoints } from './endpoints.js';
import { PushSender } from './sender.js';
import { pushClient, snsClient } from './sns-clients.js';

/** Consumes the push queue and delivers through SNS mobile push (APNs and FCM). */
export const handler = channelWorkerHandler(
  new PushDeliverer(
    new PushSender(pushClient),
    new DeviceRegistry(
      { devices: requiredEnv(ENV.devicesTable), users: requiredEnv(ENV.usersTable) },
      documentClient,
      new PushEndpoints(snsClient),
    ),
    templateRenderer,
  ),
  [pushClient],
);
