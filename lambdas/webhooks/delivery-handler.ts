import type { SQSRecord } from 'aws-lambda';
import { type DeliveryJob, WebhookDeliveries } from '../shared/adapters/webhook-deliveries.js';
import { WebhookSender } from '../shared/adapters/webhook-sender.js';
import { WebhooksStore } from '../shared/adapters/webhooks-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { sqsClient } from '../shared/aws/sqs.js';
import { jsonOrUndefined, queueRecordsHandler } from '../shared/delivery/record-handler.js';
import type { DeliveryLane } from '../shared/domain/webhooks.js';
import { countWith, logger } from '../shared/observability.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { WEBHOOKS } from '../shared/platform/resources.js';
import { WebhookDelivery } from './webhook-delivery.js';
import { destinationPolicyFromEnv, retryScheduleFromEnv } from './webhook-settings.js';

const queueUrls = {
  prompt: requiredEnv(ENV.webhookPromptQueueUrl),
  slow: requiredEnv(ENV.webhookSlowQueueUrl),
} as const;
const deliveries = new WebhookDeliveries(queueUrls, sqsClient);
const delivery = new WebhookDelivery({
  store: new WebhooksStore(requiredEnv(ENV.webhooksTable), documentClient, WEBHOOKS.attemptRetentionDays),
  deliveries,
  sender: new WebhookSender(destinationPolicyFromEnv()),
  retrySchedule: retryScheduleFromEnv(),
});

/** A job not due yet, answered as failed so that SQS keeps it, hidden until its time. */
class NotDueYet extends Error {
  override readonly name = 'NotDueYet';
}

/** The lane a record came from: its queue's name ends its ARN, as it ends the lane's URL. */
function laneOf(record: SQSRecord): DeliveryLane {
  const queueName = record.eventSourceARN.split(':').pop();
  return queueUrls.slow.endsWith(`/${queueName}`) ? 'slow' : 'prompt';
}

async function deliverRecord(record: SQSRecord): Promise<void> {
  const job = jsonOrUndefined(record.body) as DeliveryJob | undefined;
  if (typeof job?.endpoint_id !== 'string' || typeof job.event?.event_id !== 'string') {
    logger.error('not a webhook delivery: dropped', { message_id: record.messageId });
    countWith('WebhookDeliveries', { outcome: 'unreadable' });
    return;
  }
  const lane = laneOf(record);
  const outcome = await delivery.deliver(job, { lane, receiptHandle: record.receiptHandle });
  if (outcome === 'waiting') throw new NotDueYet(`delivery ${job.event.event_id} waits for ${job.due_at}`);
  // Ids only: the URL is the producer's, and the event is not logged.
  logger.info('webhook delivery', {
    endpoint_id: job.endpoint_id,
    event_id: job.event.event_id,
    attempt: job.attempt,
    lane,
    outcome,
  });
  countWith('WebhookDeliveries', { outcome, lane });
}

/** Delivers webhooks from either lane, each record on its own and at once (a slow endpoint holds only its own). */
export const handler = queueRecordsHandler(deliverRecord);
