import { CHANNELS, type Channel } from '../../channels/registry.js';

/**
 * The environment variables every function may read (a channel's own provider variables are in its channel.ts). The CDK constructs set them and the local runtime and
 * tests set them, all through these names, so a rename cannot leave one side behind.
 */
export const ENV = {
  usersTable: 'USERS_TABLE',
  devicesTable: 'DEVICES_TABLE',
  notificationsTable: 'NOTIFICATIONS_TABLE',
  templatesTable: 'TEMPLATES_TABLE',
  suppressionsTable: 'SUPPRESSIONS_TABLE',
  topicsTable: 'TOPICS_TABLE',
  webhooksTable: 'WEBHOOKS_TABLE',
  /** The API's public URL, stage included (https://<id>.execute-api.<region>.amazonaws.com/v1): where providers call back. */
  publicApiUrl: 'PUBLIC_API_URL',
  /** Soft bounces within the window that suppress an address (default 3 in 7 days). */
  softBounceThreshold: 'SOFT_BOUNCE_THRESHOLD',
  softBounceWindowSeconds: 'SOFT_BOUNCE_WINDOW_SECONDS',
  /** JSON: the categories of platform.config.ts, {categories: {<name>: {label, required, defaults}}, defaultCategory}. */
  categories: 'CATEGORIES',
  /** Deployed: the Secrets Manager secret {current, previous?} that signs unsubscribe links and preference pages. */
  consentKeysSecretArn: 'CONSENT_KEYS_SECRET_ARN',
  /** Local and in tests: the same keys as JSON, {current, previous?}. */
  consentKeys: 'CONSENT_KEYS',
  /** JSON {change_anything_seconds, unsubscribe_seconds}: what a recipient's link may do until what age (default 30 and 365 days). */
  linkLifetimes: 'LINK_LIFETIMES',
  /**
   * Deployed: the Secrets Manager secret {current, previous?, rekeyed?} of the peppers that key addresses on the
   * suppression list (domain/address-key.ts).
   */
  suppressionKeysSecretArn: 'SUPPRESSION_KEYS_SECRET_ARN',
  /** Local and in tests: the same as JSON. */
  suppressionKeys: 'SUPPRESSION_KEYS',
  /** JSON: [{ key_id, name, scopes, types }], key_id being the producer's API Gateway key id. */
  producers: 'PRODUCERS',
  /** When set, the ingest path reads users through this DAX cluster endpoint. */
  daxEndpoint: 'DAX_ENDPOINT',
  templateCacheSeconds: 'TEMPLATE_CACHE_SECONDS',
  /** The worker's own channel: email, sms or push. */
  channel: 'CHANNEL',
  /** Receives after which a failing job is given up: the worker records why and moves it to its DLQ. */
  deliveryAttempts: 'DELIVERY_ATTEMPTS',
  /** How long a delivery claim is held before another attempt may take it (a worker that died). */
  claimLeaseSeconds: 'CLAIM_LEASE_SECONDS',
  /** The queue of erasures to make again later (lambdas/user-erasure/): the index settles, providers finish. */
  erasureQueueUrl: 'ERASURE_QUEUE_URL',
  /** The queue scheduled notifications wait on for their last minutes, then are dispatched from. */
  dispatchQueueUrl: 'DISPATCH_QUEUE_URL',
  /** The stack's event bus, where every change of a notification's state is published (lambdas/events/). */
  eventBusName: 'EVENT_BUS_NAME',
  /** The webhook deliveries' lanes (domain/webhooks.ts DeliveryLane). */
  webhookPromptQueueUrl: 'WEBHOOK_PROMPT_QUEUE_URL',
  webhookSlowQueueUrl: 'WEBHOOK_SLOW_QUEUE_URL',
  /**
   * Where webhooks may be delivered (domain/webhooks.ts DestinationPolicy): unset is `public-https`; the local runtime
   * alone sets `any`.
   */
  webhookDestinations: 'WEBHOOK_DESTINATIONS',
  /** The local runtime's retry schedule of webhook deliveries, in seconds, comma-separated (deployed: the standard one). */
  webhookRetrySchedule: 'WEBHOOK_RETRY_SCHEDULE',
  /** The queue a broadcast's chunks go through (lambdas/broadcast/). */
  fanOutQueueUrl: 'FAN_OUT_QUEUE_URL',
  /**
   * A worker's pace on its bulk lane: messages a second one invocation sends (the lane's rate over its concurrency), so
   * that the lane together stays below the provider's rate (platform.config.ts). Unset: unpaced.
   */
  bulkSendsPerSecond: 'BULK_SENDS_PER_SECOND',
  /** How many days ahead send_at may be (default 366). */
  maxScheduleDays: 'MAX_SCHEDULE_DAYS',
  /** The first retry's backoff, doubling with each attempt (default 10 s). The fault drill shortens it. */
  retryBaseSeconds: 'RETRY_BASE_SECONDS',
} as const;

