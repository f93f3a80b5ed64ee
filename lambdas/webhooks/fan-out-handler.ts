import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { WebhookDeliveries } from '../shared/adapters/webhook-deliveries.js';
import { WebhooksStore } from '../shared/adapters/webhooks-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { sqsClient } from '../shared/aws/sqs.js';
import { jsonOrUndefined } from '../shared/delivery/record-handler.js';
import type { StateEvent } from '../shared/domain/state-events.js';
import { countWith, logger, metrics } from '../shared/observability.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { WEBHOOKS } from '../shared/platform/resources.js';
import { stateEventOf, WebhookFanOut } from './webhook-fan-out.js';

const fanOut = new WebhookFanOut(
  new WebhooksStore(requiredEnv(ENV.webhooksTable), documentClient, WEBHOOKS.attemptRetentionDays),
  new WebhookDeliveries(
    { prompt: requiredEnv(ENV.webhookPromptQueueUrl), slow: requiredEnv(ENV.webhookSlowQueueUrl) },
    sqsClient,
  ),
);

/**
 * The bus's events for webhooks (its rule's queue), a batch at a time: each becomes a delivery job per endpoint that
 * wants it. A batch that could not be queued whole comes back whole: a job queued twice is delivered twice with the
 * same webhook-id, which the receiver deduplicates.
 */
export const handler = middy(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const events: StateEvent[] = [];
  for (const record of event.Records) {
    const stateEvent = stateEventOf(jsonOrUndefined(record.body));
    if (stateEvent) events.push(stateEvent);
    else logger.error('not a state event: dropped', { message_id: record.messageId });
  }
  const queued = await fanOut.fanOut(events);
  countWith('WebhookDeliveriesQueued', {}, queued);
  return { batchItemFailures: [] };
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
