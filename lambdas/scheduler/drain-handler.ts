import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { DispatchQueue } from '../shared/adapters/dispatch-queue.js';
import { NotificationsStore } from '../shared/adapters/notifications-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { sqsClient } from '../shared/aws/sqs.js';
import { logger, metrics } from '../shared/observability.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { type DrainResult, DueDrain } from './due-drain.js';

const drainer = new DueDrain({
  notifications: new NotificationsStore(requiredEnv(ENV.notificationsTable), documentClient),
  dispatchQueue: new DispatchQueue(requiredEnv(ENV.dispatchQueueUrl), sqsClient),
});

/** A few seconds kept back from the function's timeout, to finish the page in hand. */
const STOP_BEFORE_TIMEOUT_MS = 5_000;

/** Run every minute (an EventBridge rule; the local runtime's timer): moves what falls due onto the dispatch queue. */
export const handler = middy(async (_event: unknown, context: Context): Promise<DrainResult> => {
  const result = await drainer.drain(
    new Date(),
    Date.now() + context.getRemainingTimeInMillis() - STOP_BEFORE_TIMEOUT_MS,
  );
  logger.info('due drain', { ...result });
  metrics.addMetric('ScheduledQueued', MetricUnit.Count, result.queued);
  if (result.refused > 0) metrics.addMetric('ScheduledQueueRefused', MetricUnit.Count, result.refused);
  return result;
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
