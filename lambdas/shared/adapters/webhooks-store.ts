import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { conditionHeld, madeOrUndefined, transactionCancellationCodes } from '../aws/conditional-write.js';
import {
  type AttemptResult,
  type AttemptVerdict,
  failedTooLong,
  MAX_ENDPOINTS_PER_PRODUCER,
  PREVIOUS_SECRET_VALID_SECONDS,
  type WebhookEndpoint,
} from '../domain/webhooks.js';

const producerKey = (producer: string) => `producer#${producer}`;
const endpointMember = (endpointId: string) => `endpoint#${endpointId}`;
const attemptsKey = (endpointId: string) => `endpoint#${endpointId}`;
const ATTEMPT_PREFIX = 'attempt#';
/** A producer's count of endpoints, beside them: the limit holds under concurrent registrations. */
const COUNT_MEMBER = '#count';
/** Attempts of a transaction that conflicts with another on the same count. */
const TRANSACTION_ATTEMPTS = 8;

/** One attempt of one delivery, as its producer reads it. */
export interface DeliveryAttempt {
  readonly eventId: string;
  readonly eventType: string;
  readonly notificationId: string;
  readonly attempt: number;
  readonly attemptedAt: string;
  readonly verdict: AttemptVerdict | 'endpoint_disabled';
  readonly result?: AttemptResult;
  readonly durationMs?: number;
  /** When the next attempt is due; absent when there will be none. */
  readonly nextAttemptAt?: string;
}

export class TooManyEndpoints extends Error {
  override readonly name = 'TooManyEndpoints';
}

interface EndpointItem {
  readonly endpoint_id: string;
  readonly producer: string;
  readonly url: string;
  readonly events: string[];
  readonly secret: string;
  readonly previous_secret?: string;
  readonly previous_secret_expires_at?: string;
  readonly created_at: string;
  readonly failing_since?: string;
  readonly slow?: boolean;
  readonly disabled_at?: string;
}

function endpointOf(item: EndpointItem): WebhookEndpoint {
  return {
    endpointId: item.endpoint_id,
    producer: item.producer,
    url: item.url,
    events: item.events,
    secret: item.secret,
    previousSecret: item.previous_secret,
    previousSecretExpiresAt: item.previous_secret_expires_at,
    createdAt: item.created_at,
    failingSince: item.failing_since,
    slow: item.slow,
    disabledAt: item.disabled_at,
  };
}

/**
 * Webhook endpoints and their attempts (TABLES.webhooks). A producer's endpoints are one partition, read with one
 * Query by the fan-out; an endpoint's attempts are another, newest first, kept `attemptRetentionDays`.
 */
