import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ChannelQueues } from '../shared/adapters/channel-queues.js';
import { CoalescedSuppressionList } from '../shared/adapters/coalesced-suppression-list.js';
import { DigestWindows } from '../shared/adapters/digest-windows.js';
import { DispatchQueue } from '../shared/adapters/dispatch-queue.js';
import { FanOutQueue } from '../shared/adapters/fan-out-queue.js';
import { FrequencyCounters } from '../shared/adapters/frequency-counters.js';
import { IdempotencyKeys } from '../shared/adapters/idempotency-keys.js';
import { NotificationsStore } from '../shared/adapters/notifications-store.js';
import { SuppressionList } from '../shared/adapters/suppression-list.js';
import { TemplatesStore } from '../shared/adapters/templates-store.js';
import { TopicsStore } from '../shared/adapters/topics-store.js';
import { UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { sqsClient } from '../shared/aws/sqs.js';
import { userReads } from '../shared/aws/user-reads.js';
import { DigestCollector } from '../shared/dispatch/digest-collector.js';
import { ScheduleHandOff } from '../shared/dispatch/schedule-hand-off.js';
import type { AcceptedNotification } from '../shared/domain/notification.js';
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
import { acceptBatch, batchIntake } from './batch-intake.js';
import { NotificationIntake } from './notification-intake.js';

// Idempotency keys live in the notifications table: a key is reserved in one transaction with its notification.
const notificationsTable = requiredEnv(ENV.notificationsTable);
const notifications = new NotificationsStore(notificationsTable, documentClient);
const dispatchQueue = new DispatchQueue(requiredEnv(ENV.dispatchQueueUrl), sqsClient);
const suppressionsTable = requiredEnv(ENV.suppressionsTable);
const dependencies = {
  users: new UsersStore(requiredEnv(ENV.usersTable), documentClient, userReads),
  templates: new TemplatesStore(
    requiredEnv(ENV.templatesTable),
    documentClient,
    numberEnv(ENV.templateCacheSeconds, 30),
  ),
  notifications,
  idempotencyKeys: new IdempotencyKeys(notificationsTable, documentClient, notifications),
  queues: new ChannelQueues(queueUrlsFromEnv(), sqsClient),
  suppressions: new SuppressionList(suppressionsTable, documentClient, suppressionPeppers),
  categories: categoryCatalogue(),
  frequencyCounters: new FrequencyCounters(notificationsTable, documentClient),
  dispatchQueue,
  topics: new TopicsStore(requiredEnv(ENV.topicsTable), documentClient),
  fanOutQueue: new FanOutQueue(requiredEnv(ENV.fanOutQueueUrl), sqsClient),
  digests: new DigestCollector({
    windows: new DigestWindows(notificationsTable, documentClient, notifications),
    handOff: new ScheduleHandOff({ dispatchQueue, notifications, clock: () => new Date() }),
  }),
  maxScheduleDays: numberEnv(ENV.maxScheduleDays, DEFAULT_MAX_SCHEDULE_DAYS),
};
const intake = new NotificationIntake(dependencies);

/** What an accepted notification counts as. */
const ACCEPTED_METRICS = {
  queued: 'NotificationsQueued',
  scheduled: 'NotificationsScheduled',
  suppressed: 'NotificationsSuppressed',
  digested: 'NotificationsDigested',
  fanning_out: 'BroadcastsStarted',
} as const;

function countAccepted(accepted: AcceptedNotification): void {
  metrics.addMetric(ACCEPTED_METRICS[accepted.status], MetricUnit.Count, 1);
  for (const [channel, decision] of Object.entries(accepted.channels))
    countWith('ChannelDecisions', { channel, decision: decision?.status ?? 'unknown' });
}

/** Accepts a producer's notification, or a batch of them. */
export const handler = operationsHandler({
  sendNotification: async ({ producer, body: request, event }) => {
    requireTypeOwnership(producer, request.type);
    const rawKey = header(event, 'Idempotency-Key');
    const idempotencyKey = rawKey === undefined ? undefined : validate(idempotencyKeySchema, rawKey, 'Idempotency-Key');
    logger.appendKeys({ producer: producer.name, type: request.type, user_id: request.user_id, topic: request.topic });

    const accepted = await intake.accept({ request, producer, idempotencyKey });
    logger.info('notification accepted', { status: accepted.status });
    countAccepted(accepted);
    return json(202, accepted);
  },
  sendNotificationBatch: async ({ producer, body }) => {
    const batch = batchIntake(dependencies, {
      sqs: sqsClient,
      suppressions: new CoalescedSuppressionList(suppressionsTable, documentClient, suppressionPeppers),
    });
    const results = await acceptBatch(body.notifications, producer, batch);
    for (const result of results) if ('notification_id' in result) countAccepted(result);
    return json(200, { results });
  },
}).use(logMetrics(metrics, { captureColdStartMetric: true }));
