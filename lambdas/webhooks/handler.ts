import { randomUUID } from 'node:crypto';
import { resolvedAddressProblem } from '../shared/adapters/webhook-sender.js';
import { type DeliveryAttempt, TooManyEndpoints, WebhooksStore } from '../shared/adapters/webhooks-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import {
  MAX_ENDPOINTS_PER_PRODUCER,
  newSigningSecret,
  previousSecretValid,
  type WebhookEndpoint,
  webhookUrlProblem,
} from '../shared/domain/webhooks.js';
import { ApiError, invalidRequest } from '../shared/http/api-error.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { json, noContent } from '../shared/http/responses.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { WEBHOOKS } from '../shared/platform/resources.js';
import { pageCursor } from '../shared/schemas/paging.js';
import { destinationPolicyFromEnv } from './webhook-settings.js';

const store = new WebhooksStore(requiredEnv(ENV.webhooksTable), documentClient, WEBHOOKS.attemptRetentionDays);
const policy = destinationPolicyFromEnv();

const endpointNotFound = (endpointId: string) =>
  new ApiError(404, 'endpoint_not_found', `the webhook endpoint ${endpointId} was not found`);

/** An endpoint as a producer reads it: never its secrets. */
function endpointAnswer(endpoint: WebhookEndpoint, now = new Date()) {
  return {
    endpoint_id: endpoint.endpointId,
    url: endpoint.url,
    events: endpoint.events,
    status: endpoint.disabledAt ? 'disabled' : endpoint.failingSince ? 'failing' : 'enabled',
    created_at: endpoint.createdAt,
    failing_since: endpoint.failingSince,
    disabled_at: endpoint.disabledAt,
    previous_secret_expires_at: previousSecretValid(endpoint, now) ? endpoint.previousSecretExpiresAt : undefined,
  };
}

function attemptAnswer(attempt: DeliveryAttempt) {
  const result = attempt.result;
  return {
    event_id: attempt.eventId,
    event_type: attempt.eventType,
    notification_id: attempt.notificationId,
    attempt: attempt.attempt,
    attempted_at: attempt.attemptedAt,
    outcome: attempt.verdict,
    status_code: result?.kind === 'answered' ? result.status : undefined,
    error: result?.kind === 'unreachable' ? result.error : result?.kind === 'answered' ? undefined : result?.kind,
    duration_ms: attempt.durationMs,
    next_attempt_at: attempt.nextAttemptAt,
  };
}

/** The URL's problem, named as its field: its form first, then where its name resolves (deployed only). */
async function checkUrl(url: string): Promise<void> {
  const problem = webhookUrlProblem(url, policy) ?? (await resolvedAddressProblem(url, policy));
  if (problem) throw invalidRequest([{ field: 'url', message: problem }]);
}

/** A producer's webhook endpoints: registered, read, deleted, their secrets rotated, their attempts listed. */
export const handler = operationsHandler({
  createWebhookEndpoint: async ({ producer, body: { url, events } }) => {
    await checkUrl(url);
    const endpoint: WebhookEndpoint = {
      endpointId: randomUUID(),
      producer: producer.name,
      url,
      events,
      secret: newSigningSecret(),
      createdAt: new Date().toISOString(),
    };
    try {
      await store.create(endpoint);
    } catch (error) {
      if (!(error instanceof TooManyEndpoints)) throw error;
      throw new ApiError(
        422,
        'too_many_endpoints',
        `a producer has at most ${MAX_ENDPOINTS_PER_PRODUCER} webhook endpoints: delete one first`,
      );
    }
    return json(201, { ...endpointAnswer(endpoint), secret: endpoint.secret });
  },
  listWebhookEndpoints: async ({ producer }) => {
    const endpoints = await store.endpointsOf(producer.name);
    return json(200, { endpoints: endpoints.map((endpoint) => endpointAnswer(endpoint)) });
  },
  getWebhookEndpoint: async ({ producer, path: { endpoint_id } }) => {
    const endpoint = await store.endpoint(producer.name, endpoint_id);
    if (!endpoint) throw endpointNotFound(endpoint_id);
    return json(200, endpointAnswer(endpoint));
  },
  deleteWebhookEndpoint: async ({ producer, path: { endpoint_id } }) => {
    if (!(await store.delete(producer.name, endpoint_id))) throw endpointNotFound(endpoint_id);
    return noContent();
  },
  rotateWebhookSecret: async ({ producer, path: { endpoint_id } }) => {
    const endpoint = await store.rotateSecret(producer.name, endpoint_id, newSigningSecret(), new Date());
    if (!endpoint) throw endpointNotFound(endpoint_id);
    return json(200, {
      endpoint_id,
      secret: endpoint.secret,
      previous_secret_expires_at: endpoint.previousSecretExpiresAt,
    });
  },
  enableWebhookEndpoint: async ({ producer, path: { endpoint_id } }) => {
    if (!(await store.enable(producer.name, endpoint_id))) throw endpointNotFound(endpoint_id);
    return noContent();
  },
  listWebhookAttempts: async ({ producer, path: { endpoint_id }, query: { cursor, limit } }) => {
    // The endpoint's own attempts are keyed by its id alone: it must be the caller's first.
    if (!(await store.endpoint(producer.name, endpoint_id))) throw endpointNotFound(endpoint_id);
    const page = await store.attemptsPage(endpoint_id, { limit, after: cursor?.sk });
    return json(200, {
      endpoint_id,
      attempts: page.attempts.map(attemptAnswer),
      ...(page.last === undefined ? {} : { next_cursor: pageCursor({ sk: page.last }) }),
    });
  },
});
