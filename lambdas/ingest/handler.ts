import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ChannelQueues } from '../shared/adapters/channel-queues.js';
import { NotificationsStore } from '../shared/adapters/notifications-store.js';
import { TemplatesStore } from '../shared/adapters/templates-store.js';
import { UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { sqsClient } from '../shared/aws/sqs.js';
import { userReads } from '../shared/aws/user-reads.js';
import { ENV, numberEnv, queueUrlsFromEnv, requiredEnv } from '../shared/environment.js';
import { apiHandler } from '../shared/http/api-handler.js';
import { requireScope, requireTypeOwnership } from '../shared/http/producer.js';
import { header, parseJsonBody, validate } from '../shared/http/request.js';
import { json } from '../shared/http/responses.js';
import { logger, metrics } from '../shared/observability.js';
import { idempotencyKeySchema } from '../shared/schemas/identifiers.js';
import { notificationRequestSchema } from '../shared/schemas/notification-request.js';
import { NotificationIntake } from './notification-intake.js';

const intake = new NotificationIntake({
  users: new UsersStore(requiredEnv(ENV.usersTable), documentClient, userReads),
  templates: new TemplatesStore(
    requiredEnv(ENV.templatesTable),
    documentClient,
    numberEnv(ENV.templateCacheSeconds, 30),
  ),
  notifications: new NotificationsStore(requiredEnv(ENV.notificationsTable), documentClient),
  queues: new ChannelQueues(queueUrlsFromEnv(), sqsClient),
});

/** POST /v1/notifications */
export const handler = apiHandler(async (event) => {
  const producer = requireScope(event, 'notifications:send');
  const request = parseJsonBody(event, notificationRequestSchema);
  requireTypeOwnership(producer, request.type);
  const rawKey = header(event, 'Idempotency-Key');
  const idempotencyKey = rawKey === undefined ? undefined : validate(idempotencyKeySchema, rawKey, 'Idempotency-Key');
  logger.appendKeys({ producer: producer.name, type: request.type, user_id: request.user_id });

  const accepted = await intake.accept({ request, producer, idempotencyKey });
  logger.info('notification accepted', { status: accepted.status });
  metrics.addMetric(
    accepted.status === 'queued' ? 'NotificationsQueued' : 'NotificationsSuppressed',
    MetricUnit.Count,
    1,
  );
  for (const [channel, decision] of Object.entries(accepted.channels)) {
    const perChannel = metrics.singleMetric();
    perChannel.addDimensions({ channel, decision: decision?.status ?? 'unknown' });
    perChannel.addMetric('ChannelDecisions', MetricUnit.Count, 1);
  }
  return json(202, accepted);
}).use(logMetrics(metrics, { captureColdStartMetric: true }));
