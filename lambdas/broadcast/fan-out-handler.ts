import type { SQSRecord } from 'aws-lambda';
import { BroadcastProgressStore } from '../shared/adapters/broadcast-progress.js';
import { ChannelQueues } from '../shared/adapters/channel-queues.js';
import { CoalescedChannelQueues } from '../shared/adapters/coalesced-channel-queues.js';
import { CoalescedSuppressionList } from '../shared/adapters/coalesced-suppression-list.js';
import { FanOutQueue, fanOutMessageSchema } from '../shared/adapters/fan-out-queue.js';
import { FrequencyCounters } from '../shared/adapters/frequency-counters.js';
import { NotificationsStore } from '../shared/adapters/notifications-store.js';
import { TemplatesStore } from '../shared/adapters/templates-store.js';
import { TopicsStore } from '../shared/adapters/topics-store.js';
import { UsersStore } from '../shared/adapters/users-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { sqsClient } from '../shared/aws/sqs.js';
import { jsonOrUndefined, queueRecordsHandler } from '../shared/delivery/record-handler.js';
import { countWith, logger } from '../shared/observability.js';
import { categoryCatalogue } from '../shared/platform/category-catalogue.js';
import { bulkQueueUrlsFromEnv, ENV, numberEnv, requiredEnv } from '../shared/platform/environment.js';
import { suppressionPeppers } from '../shared/platform/suppression-keys.js';
import { BroadcastFanOut } from './broadcast-fan-out.js';

const notificationsTable = requiredEnv(ENV.notificationsTable);
const suppressionsTable = requiredEnv(ENV.suppressionsTable);
// A broadcast's jobs go only to the bulk lanes.
const bulkLanes = new ChannelQueues({}, sqsClient, bulkQueueUrlsFromEnv());
const shared = {
  users: new UsersStore(requiredEnv(ENV.usersTable), documentClient),
  templates: new TemplatesStore(
    requiredEnv(ENV.templatesTable),
    documentClient,
    numberEnv(ENV.templateCacheSeconds, 30),
  ),
  notifications: new NotificationsStore(notificationsTable, documentClient),
  topics: new TopicsStore(requiredEnv(ENV.topicsTable), documentClient),
  progress: new BroadcastProgressStore(notificationsTable, documentClient),
  fanOutQueue: new FanOutQueue(requiredEnv(ENV.fanOutQueueUrl), sqsClient),
  categories: categoryCatalogue(),
  frequencyCounters: new FrequencyCounters(notificationsTable, documentClient),
};

/**
 * The fan-out of one chunk: its recipients' suppression reads and their jobs go out together, a BatchGetItem and a
 * SendMessageBatch for many (the coalescing adapters hold one chunk's calls, so they are made per chunk).
 */
function chunkFanOut(): BroadcastFanOut {
  return new BroadcastFanOut({
    ...shared,
    queues: new CoalescedChannelQueues(bulkLanes, sqsClient),
    suppressions: new CoalescedSuppressionList(suppressionsTable, documentClient, suppressionPeppers),
  });
}

/** One chunk of a broadcast: its recipients dispatched once, however often it is delivered. */
async function fanOutChunk(record: SQSRecord): Promise<void> {
  const parsed = fanOutMessageSchema.safeParse(jsonOrUndefined(record.body));
  if (!parsed.success) {
    // Only a hand-made message can be one: nothing names a broadcast, and no retry could change that.
    logger.error('not a fan-out message: dropped', { message_id: record.messageId });
    countWith('BroadcastChunks', { outcome: 'unreadable' });
    return;
  }
  logger.appendKeys({ notification_id: parsed.data.broadcast_id, chunk: parsed.data.chunk });
  const result = await chunkFanOut().fanOut(parsed.data);
  logger.info('broadcast chunk fanned out', { ...result });
  countWith('BroadcastChunks', { outcome: result.outcome });
}

/** Consumes the fan-out queue, each chunk on its own (partial batch responses). */
export const handler = queueRecordsHandler(fanOutChunk);
