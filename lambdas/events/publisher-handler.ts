import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { EventBus } from '../shared/adapters/event-bus.js';
import { eventBridgeClient } from '../shared/aws/eventbridge.js';
import { countWith, logger, metrics } from '../shared/observability.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { StreamPublisher } from './stream-publisher.js';

const publisher = new StreamPublisher(
  new EventBus(requiredEnv(ENV.eventBusName), eventBridgeClient),
  (record, error) => {
    logger.error('a stream record could not be read: its events are not published', {
      sequence_number: record.dynamodb?.SequenceNumber,
      error: error.name,
    });
    countWith('StateEventRecords', { outcome: 'unreadable' });
  },
);

/**
 * The notifications table's stream, a batch at a time, onto the event bus. Its event source mapping retries from the
 * record it answers, for as long as the stream keeps records (24 hours): an event is never dropped for a throttle.
 */
export const handler = middy(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const { batchItemFailures, published } = await publisher.publish(event.Records);
  countWith('StateEventsPublished', {}, published);
  if (batchItemFailures.length > 0)
    logger.warn('the bus refused events: the stream gives them again', { records: event.Records.length, published });
  return { batchItemFailures };
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
