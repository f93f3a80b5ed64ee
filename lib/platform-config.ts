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
  /** Receives before a job is taken out of rotation and rests in the channel's DLQ. */
  readonly maxReceiveCount: number;
}

/**
 * Each channel fails on its own, so each has its own settings. A job is retried in place with
 * backoff (the worker extends its visibility); `maxReceiveCount` bounds how often before the DLQ.
 */
export const CHANNEL_QUEUES: Readonly<Record<Channel, ChannelQueueSettings>> = {
  email: { workerTimeoutSeconds: 30, maxReceiveCount: 8 },
  sms: { workerTimeoutSeconds: 30, maxReceiveCount: 8 },
  push: { workerTimeoutSeconds: 30, maxReceiveCount: 8 },
};

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
