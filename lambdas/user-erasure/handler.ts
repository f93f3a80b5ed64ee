import { z } from 'zod';
import { DeviceRegistry } from '../shared/adapters/device-registry.js';
import { NotificationsStore } from '../shared/adapters/notifications-store.js';
import { PushEndpoints } from '../shared/adapters/push-endpoints.js';
import { UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { snsClient } from '../shared/aws/sns.js';
import { ENV, requiredEnv } from '../shared/environment.js';
import { apiHandler } from '../shared/http/api-handler.js';
import { requireScope } from '../shared/http/producer.js';
import { parsePathParameters } from '../shared/http/request.js';
import { noContent } from '../shared/http/responses.js';
import { logger } from '../shared/observability.js';
import { userIdSchema } from '../shared/schemas/identifiers.js';

const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);
const registry = new DeviceRegistry(
  { devices: requiredEnv(ENV.devicesTable), users: requiredEnv(ENV.usersTable) },
  documentClient,
  new PushEndpoints(snsClient),
);
const notifications = new NotificationsStore(requiredEnv(ENV.notificationsTable), documentClient);
const pathSchema = z.object({ user_id: userIdSchema });
// Records are erased this many at a time: a person with months of notifications is erased in seconds, not minutes.
const ERASE_CONCURRENCY = 16;

/**
 * DELETE /v1/users/{user_id}: forgets a person. Their devices go first (with their SNS endpoints), then their
 * item (preferences, contacts, locale), then their name on every notification record. Idempotent: erasing again,
 * or erasing someone never seen, answers 204 too; a call cut short is finished by the next one.
 */
export const handler = apiHandler(async (event) => {
  const producer = requireScope(event, 'preferences:write');
  const { user_id } = parsePathParameters(event, pathSchema);
  logger.appendKeys({ producer: producer.name, user_id });

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
});
