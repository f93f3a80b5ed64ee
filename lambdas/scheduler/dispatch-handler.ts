import type { SQSRecord } from 'aws-lambda';
import { ChannelQueues } from '../shared/adapters/channel-queues.js';
import { DeferredJobs } from '../shared/adapters/deferred-jobs.js';
import { DigestWindows } from '../shared/adapters/digest-windows.js';
import { DispatchQueue, dispatchMessageSchema } from '../shared/adapters/dispatch-queue.js';
import { FanOutQueue } from '../shared/adapters/fan-out-queue.js';
import { FrequencyCounters } from '../shared/adapters/frequency-counters.js';
import { NotificationsStore } from '../shared/adapters/notifications-store.js';
import { SuppressionList } from '../shared/adapters/suppression-list.js';
import { TemplatesStore } from '../shared/adapters/templates-store.js';
import { UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { sqsClient } from '../shared/aws/sqs.js';
import { jsonOrUndefined, queueRecordsHandler } from '../shared/delivery/record-handler.js';
import { DigestCollector } from '../shared/dispatch/digest-collector.js';
import { ScheduleHandOff } from '../shared/dispatch/schedule-hand-off.js';
import { countWith, logger } from '../shared/observability.js';
import { categoryCatalogue } from '../shared/platform/category-catalogue.js';
import { bulkQueueUrlsFromEnv, ENV, numberEnv, queueUrlsFromEnv, requiredEnv } from '../shared/platform/environment.js';
import { suppressionPeppers } from '../shared/platform/suppression-keys.js';
import { ScheduledDispatch } from './scheduled-dispatch.js';

const dispatchQueue = new DispatchQueue(requiredEnv(ENV.dispatchQueueUrl), sqsClient);
const notificationsTable = requiredEnv(ENV.notificationsTable);
const notifications = new NotificationsStore(notificationsTable, documentClient);
const scheduled = new ScheduledDispatch({
  users: new UsersStore(requiredEnv(ENV.usersTable), documentClient),
  templates: new TemplatesStore(
    requiredEnv(ENV.templatesTable),
    documentClient,
    numberEnv(ENV.templateCacheSeconds, 30),
  ),
  notifications,
  // A broadcast's job set aside for quiet hours goes back onto its bulk lane.
  queues: new ChannelQueues(queueUrlsFromEnv(), sqsClient, bulkQueueUrlsFromEnv()),
  suppressions: new SuppressionList(requiredEnv(ENV.suppressionsTable), documentClient, suppressionPeppers),
  categories: categoryCatalogue(),
  frequencyCounters: new FrequencyCounters(notificationsTable, documentClient),
  deferredJobs: new DeferredJobs(notificationsTable, documentClient),
  fanOutQueue: new FanOutQueue(requiredEnv(ENV.fanOutQueueUrl), sqsClient),
  digests: new DigestCollector({
    windows: new DigestWindows(notificationsTable, documentClient, notifications),
    handOff: new ScheduleHandOff({ dispatchQueue, notifications, clock: () => new Date() }),
  }),
});

/** One firing of a scheduled notification: dispatched once, however often it fires. */
async function fire(record: SQSRecord): Promise<void> {
  const parsed = dispatchMessageSchema.safeParse(jsonOrUndefined(record.body));
  if (!parsed.success) {
    // Only a hand-made message can be one: nothing names a notification, and no retry could change that.
    logger.error('not a dispatch message: dropped', { message_id: record.messageId });
    countWith('ScheduledDispatches', { outcome: 'unreadable' });
    return;
  }
  const { notification_id, channel } = parsed.data;
  logger.appendKeys({ notification_id, ...(channel ? { channel } : {}) });
  const result = channel
    ? await scheduled.release(notification_id, channel)
    : await scheduled.fire(notification_id, record.messageId);
  if (result.outcome === 'not_due') {
    // Early (a message's delay is at most 15 minutes): it waits again for the rest.
    await dispatchQueue.send(notification_id, result.waitSeconds);
  }
  logger.info('scheduled notification fired', { outcome: result.outcome });
  countWith('ScheduledDispatches', { outcome: result.outcome });
}

/** Consumes the dispatch queue, each record on its own (partial batch responses). */
export const handler = queueRecordsHandler(fire);
