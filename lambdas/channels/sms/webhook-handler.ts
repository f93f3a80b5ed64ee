import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { NotificationsStore } from '../../shared/adapters/notifications-store.js';
import { UsersStore } from '../../shared/adapters/users-store.js';
import { WebhookReceipts } from '../../shared/adapters/webhook-receipts.js';
import { documentClient } from '../../shared/aws/dynamodb.js';
import { countOutcome } from '../../shared/delivery/outcome-metrics.js';
import { ApiError } from '../../shared/http/api-error.js';
import { apiHandler } from '../../shared/http/api-handler.js';
import { formFields, header } from '../../shared/http/request.js';
import { noContent } from '../../shared/http/responses.js';
import { logger, metrics } from '../../shared/observability.js';
import { ENV, requiredEnv } from '../../shared/platform/environment.js';
import { OPERATIONS } from '../../shared/platform/operations.js';
import { NOTIFICATION_PARAMETER, parseTwilioStatus } from './feedback.js';
import { answerInboundText } from './inbound-message.js';
import { signingTokens, statusCallbackUrl, twilioCredentials } from './twilio-settings.js';
import { signedByTwilio } from './twilio-signature.js';
import { twimlReply } from './twiml.js';
import { smsWordingFromEnv } from './wording.js';

const notifications = new NotificationsStore(requiredEnv(ENV.notificationsTable), documentClient);
const users = new UsersStore(requiredEnv(ENV.usersTable), documentClient);
const receipts = new WebhookReceipts(requiredEnv(ENV.notificationsTable), documentClient);
const publicApiUrl = requiredEnv(ENV.publicApiUrl);
const wording = smsWordingFromEnv();
type Parameters = Readonly<Record<string, string>>;

/**
 * Twilio's webhooks, each with the public URL Twilio was given (and signs): a status callback's names its
 * notification in the query, the number's incoming-message webhook is the route itself.
 */
const WEBHOOKS: Record<
  string,
  {
    readonly signedUrl: (event: APIGatewayProxyEvent) => string;
    readonly handle: (parameters: Parameters, event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  }
> = {
  [OPERATIONS.twilioStatusCallback.path]: {
    signedUrl: (event) =>
      statusCallbackUrl(`${publicApiUrl}${OPERATIONS.twilioStatusCallback.path}`, notificationOf(event)),
    handle: recordStatus,
  },
  [OPERATIONS.twilioInboundMessage.path]: {
    signedUrl: () => `${publicApiUrl}${OPERATIONS.twilioInboundMessage.path}`,
    handle: answerText,
  },
};

/**
 * Twilio's webhooks: status callbacks and texts to the platform's number. Each must be signed by Twilio over the URL
 * it was given, or it is refused with 403 and changes nothing; a replay is answered and changes nothing either.
 */
export const handler = apiHandler(async (event) => {
  const webhook = WEBHOOKS[event.resource.replace(/^\/v1(?=\/)/, '')];
  if (!webhook || event.httpMethod !== 'POST')
    throw new ApiError(405, 'method_not_allowed', `${event.httpMethod} is not supported here`);
  // The form Twilio posts (it sends no name twice).
  const parameters = formFields(event);
  if (!(await isSignedByTwilio(header(event, 'X-Twilio-Signature'), webhook.signedUrl(event), parameters))) {
    logger.warn('webhook refused: not signed by Twilio');
    metrics.addMetric('WebhooksRefused', MetricUnit.Count, 1);
    throw new ApiError(403, 'forbidden', 'the request is not signed by Twilio');
  }
  return webhook.handle(parameters, event);
});

/**
 * Whether Twilio signed the request, with the account's auth token or, during a rotation, the previous one. A signature
 * that matches neither may be made with a token this instance does not hold yet (rotated a moment ago): the
 * credentials are read afresh once, rather than refusing every webhook (and losing every STOP) until the cache expires.
 */
async function isSignedByTwilio(signature: string | undefined, url: string, parameters: Parameters): Promise<boolean> {
  const signed = await twilioCredentials.withFreshOnRefusal((settings) =>
    signingTokens(settings).some((token) => signedByTwilio(token, signature, url, parameters)) ? true : undefined,
  );
  return signed === true;
}

/** A text's status moves to delivered or undelivered; the same status reported again is the same event. */
async function recordStatus(parameters: Parameters, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const notificationId = notificationOf(event);
  const feedback = parseTwilioStatus(parameters, new Date().toISOString());
  if (typeof feedback === 'string') {
    logger.info('status callback without an outcome', { reason: feedback });
    return noContent();
  }
  const { result, notification } = await notifications.recordProviderOutcome(notificationId, 'sms', {
    ...feedback.event,
    providerMessageId: feedback.providerMessageId,
    // Twilio's callback carries no time of its own: one status of one message is one event however often it comes.
    eventKey: `${feedback.providerMessageId}:${feedback.event.detail?.twilio_status ?? feedback.event.status}`,
  });
  logger.info('provider outcome', { notification_id: notificationId, outcome: feedback.event.status, result });
  if (notification) countOutcome('sms', feedback.event, notification);
  return noContent();
}

/**
 * STOP, START or HELP texted to the platform's number, answered with TwiML; a replayed text changes nothing. The
 * receipt is written after the text was acted on: one cut short is acted on when it comes again.
 */
async function answerText(parameters: Parameters): Promise<APIGatewayProxyResult> {
  const receipt = `twilio:${parameters.MessageSid ?? parameters.SmsSid ?? ''}`;
  if (await receipts.actedOn(receipt)) {
    logger.info('text replayed: nothing changes');
    metrics.addMetric('WebhooksReplayed', MetricUnit.Count, 1);
    return twiml(twimlReply());
  }
  const answer = await answerInboundText(parameters, users, { wording, at: new Date().toISOString() });
  await receipts.record(receipt);
  // The word a person texted is safe to log; their number and any other message are not.
  logger.info('text received', { keyword: answer.keyword?.word ?? null, switched: answer.switched });
  if (answer.keyword) metrics.addMetric(`SmsKeyword_${answer.keyword.request}`, MetricUnit.Count, 1);
  return twiml(answer.twiml);
}

function twiml(body: string): APIGatewayProxyResult {
  return { statusCode: 200, headers: { 'Content-Type': 'text/xml' }, body };
}

function notificationOf(event: APIGatewayProxyEvent): string {
  return event.queryStringParameters?.[NOTIFICATION_PARAMETER] ?? '';
}
