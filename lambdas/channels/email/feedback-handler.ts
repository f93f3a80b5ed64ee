import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { NotificationsStore } from '../../shared/adapters/notifications-store.js';
import { addressKey, SuppressionList } from '../../shared/adapters/suppression-list.js';
import { documentClient } from '../../shared/aws/dynamodb.js';
import { countOutcome } from '../../shared/delivery/outcome-metrics.js';
import { logger, metrics } from '../../shared/observability.js';
import { ENV, numberEnv, requiredEnv } from '../../shared/platform/environment.js';
import { type EmailFeedback, parseSesFeedback } from './feedback.js';

const notifications = new NotificationsStore(requiredEnv(ENV.notificationsTable), documentClient);
const suppressions = new SuppressionList(requiredEnv(ENV.suppressionsTable), documentClient);
const softBounces = {
  threshold: numberEnv(ENV.softBounceThreshold, 3),
  windowSeconds: numberEnv(ENV.softBounceWindowSeconds, 7 * 24 * 3600),
};

/**
 * Records what SES said of each email: the notification's email status and events, and the suppression list. One
 * record's failure is retried alone (partial batch response); what is no SES event is dropped, counted and logged
 * by its reason, never its content.
 */
async function handle(record: SQSRecord): Promise<void> {
  const feedback = parseSesFeedback(record.body);
  if (typeof feedback === 'string') {
    logger.warn('feedback dropped', { reason: feedback, message_id: record.messageId });
    metrics.addMetric('FeedbackDropped', MetricUnit.Count, 1);
    return;
  }
  await Promise.all([recordOutcome(feedback), ...suppressionsOf(feedback)]);
}

async function recordOutcome(feedback: EmailFeedback): Promise<void> {
  if (!feedback.notificationId) {
    // An email sent before the tag existed, or by something else with this configuration set.
    logger.info('feedback for an email of no notification', { outcome: feedback.outcome });
    metrics.addMetric('FeedbackWithoutNotification', MetricUnit.Count, 1);
    return;
  }
  const event = {
    status: feedback.outcome,
    at: feedback.at,
    ...(Object.keys(feedback.detail).length > 0 ? { detail: feedback.detail } : {}),
  };
  const { result, notification } = await notifications.recordProviderOutcome(feedback.notificationId, 'email', {
    ...event,
    providerMessageId: feedback.providerMessageId,
  });
  logger.info('provider outcome', { notification_id: feedback.notificationId, outcome: feedback.outcome, result });
  if (notification) countOutcome('email', event, notification);
}

function suppressionsOf(feedback: EmailFeedback): Promise<unknown>[] {
  const reason = feedback.outcome === 'complained' ? 'complaint' : 'bounce';
  return [
    ...feedback.suppress.map(async (address) => {
      await suppressions.suppress('email', address, reason, feedback.at, feedback.detail);
      // The address is never logged: its key names it for whoever holds the table.
      logger.info('address suppressed', { address_key: addressKey('email', address), reason });
    }),
    ...feedback.softBounced.map(async (address) => {
      const suppressed = await suppressions.countSoftBounce(
        'email',
        address,
        feedback.feedbackId,
        feedback.at,
        softBounces,
      );
      if (suppressed)
        logger.info('address suppressed', { address_key: addressKey('email', address), reason: 'soft_bounces' });
    }),
  ];
}

/** Consumes the email feedback queue (SES event publishing, through SNS). */
export const handler = middy(
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, handle, new BatchProcessor(EventType.SQS), {
      context,
      throwOnFullBatchFailure: false,
    }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
