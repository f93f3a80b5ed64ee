/**
 * The platform's shape: which channels exist, how their queues behave, which tables hold what.
 * The CDK stack and the local runtime both read this one module, so the two cannot drift.
 * It imports nothing from the CDK: the local runtime and the functions load it without aws-cdk-lib.
 */

import type { Channel } from '../lambdas/shared/domain/channel.js';

export { CHANNELS, type Channel } from '../lambdas/shared/domain/channel.js';

export interface ChannelQueueSettings {
  /** How long the channel's worker may run on one batch. */
  readonly workerTimeoutSeconds: number;
  /**
   * Receives after which a job that still fails is given up: the worker records why and moves it to the
   * channel's DLQ itself.
   */
  readonly deliveryAttempts: number;
}

/**
 * Each channel fails on its own, so each has its own settings. A job is retried in place with
 * backoff (the worker extends its visibility); `deliveryAttempts` bounds how often before the DLQ.
 */
export const CHANNEL_QUEUES: Readonly<Record<Channel, ChannelQueueSettings>> = {
  email: { workerTimeoutSeconds: 30, deliveryAttempts: 8 },
  sms: { workerTimeoutSeconds: 30, deliveryAttempts: 8 },
  push: { workerTimeoutSeconds: 30, deliveryAttempts: 8 },
};

/**
 * SQS's own redrive is only a backstop, for a job whose attempts never end (a worker that dies each time): receives
 * that ended without a verdict (a crash, a claim held by another attempt) must not use up the attempts, or the job
 * would reach the DLQ with no reason recorded. The fault suite found exactly that with the limit at 8.
 */
export const RECEIVES_PER_DELIVERY_ATTEMPT = 3;

export function maxReceiveCount(settings: ChannelQueueSettings): number {
  return settings.deliveryAttempts * RECEIVES_PER_DELIVERY_ATTEMPT;
}

/**
 * AWS advises a queue visibility timeout of at least six times the consuming function's timeout:
 * Lambda's poller may retry a throttled invocation, and a message must not reappear while
 * a worker still holds it.
 */
export const VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT = 6;

export function visibilityTimeoutSeconds(settings: ChannelQueueSettings): number {
  return settings.workerTimeoutSeconds * VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT;
}

/** SQS keeps a message for at most 14 days; a DLQ keeps it that long for inspection and redrive. */
export const DEAD_LETTER_RETENTION_DAYS = 14;

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Epoch-seconds attribute after which DynamoDB deletes the item. */
  readonly timeToLiveAttribute?: string;
}

export const TABLES = {
  /** One item per user: preferences, contacts, locale. The ingest path reads it with one GetItem. */
  users: { partitionKey: { name: 'user_id', type: 'S' } },
  /** A user's devices: device id -> SNS platform endpoint ARN and platform. */
  devices: {
    partitionKey: { name: 'user_id', type: 'S' },
    sortKey: { name: 'device_id', type: 'S' },
  },
  /**
   * The accepted request and each channel's status under the notification's key; producer
   * idempotency keys and delivery claims beside them, all claimed with conditional writes.
   * Generic key names because several kinds of item share the table.
   */
  notifications: {
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    timeToLiveAttribute: 'expires_at',
  },
  /** One item per notification type: the critical flag and each channel's Liquid template. */
  templates: { partitionKey: { name: 'type', type: 'S' } },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof TABLES;
