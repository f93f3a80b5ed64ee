/**
 * Signed webhooks: which endpoints want an event, how a delivery is signed and what its answer means, when it is tried
 * again and when an endpoint that keeps failing is disabled. Pure: lambdas/webhooks/ reads and writes the endpoints
 * and sends the deliveries.
 *
 * A delivery is a Standard Webhooks message (https://www.standardwebhooks.com): its `webhook-id` is the event's id, the
 * same at every attempt, so the receiver deduplicates on it; its body is `{type, timestamp, data}`, `data` being the
 * state event as the bus carries it.
 */
import { randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { StateEvent, StateEventType } from './state-events.js';

/** What an endpoint lists to receive every event type. */
export const EVERY_EVENT = '*';

/** The most endpoints a producer registers: each event is delivered to each, so they multiply the work. */
export const MAX_ENDPOINTS_PER_PRODUCER = 20;

/** A URL longer than this is refused: no receiver needs it, and it is logged nowhere but kept in the table. */
export const MAX_WEBHOOK_URL_LENGTH = 2_048;

/** How long the secret a rotation replaced still signs (beside the new one), so that receivers can switch over. */
export const PREVIOUS_SECRET_VALID_SECONDS = 24 * 3600;

/**
 * When a failed delivery is tried again, after the attempt before: the schedule Standard Webhooks' reference
 * implementation (Svix) uses, about 27 hours in all. A `Retry-After` longer than the step is honoured, up to the
 * longest step.
 */
export const RETRY_SCHEDULE_SECONDS: readonly number[] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/** How long a delivery waits for the endpoint's answer. */
export const DELIVERY_TIMEOUT_SECONDS = 10;

/** An answer slower than this puts the endpoint's next deliveries on the slow lane until one is quick again. */
export const SLOW_ANSWER_MS = 2_000;

/** An endpoint whose deliveries have all failed for this long is disabled; its producer sees when and why. */
export const DISABLE_AFTER_FAILING_DAYS = 5;

export interface WebhookEndpoint {
  readonly endpointId: string;
  readonly producer: string;
  readonly url: string;
  /** Event types, or [EVERY_EVENT]. */
  readonly events: readonly string[];
  readonly secret: string;
  /** The secret a rotation replaced, and until when it still signs. */
  readonly previousSecret?: string;
  readonly previousSecretExpiresAt?: string;
  readonly createdAt: string;
  /** Since when every delivery failed; absent once one succeeds. */
  readonly failingSince?: string;
  /** Its last answer was slow (SLOW_ANSWER_MS). */
  readonly slow?: boolean;
  readonly disabledAt?: string;
}

/** A new signing secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks' libraries take it. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function wantsEvent(endpoint: Pick<WebhookEndpoint, 'events' | 'disabledAt'>, type: StateEventType): boolean {
  return endpoint.disabledAt === undefined && (endpoint.events.includes(EVERY_EVENT) || endpoint.events.includes(type));
}

/** Whether the secret a rotation replaced still signs, beside the current one. */
export function previousSecretValid(
  endpoint: Pick<WebhookEndpoint, 'previousSecret' | 'previousSecretExpiresAt'>,
  now: Date,
): boolean {
  return (
    endpoint.previousSecret !== undefined &&
    endpoint.previousSecretExpiresAt !== undefined &&
    Date.parse(endpoint.previousSecretExpiresAt) > now.getTime()
  );
}

/** The secrets a delivery is signed with now: the current one, and the one a rotation replaced while it is valid. */
export function signingSecrets(endpoint: WebhookEndpoint, now: Date): string[] {
  return previousSecretValid(endpoint, now) ? [endpoint.secret, endpoint.previousSecret as string] : [endpoint.secret];
}

/**
 * The two lanes deliveries go on: `prompt` for endpoints that answer, `slow` for retries and for every delivery to an
 * endpoint that is failing or slow. An endpoint that times out holds its lane's invocations for the timeout; on its own
 * lane it cannot hold anyone else's.
 */
export type DeliveryLane = 'prompt' | 'slow';
export const DELIVERY_LANES: readonly DeliveryLane[] = ['prompt', 'slow'];

export function laneOf(endpoint: Pick<WebhookEndpoint, 'failingSince' | 'slow'>): DeliveryLane {
  return endpoint.failingSince !== undefined || endpoint.slow === true ? 'slow' : 'prompt';
}

/** A delivery's body, as Standard Webhooks shapes it. */
export function webhookPayload(event: StateEvent): string {
  return JSON.stringify({ type: event.event_type, timestamp: event.occurred_at, data: event });
}

/** What came of one attempt. */
export type AttemptResult =
  | { readonly kind: 'answered'; readonly status: number; readonly retryAfterSeconds?: number }
  | { readonly kind: 'timed_out' }
  /** No answer: the connection was refused or reset, the name did not resolve. */
  | { readonly kind: 'unreachable'; readonly error: string }
  /** The name resolved to an address deliveries may not go to (private, loopback, link-local): DNS rebinding. */
  | { readonly kind: 'address_not_allowed' };

/** delivered; retry (a timeout, a 5xx, a 429, no answer); or rejected for good (any other answer, a refused address). */
export type AttemptVerdict = 'delivered' | 'retry' | 'rejected';

export function verdictOf(result: AttemptResult): AttemptVerdict {
  switch (result.kind) {
    case 'answered':
      if (result.status >= 200 && result.status < 300) return 'delivered';
      return result.status === 429 || result.status >= 500 ? 'retry' : 'rejected';
    case 'timed_out':
    case 'unreachable':
      return 'retry';
    case 'address_not_allowed':
      return 'rejected';
  }
}

/**
 * Seconds until attempt `attempt + 1`, after attempt `attempt` (1-based) asked for a retry; undefined when the
 * schedule is spent. A `Retry-After` longer than the step is honoured, up to the schedule's longest step.
 */
export function retryAfterSeconds(
  attempt: number,
  retryAfter: number | undefined,
  schedule: readonly number[] = RETRY_SCHEDULE_SECONDS,
): number | undefined {
  const step = schedule[attempt - 1];
  if (step === undefined) return undefined;
  if (retryAfter === undefined || retryAfter <= step) return step;
  return Math.min(retryAfter, Math.max(...schedule));
}

/** `Retry-After` read as seconds from now: a number of seconds or an HTTP date; undefined for anything else. */
export function parseRetryAfter(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/** Whether an endpoint failing since `failingSince` has failed long enough to be disabled. */
export function failedTooLong(failingSince: string, now: Date, days = DISABLE_AFTER_FAILING_DAYS): boolean {
  return now.getTime() - Date.parse(failingSince) >= days * 24 * 3600 * 1000;
}

/**
 * Where deliveries may go: `public-https` (deployed) is https to public addresses only; `any` (the local runtime
 * alone) is http or https to anywhere, loopback included, so that a developer's own server receives them.
 */
export type DestinationPolicy = 'public-https' | 'any';

/** Why a URL is refused before any name is resolved, or undefined. */
export function webhookUrlProblem(raw: string, policy: DestinationPolicy): string | undefined {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL, such as https://hooks.example.com/notifications';
  }
  if (url.protocol !== 'https:' && !(policy === 'any' && url.protocol === 'http:')) return 'must be an https URL';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password';
  if (url.hash !== '') return 'must not have a fragment (#...)';
  if (policy === 'any') return undefined;
  const host = hostOf(url);
  if (ipaddr.isValid(host) && !isPublicAddress(host))
    return 'must not point at a private, loopback, link-local or reserved address';
  if (!host.includes('.') || /\.(localhost|local|internal)\.?$/i.test(host) || /^localhost\.?$/i.test(host))
    return 'must name a public host (a fully qualified domain name)';
  return undefined;
}

/** A URL's host as a resolver or an address parser takes it: an IPv6 address without its brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** Whether an IP address is a public unicast one (not private, loopback, link-local, multicast or reserved). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  return parsed.range() === 'unicast';
}
