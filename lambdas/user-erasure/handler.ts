import { DeviceRegistry } from '../channels/push/device-registry.js';
import { PushEndpoints } from '../channels/push/endpoints.js';
import { snsClient } from '../channels/push/sns-clients.js';
import { NotificationsStore } from '../shared/adapters/notifications-store.js';
import { UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { noContent } from '../shared/http/responses.js';
import { logger } from '../shared/observability.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';

const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);
const registry = new DeviceRegistry(
  { devices: requiredEnv(ENV.devicesTable), users: requiredEnv(ENV.usersTable) },
  documentClient,
  new PushEndpoints(snsClient),
);
const notifications = new NotificationsStore(requiredEnv(ENV.notificationsTable), documentClient);
// Records are erased this many at a time: a person with months of notifications is erased in seconds, not minutes.
const ERASE_CONCURRENCY = 16;

/**
 * Forgets a person. Their devices go first (with their SNS endpoints), then their
 * item (preferences, contacts, locale), then their name on every notification record. Idempotent: erasing again,
 * or erasing someone never seen, answers 204 too; a call cut short is finished by the next one.
 */
export const handler = operationsHandler({
  erasePerson: async ({ path: { user_id } }) => {
    // Devices before the person's item: forgetting one updates that item, which would otherwise come back.
    const devices = await registry.listFor(user_id);
    for (const device of devices) await registry.forget(user_id, device);
    await users.remove(user_id);
    let records = 0;
    for await (const ids of notifications.notificationIdsOf(user_id)) {
      for (let start = 0; start < ids.length; start += ERASE_CONCURRENCY) {
        await Promise.all(ids.slice(start, start + ERASE_CONCURRENCY).map((id) => notifications.eraseRecipient(id)));
      }
      records += ids.length;
    }
    logger.info('person erased', { devices: devices.length, notification_records: records });
    return noContent();
  },
});