/** The variable that holds each channel's queue URL: EMAIL_QUEUE_URL, SMS_QUEUE_URL, ... */
export const QUEUE_URL_VARIABLE = perChannel((channel) => `${channel.toUpperCase()}_QUEUE_URL`);

/** The variable that holds each channel's bulk lane queue URL (a broadcast's jobs): EMAIL_BULK_QUEUE_URL, ... */
export const BULK_QUEUE_URL_VARIABLE = perChannel((channel) => `${channel.toUpperCase()}_BULK_QUEUE_URL`);

/** The variable that holds each channel's dead-letter queue URL (for the worker that moves jobs there). */
export const DEAD_LETTER_QUEUE_URL_VARIABLE = perChannel((channel) => `${channel.toUpperCase()}_DEAD_LETTER_QUEUE_URL`);

/** The variable that holds each channel's feedback DLQ URL (where its feedback function sets aside what it cannot read). */
export const FEEDBACK_DEAD_LETTER_QUEUE_URL_VARIABLE = perChannel(
  (channel) => `${channel.toUpperCase()}_FEEDBACK_DEAD_LETTER_QUEUE_URL`,
);

function perChannel(variable: (channel: Channel) => string): Readonly<Record<Channel, string>> {
  return Object.fromEntries(CHANNELS.map((channel) => [channel, variable(channel)])) as Record<Channel, string>;
}

export class MissingConfigurationError extends Error {
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set`);
    this.name = 'MissingConfigurationError';
  }
}

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new MissingConfigurationError(name);
  return value;
}

export function optionalEnv(name: string): string | undefined {
  return process.env[name] || undefined;
}

/**
 * A number from the environment, or `fallback` when the variable is unset. A value that is not a number is a
 * configuration fault and throws: read as NaN, it would silently switch off what it sets (a cache, a lease).
 */
export function numberEnv(name: string, fallback?: number): number {
  const raw = optionalEnv(name);
  if (raw === undefined) {
    if (fallback === undefined) throw new MissingConfigurationError(name);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`environment variable ${name} is not a number: "${raw}"`);
  return value;
}

/** Every channel's bulk lane queue URL, from BULK_QUEUE_URL_VARIABLE. */
export function bulkQueueUrlsFromEnv(): Record<Channel, string> {
  return Object.fromEntries(
    CHANNELS.map((channel) => [channel, requiredEnv(BULK_QUEUE_URL_VARIABLE[channel])]),
  ) as Record<Channel, string>;
}

/** Every channel's queue URL, from QUEUE_URL_VARIABLE. */
export function queueUrlsFromEnv(): Record<Channel, string> {
  return Object.fromEntries(CHANNELS.map((channel) => [channel, requiredEnv(QUEUE_URL_VARIABLE[channel])])) as Record<
    Channel,
    string
  >;
}
