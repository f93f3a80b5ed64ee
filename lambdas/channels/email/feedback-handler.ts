import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { NotificationsStore } from '../../shared/adapters/notifications-store.js';
import { SuppressionList } from '../../shared/adapters/suppression-list.js';
import { documentClient } from '../../shared/aws/dynamodb.js';
import { feedbackHandler } from '../../shared/delivery/feedback-consumer.js';
import { countOutcome } from '../../shared/delivery/outcome-metrics.js';
import { logger, metrics } from '../../shared/observability.js';
import { ENV, numberEnv, requiredEnv } from '../../shared/platform/environment.js';
import { suppressionPeppers } from '../../shared/platform/suppression-keys.js';
import { type EmailFeedback, parseSesFeedback, UNREADABLE_FEEDBACK } from './feedback.js';

const notifications = new NotificationsStore(requiredEnv(ENV.notificationsTable), documentClient);
const suppressions = new SuppressionList(requiredEnv(ENV.suppressionsTable), documentClient, suppressionPeppers);
const softBounces = {
  threshold: numberEnv(ENV.softBounceThreshold, 3),
  windowSeconds: numberEnv(ENV.softBounceWindowSeconds, 7 * 24 * 3600),
};

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
      logger.info('address suppressed', { address_key: await suppressions.keyOf('email', address), reason });
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
        logger.info('address suppressed', {
          address_key: await suppressions.keyOf('email', address),
          reason: 'soft_bounces',
        });
    }),
  ];
}

/**
 * Consumes the email feedback queue (SES event publishing, through SNS): the notification's email status and events,
 * and the suppression list.
 */
export const handler = feedbackHandler({
  channel: 'email',
  parse: parseSesFeedback,
  unreadable: UNREADABLE_FEEDBACK,
  act: (feedback: EmailFeedback) => Promise.all([recordOutcome(feedback), ...suppressionsOf(feedback)]).then(() => {}),
});
