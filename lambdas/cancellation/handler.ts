import { BroadcastProgressStore } from '../shared/adapters/broadcast-progress.js';
import { DeliveryClaims } from '../shared/adapters/delivery-claims.js';
import { DigestWindows } from '../shared/adapters/digest-windows.js';
import { NotificationsStore } from '../shared/adapters/notifications-store.js';
import { TemplatesStore } from '../shared/adapters/templates-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { json } from '../shared/http/responses.js';
import { logger } from '../shared/observability.js';
import { ENV, numberEnv, requiredEnv } from '../shared/platform/environment.js';
import { NotificationCancellation } from './notification-cancellation.js';

const notificationsTable = requiredEnv(ENV.notificationsTable);
// Claims live beside the notifications; a cancel's claim holds no lease, so the lease length is never read.
const notifications = new NotificationsStore(notificationsTable, documentClient);
const cancellation = new NotificationCancellation({
  notifications,
  digests: new DigestWindows(notificationsTable, documentClient, notifications),
  claims: new DeliveryClaims(notificationsTable, documentClient, 0),
  broadcasts: new BroadcastProgressStore(notificationsTable, documentClient),
  templates: new TemplatesStore(
    requiredEnv(ENV.templatesTable),
    documentClient,
    numberEnv(ENV.templateCacheSeconds, 30),
  ),
});

/** Takes back a producer's notifications: one by its id, or every pending one under a cancel key. */
export const handler = operationsHandler({
  cancelNotification: async ({ producer, path: { notification_id } }) => {
    logger.appendKeys({ producer: producer.name, notification_id });
    const answer = await cancellation.cancel(notification_id, producer);
    logger.info('notification cancelled', { status: answer.status, cancelled: answer.cancelled });
    return json(200, answer);
  },
  cancelNotificationsByKey: async ({ producer, body: { cancel_key } }) => {
    logger.appendKeys({ producer: producer.name });
    return json(200, await cancellation.cancelByKey(cancel_key, producer));
  },
});
