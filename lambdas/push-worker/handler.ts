import { DeviceRegistry } from '../shared/adapters/device-registry.js';
import { PushEndpoints } from '../shared/adapters/push-endpoints.js';
import { PushSender } from '../shared/adapters/push-sender.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { pushClient, snsClient } from '../shared/aws/sns.js';
import { PushDeliverer } from '../shared/delivery/push-deliverer.js';
import { channelWorkerHandler } from '../shared/delivery/worker-handler.js';
import { ENV, requiredEnv } from '../shared/environment.js';
import { templateRenderer } from '../shared/templates/bounded-renderer.js';

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
);
