import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { NotificationsStore } from '../../shared/adapters/notifications-store.js';
import { documentClient } from '../../shared/aws/dynamodb.js';
import { ApiError } from '../../shared/http/api-error.js';
import { apiHandler } from '../../shared/http/api-handler.js';
import { header } from '../../shared/http/request.js';
import { noContent } from '../../shared/http/responses.js';
import { logger, metrics } from '../../shared/observability.js';
import { ENV, requiredEnv } from '../../shared/platform/environment.js';
import { OPERATIONS } from '../../shared/platform/operations.js';
import { NOTIFICATION_PARAMETER, parseTwilioStatus } from './feedback.js';
import { loadTwilioSettings, statusCallbackUrl } from './sender.js';
import { signedByTwilio } from './twilio-signature.js';

const notifications = new NotificationsStore(requiredEnv(ENV.notificationsTable), documentClient);
const webhook = `${requiredEnv(ENV.publicApiUrl)}${OPERATIONS.twilioStatusCallback.path}`;
let authToken: Promise<string> | undefined;

/** The account's auth token, read once per instance (deployed, from the secret); a failed read is not kept. */
function twilioAuthToken(): Promise<string> {
  authToken ??= loadTwilioSettings()
    .then((settings) => settings.auth_token)
    .catch((error) => {
      authToken = undefined;
      throw error;
    });
  return authToken;
}

/**
 * Twilio's status callbacks: a text's status moves to delivered or undelivered. Signed by Twilio over the URL it was
 * given (the platform's public one, the notification's id in its query) or refused with 403, changing nothing.
 */
export const handler = apiHandler(async (event) => {
  const parameters = formParameters(event);
  const notificationId = event.queryStringParameters?.[NOTIFICATION_PARAMETER] ?? '';
  const signed = signedByTwilio(
    await twilioAuthToken(),
    header(event, 'X-Twilio-Signature'),
    statusCallbackUrl(webhook, notificationId),
    parameters,
  );
  if (!signed) {
    logger.warn('webhook refused: not signed by Twilio');
    metrics.addMetric('WebhooksRefused', MetricUnit.Count, 1);
    throw new ApiError(403, 'forbidden', 'the request is not signed by Twilio');
  }
  const feedback = parseTwilioStatus(parameters, new Date().toISOString());
  if (typeof feedback === 'string') {
    logger.info('status callback without an outcome', { reason: feedback });
    return noContent();
  }
  const result = await notifications.recordProviderOutcome(notificationId, 'sms', {
    ...feedback.event,
    providerMessageId: feedback.providerMessageId,
  });
  logger.info('provider outcome', { notification_id: notificationId, outcome: feedback.event.status, result });
  return noContent();
});

/** The form Twilio posts; a repeated name keeps its last value (Twilio sends none twice). */
function formParameters(event: APIGatewayProxyEvent): Record<string, string> {
  const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  return Object.fromEntries(new URLSearchParams(body));
}
