import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ChannelQueues } from '../shared/adapters/channel-queues.js';
import { DigestWindows } from '../shared/adapters/digest-windows.js';
import { DispatchQueue } from '../shared/adapters/dispatch-queue.js';
import { FrequencyCounters } from '../shared/adapters/frequency-counters.js';
import { IdempotencyKeys } from '../shared/adapters/idempotency-keys.js';
import { NotificationsStore } from '../shared/adapters/notifications-store.js';
import { SuppressionList } from '../shared/adapters/suppression-list.js';
import { TemplatesStore } from '../shared/adapters/templates-store.js';
import { UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { sqsClient } from '../shared/aws/sqs.js';
import { userReads } from '../shared/aws/user-reads.js';
import { DigestCollector } from '../shared/dispatch/digest-collector.js';
import { ScheduleHandOff } from '../shared/dispatch/schedule-hand-off.js';
import { DEFAULT_MAX_SCHEDULE_DAYS } from '../shared/domain/schedule.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { requireTypeOwnership } from '../shared/http/producer.js';
import { header, validate } from '../shared/http/request.js';
import { json } from '../shared/http/responses.js';
import { countWith, logger, metrics } from '../shared/observability.js';
import { categoryCatalogue } from '../shared/platform/category-catalogue.js';
import { ENV, numberEnv, queueUrlsFromEnv, requiredEnv } from '../shared/platform/environment.js';
import { suppressionPeppers } from '../shared/platform/suppression-keys.js';
import { idempotencyKeySchema } from '../shared/schemas/identifiers.js';
import { NotificationIntake } from './notification-intake.js';

// Idempotency keys live in the notifications table: a key is reserved in one transaction with its notification.
const notificationsTable = requiredEnv(ENV.notificationsTable);
const notifications = new NotificationsStore(notificationsTable, documentClient);
const dispatchQueue = new DispatchQueue(requiredEnv(ENV.dispatchQueueUrl), sqsClient);
const intake = new NotificationIntake({
  users: new UsersStore(requiredEnv(ENV.usersTable), documentClient, userReads),
  templates: new TemplatesStore(
    requiredEnv(ENV.templatesTable),
    documentClient,
    numberEnv(ENV.templateCacheSeconds, 30),
  ),
  notifications,
  idempotencyKeys: new IdempotencyKeys(notificationsTable, documentClient, notifications),
  queues: new ChannelQueues(queueUrlsFromEnv(), sqsClient),
  suppressions: new SuppressionList(requiredEnv(ENV.suppressionsTable), documentClient, suppressionPeppers),
  categories: categoryCatalogue(),
  frequencyCounters: new FrequencyCounters(notificationsTable, documentClient),
  dispatchQueue,
  digests: new DigestCollector({
    windows: new DigestWindows(notificationsTable, documentClient, notifications),
    handOff: new ScheduleHandOff({ dispatchQueue, notifications, clock: () => new Date() }),
  }),
  maxScheduleDays: numberEnv(ENV.maxScheduleDays, DEFAULT_MAX_SCHEDULE_DAYS),
});

/** Accepts a producer's notification. */
export const handler = operationsHandler({
  sendNotification: async ({ producer, body: request, event }) => {
    requireTypeOwnership(producer, request.type);
    const rawKey = header(event, 'Idempotency-Key');
    const idempotencyKey = rawKey === undefined ? undefined : validate(idempotencyKeySchema, rawKey, 'Idempotency-Key');
    logger.appendKeys({ producer: producer.name, type: request.type, user_id: request.user_id });

    const accepted = await intake.accept({ request, producer, idempotencyKey });
    logger.info('notification accepted', { status: accepted.status });
    metrics.addMetric(
      accepted.status === 'queued'
        ? 'NotificationsQueued'
        : accepted.status === 'scheduled'
          ? 'NotificationsScheduled'
          : 'NotificationsSuppressed',
      MetricUnit.Count,
      1,
    );
    for (const [channel, decision] of Object.entries(accepted.channels))
      countWith('ChannelDecisions', { channel, decision: decision?.status ?? 'unknown' });
    return json(202, accepted);
  },
}).use(logMetrics(metrics, { captureColdStartMetric: true }));
