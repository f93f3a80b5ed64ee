/**
 * A producer as the README tells producers to behave: every notification carries an Idempotency-Key, and a 503,
 * a 429, a 409 "in use" or a dropped connection is retried with the same key after Retry-After.
 */
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

const RETRIED = new Set([409, 429, 500, 502, 503, 504]);

/** Sends until the platform answers 2xx; answers the JSON body. Throws on any other 4xx. */
export async function sendUntilAccepted(
  platform: DrilledPlatform,
  tally: ProducerTally,
  request: { method: string; path: string; body: unknown; idempotencyKey?: string },
): Promise<Record<string, unknown>> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    let response: Response;
    try {
      response = await fetch(`${platform.url}${request.path}`, {
        method: request.method,
        headers: {
          'x-api-key': DRILL_KEY,
          'Content-Type': 'application/json',
          ...(request.idempotencyKey ? { 'Idempotency-Key': request.idempotencyKey } : {}),
        },
        body: JSON.stringify(request.body),
        signal: AbortSignal.timeout(20_000),
      });
    } catch {
      tally.connectionFailures++;
      if (!platform.running) throw new Error(`the platform died:\n${platform.output().slice(-4_000)}`);
      await pause(200);
      continue;
    }
    tally.statuses.set(response.status, (tally.statuses.get(response.status) ?? 0) + 1);
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.ok) return body;
    if (!RETRIED.has(response.status)) {
      throw new Error(`${request.method} ${request.path} answered ${response.status}: ${JSON.stringify(body)}`);
    }
    const retryAfter = response.headers.get('Retry-After');
    if (response.status === 503 && retryAfter === null) tally.unavailableWithoutRetryAfter++;
    // Retry-After says seconds; the drill's clock runs fast, so a fifth of it.
    await pause(Math.min(2_000, Number(retryAfter ?? 1) * 200));
  }
  throw new Error(`${request.method} ${request.path} was not accepted after ${MAX_ATTEMPTS} attempts`);
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
