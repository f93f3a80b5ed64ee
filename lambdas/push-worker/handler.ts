import { DevicesStore } from '../shared/adapters/devices-store.js';
import { PushEndpoints } from '../shared/adapters/push-endpoints.js';
import { PushSender } from '../shared/adapters/push-sender.js';
import { UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { snsClient } from '../shared/aws/sns.js';
import { PushDeliverer } from '../shared/delivery/push-deliverer.js';
import { channelWorkerHandler } from '../shared/delivery/worker-handler.js';
import { ENV, requiredEnv } from '../shared/environment.js';

/** Consumes the push queue and delivers through SNS mobile push (APNs and FCM). */
export const handler = channelWorkerHandler(
  new PushDeliverer(
    new PushSender(snsClient),
    new DevicesStore(requiredEnv(ENV.devicesTable), documentClient),
    new UsersStore(requiredEnv(ENV.usersTable), documentClient),
    new PushEndpoints(snsClient),
  ),
);