export class WebhooksStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
    private readonly attemptRetentionDays: number,
  ) {}

  /**
   * Registers an endpoint, within the producer's limit: the count and the endpoint are one transaction, so two
   * registrations at once cannot pass the limit together.
   */
  async create(endpoint: WebhookEndpoint): Promise<void> {
    try {
      await this.transactWrite({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: { pk: producerKey(endpoint.producer), sk: COUNT_MEMBER },
              UpdateExpression: 'ADD endpoints :one',
              ConditionExpression: 'attribute_not_exists(endpoints) OR endpoints < :most',
              ExpressionAttributeValues: { ':one': 1, ':most': MAX_ENDPOINTS_PER_PRODUCER },
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: {
                pk: producerKey(endpoint.producer),
                sk: endpointMember(endpoint.endpointId),
                endpoint_id: endpoint.endpointId,
                producer: endpoint.producer,
                url: endpoint.url,
                events: [...endpoint.events],
                secret: endpoint.secret,
                created_at: endpoint.createdAt,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      });
    } catch (error) {
      if (transactionCancellationCodes(error)[0] === 'ConditionalCheckFailed')
        throw new TooManyEndpoints(`a producer has at most ${MAX_ENDPOINTS_PER_PRODUCER} endpoints`);
      throw error;
    }
  }

  /**
   * A transaction on the producer's count, made again while another on it conflicts (two registrations at once):
   * DynamoDB cancels one of them rather than ordering them.
   */
  private async transactWrite(input: Parameters<DynamoDBDocument['transactWrite']>[0]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.transactWrite(input);
        return;
      } catch (error) {
        const conflict = transactionCancellationCodes(error).includes('TransactionConflict');
        if (!conflict || attempt >= TRANSACTION_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * Math.random()));
      }
    }
  }

  /** The producer's endpoints, in the order of their ids. Consistent: the fan-out must not miss one just made. */
  async endpointsOf(producer: string): Promise<WebhookEndpoint[]> {
    const endpoints: WebhookEndpoint[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.query({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :endpoint)',
        ExpressionAttributeValues: { ':pk': producerKey(producer), ':endpoint': 'endpoint#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      });
      endpoints.push(...((page.Items ?? []) as EndpointItem[]).map(endpointOf));
      start = page.LastEvaluatedKey;
    } while (start);
    return endpoints;
  }

  async endpoint(producer: string, endpointId: string): Promise<WebhookEndpoint | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: { pk: producerKey(producer), sk: endpointMember(endpointId) },
      ConsistentRead: true,
    });
    return Item ? endpointOf(Item as EndpointItem) : undefined;
  }

  /** Deletes the endpoint (its attempts expire); false when there was none. */
  async delete(producer: string, endpointId: string): Promise<boolean> {
    try {
      await this.transactWrite({
        TransactItems: [
          {
            Delete: {
              TableName: this.tableName,
              Key: { pk: producerKey(producer), sk: endpointMember(endpointId) },
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
          {
            Update: {
              TableName: this.tableName,
              Key: { pk: producerKey(producer), sk: COUNT_MEMBER },
              UpdateExpression: 'ADD endpoints :minusOne',
              ExpressionAttributeValues: { ':minusOne': -1 },
            },
          },
        ],
      });
      return true;
    } catch (error) {
      if (transactionCancellationCodes(error)[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  /**
   * Replaces the secret; the one it replaces still signs for PREVIOUS_SECRET_VALID_SECONDS. Answers the endpoint as it
   * is now, or undefined when there is none.
   */
  async rotateSecret(
    producer: string,
    endpointId: string,
    secret: string,
    now: Date,
  ): Promise<WebhookEndpoint | undefined> {
    const answer = await madeOrUndefined(
      this.client.update({
        TableName: this.tableName,
        Key: { pk: producerKey(producer), sk: endpointMember(endpointId) },
        UpdateExpression: 'SET previous_secret = secret, previous_secret_expires_at = :until, secret = :secret',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: {
          ':secret': secret,
          ':until': new Date(now.getTime() + PREVIOUS_SECRET_VALID_SECONDS * 1000).toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return answer?.Attributes ? endpointOf(answer.Attributes as EndpointItem) : undefined;
  }

  /** Enables a disabled endpoint again, its failures forgotten; false when there is none. */
  async enable(producer: string, endpointId: string): Promise<boolean> {
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: { pk: producerKey(producer), sk: endpointMember(endpointId) },
        UpdateExpression: 'REMOVE disabled_at, failing_since, slow',
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  }

  /**
   * What an attempt says of the endpoint's health: a delivery clears its failures, a failure starts them (if not
   * already), and one failing for DISABLE_AFTER_FAILING_DAYS disables it. Answers whether this disabled it.
   */
  async recordHealth(endpoint: WebhookEndpoint, delivered: boolean, slow: boolean, now: Date): Promise<boolean> {
    const Key = { pk: producerKey(endpoint.producer), sk: endpointMember(endpoint.endpointId) };
    if (delivered) {
      if (endpoint.failingSince === undefined && (endpoint.slow ?? false) === slow) return false;
      await conditionHeld(
        this.client.update({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'SET slow = :slow REMOVE failing_since',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':slow': slow },
        }),
      );
      return false;
    }
    const answer = await madeOrUndefined(
      this.client.update({
        TableName: this.tableName,
        Key,
        UpdateExpression: 'SET failing_since = if_not_exists(failing_since, :now), slow = :slow',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': now.toISOString(), ':slow': slow },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const failingSince = answer?.Attributes?.failing_since as string | undefined;
    if (failingSince === undefined || answer?.Attributes?.disabled_at || !failedTooLong(failingSince, now))
      return false;
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key,
        UpdateExpression: 'SET disabled_at = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(disabled_at)',
        ExpressionAttributeValues: { ':now': now.toISOString() },
      }),
    );
  }

  async recordAttempt(endpointId: string, attempt: DeliveryAttempt): Promise<void> {
    const expiresAt = Math.floor(Date.parse(attempt.attemptedAt) / 1000) + this.attemptRetentionDays * 24 * 3600;
    await this.client.put({
      TableName: this.tableName,
      Item: {
        pk: attemptsKey(endpointId),
        sk: `${ATTEMPT_PREFIX}${attempt.attemptedAt}#${attempt.eventId}#${attempt.attempt}`,
        event_id: attempt.eventId,
        event_type: attempt.eventType,
        notification_id: attempt.notificationId,
        attempt: attempt.attempt,
        attempted_at: attempt.attemptedAt,
        verdict: attempt.verdict,
        result: attempt.result,
        duration_ms: attempt.durationMs,
        next_attempt_at: attempt.nextAttemptAt,
        expires_at: expiresAt,
      },
    });
  }

  /** An endpoint's attempts, newest first, a page at a time; `after` is the last member of the page before. */
  async attemptsPage(
    endpointId: string,
    page: { readonly limit: number; readonly after?: string },
  ): Promise<{ attempts: DeliveryAttempt[]; last?: string }> {
    const answer = await this.client.query({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :attempt)',
      ExpressionAttributeValues: { ':pk': attemptsKey(endpointId), ':attempt': ATTEMPT_PREFIX },
      ScanIndexForward: false,
      Limit: page.limit,
      ExclusiveStartKey: page.after ? { pk: attemptsKey(endpointId), sk: page.after } : undefined,
    });
    const attempts = (answer.Items ?? []).map((item) => ({
      eventId: item.event_id as string,
      eventType: item.event_type as string,
      notificationId: item.notification_id as string,
      attempt: item.attempt as number,
      attemptedAt: item.attempted_at as string,
      verdict: item.verdict as DeliveryAttempt['verdict'],
      result: item.result as AttemptResult | undefined,
      durationMs: item.duration_ms as number | undefined,
      nextAttemptAt: item.next_attempt_at as string | undefined,
    }));
    return { attempts, last: answer.LastEvaluatedKey?.sk as string | undefined };
  }
}
