/**
 * A producer as docs/api.md ("Idempotency") tells producers to behave, through the platform's client
 * (clients/typescript): every notification carries an Idempotency-Key, and a 503, a 429, a 409 "in use" or a dropped
 * connection is retried with the same key after Retry-After.
 */
import { createNotificationClient, type NotificationClient } from '@notification-platform/client';
import type { DrilledPlatform } from './drilled-platform.js';

export const DRILL_KEY = 'local-dev-key';
const MAX_ATTEMPTS = 200;

export interface ProducerTally {
  /** Answers by status, over every attempt. */
  readonly statuses: Map<number, number>;
  /** 503 answers without a Retry-After header. */
  unavailableWithoutRetryAfter: number;
  /** Attempts that got no answer (a connection that failed or timed out). */
  connectionFailures: number;
}

export function newTally(): ProducerTally {
  return { statuses: new Map(), unavailableWithoutRetryAfter: 0, connectionFailures: 0 };
}

/**
 * The drill's producer: the platform's client, retrying a 503, a 429 and a 409 "in use" (up to 200 attempts) and
 * throwing on anything else; every attempt is tallied.
 */
export function drillClient(platform: DrilledPlatform, tally: ProducerTally): NotificationClient {
  return createNotificationClient({
    baseUrl: `${platform.url}/v1`,
    apiKey: DRILL_KEY,
    maxAttempts: MAX_ATTEMPTS,
    timeoutMs: 20_000,
    // Retry-After says seconds; the drill's clock runs fast, so a fifth of it (and of each backoff), at most 2 s.
    maxRetryDelayMs: 10_000,
    sleep: (ms) => pause(ms / 5),
    onAttempt: (attempt) => {
      if (attempt.status === undefined) {
        tally.connectionFailures++;
        if (!platform.running) throw new Error(`the platform died:\n${platform.output().slice(-4_000)}`);
        return;
      }
      tally.statuses.set(attempt.status, (tally.statuses.get(attempt.status) ?? 0) + 1);
      if (attempt.status === 503 && attempt.retryAfter === null) tally.unavailableWithoutRetryAfter++;
    },
  });
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `task` over `items`, at most `limit` at a time. */
export async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await task(item);
      }
    }),
  );
}
