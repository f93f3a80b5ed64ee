import type { DeliveryJob, WebhookDeliveries } from '../shared/adapters/webhook-deliveries.js';
import type { SignedDelivery } from '../shared/adapters/webhook-sender.js';
import type { WebhooksStore } from '../shared/adapters/webhooks-store.js';
import {
  type AttemptResult,
  DELIVERY_TIMEOUT_SECONDS,
  type DeliveryLane,
  RETRY_SCHEDULE_SECONDS,
  retryAfterSeconds,
  SLOW_ANSWER_MS,
  signingSecrets,
  verdictOf,
  webhookPayload,
} from '../shared/domain/webhooks.js';

export interface WebhookDeliveryParts {
  readonly store: Pick<WebhooksStore, 'endpoint' | 'recordAttempt' | 'recordHealth'>;
  readonly deliveries: Pick<WebhookDeliveries, 'send' | 'hideUntil'>;
  readonly sender: { send(delivery: SignedDelivery, at?: Date): Promise<AttemptResult> };
  readonly retrySchedule?: readonly number[];
  readonly clock?: () => Date;
}

/** What became of a received job. */
export type DeliveryOutcome =
  /** Not due yet: hidden until its time (the record is answered as failed, so that SQS keeps it). */
  | 'waiting'
  | 'delivered'
  /** Failed, its next attempt queued on the slow lane. */
  | 'retrying'
  /** Failed for good: rejected by the endpoint, or its schedule spent. */
  | 'failed'
  /** The endpoint was deleted, or disabled: nothing is sent. */
  | 'endpoint_gone'
  | 'endpoint_disabled';

/**
 * One delivery job: signed and posted to its endpoint, its attempt recorded for the producer to read and the
 * endpoint's health updated; a failure that may pass (a timeout, a 5xx, a 429) is queued again on the slow lane for
 * its time in the schedule, and a failure that will not (another 4xx, an address not allowed) ends it.
 */
export class WebhookDelivery {
  private readonly retrySchedule: readonly number[];
  private readonly clock: () => Date;

  constructor(private readonly parts: WebhookDeliveryParts) {
    this.retrySchedule = parts.retrySchedule ?? RETRY_SCHEDULE_SECONDS;
    this.clock = parts.clock ?? (() => new Date());
  }

  async deliver(job: DeliveryJob, received: { lane: DeliveryLane; receiptHandle: string }): Promise<DeliveryOutcome> {
    const now = this.clock();
    if (job.due_at !== undefined && Date.parse(job.due_at) > now.getTime() + 1_000) {
      await this.parts.deliveries.hideUntil(received.lane, received.receiptHandle, job.due_at, now);
      return 'waiting';
    }
    const endpoint = await this.parts.store.endpoint(job.producer, job.endpoint_id);
    if (endpoint === undefined) return 'endpoint_gone';
    const base = {
      eventId: job.event.event_id,
      eventType: job.event.event_type,
      notificationId: job.event.notification_id,
      attempt: job.attempt,
      attemptedAt: now.toISOString(),
    };
    if (endpoint.disabledAt !== undefined) {
      await this.parts.store.recordAttempt(endpoint.endpointId, { ...base, verdict: 'endpoint_disabled' });
      return 'endpoint_disabled';
    }
    const started = Date.now();
    const result = await this.parts.sender.send(
      {
        url: endpoint.url,
        messageId: job.event.event_id,
        payload: webhookPayload(job.event),
        secrets: signingSecrets(endpoint, now),
        timeoutMs: DELIVERY_TIMEOUT_SECONDS * 1000,
      },
      now,
    );
    const durationMs = Date.now() - started;
    const verdict = verdictOf(result);
    const waitSeconds =
      verdict === 'retry'
        ? retryAfterSeconds(
            job.attempt,
            result.kind === 'answered' ? result.retryAfterSeconds : undefined,
            this.retrySchedule,
          )
        : undefined;
    const nextAttemptAt =
      waitSeconds === undefined ? undefined : new Date(now.getTime() + durationMs + waitSeconds * 1000).toISOString();
    if (nextAttemptAt !== undefined)
      await this.parts.deliveries.send('slow', [{ ...job, attempt: job.attempt + 1, due_at: nextAttemptAt }], now);
    await this.parts.store.recordAttempt(endpoint.endpointId, { ...base, verdict, result, durationMs, nextAttemptAt });
    await this.parts.store.recordHealth(endpoint, verdict === 'delivered', durationMs > SLOW_ANSWER_MS, this.clock());
    if (verdict === 'delivered') return 'delivered';
    return nextAttemptAt === undefined ? 'failed' : 'retrying';
  }
}
