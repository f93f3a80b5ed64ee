/**
 * The platform's resources: how the channels' queues behave, which tables hold what, where each function's handler
 * is, and what the local platform names things. The CDK stack, the local runtime, ops/ and the tests read this one
 * module (with operations.ts for the API and environment.ts for the variables), so they cannot drift.
 * It imports nothing from the CDK: the local runtime and the functions load it without aws-cdk-lib.
 */

import { CHANNELS, type Channel } from '../../channels/registry.js';
import { RETRY_CAP_SECONDS } from '../domain/retry-policy.js';
import type { ApiFunction } from './operations.js';

export interface ChannelQueueSettings {
  /** How long the channel's worker may run on one batch. */
  readonly workerTimeoutSeconds: number;
  /**
   * How long a worker's claim on a job holds before another attempt may take it over (the worker died). It must
   * outlive the worker's timeout by CLAIM_LEASE_MARGIN_SECONDS, or a slow attempt still sending would see its
   * job taken over and sent a second time.
   */
  readonly claimLeaseSeconds: number;
  /**
   * Receives after which a job that still fails is given up: the worker records why and moves it to the
   * channel's DLQ itself.
   */
  readonly deliveryAttempts: number;
}

/**
 * Each channel fails on its own, so each has its own queue, DLQ and settings (today the same for all). A job is
 * retried in place with backoff (the worker extends its visibility); `deliveryAttempts` bounds how often before the
 * DLQ.
 */
export const CHANNEL_QUEUES: Readonly<Record<Channel, ChannelQueueSettings>> = Object.fromEntries(
  CHANNELS.map((channel) => [channel, { workerTimeoutSeconds: 30, claimLeaseSeconds: 120, deliveryAttempts: 8 }]),
) as Record<Channel, ChannelQueueSettings>;

/**
 * What a claim's lease must have beyond the worker's timeout: the clocks of Lambda hosts differ, and an attempt's
 * last writes (completing its claim, recording its status) come after the provider's answer.
 */
export const CLAIM_LEASE_MARGIN_SECONDS = 30;

/** The settings' faults a synth must refuse, each naming what to change; none when they hold. */
export function channelQueueProblems(settings: ChannelQueueSettings): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(settings.deliveryAttempts) || settings.deliveryAttempts < 1)
    problems.push('deliveryAttempts must be a whole number of at least 1');
  if (settings.workerTimeoutSeconds < 1 || settings.workerTimeoutSeconds > 900)
    problems.push("workerTimeoutSeconds must be 1 to 900 (Lambda's limit)");
  const longestWaitSeconds =
    maxReceiveCount(settings) * Math.max(RETRY_CAP_SECONDS, visibilityTimeoutSeconds(settings));
  if (longestWaitSeconds >= JOB_RETENTION_DAYS * 24 * 3600)
    problems.push(
      `deliveryAttempts (${settings.deliveryAttempts}) let a job wait ${Math.ceil(longestWaitSeconds / 3600)} hours, longer than ` +
        `the queue keeps it (${JOB_RETENTION_DAYS} days): it would expire unseen`,
    );
  if (settings.claimLeaseSeconds <= settings.workerTimeoutSeconds + CLAIM_LEASE_MARGIN_SECONDS)
    problems.push(
      `claimLeaseSeconds (${settings.claimLeaseSeconds}) must be longer than workerTimeoutSeconds ` +
        `(${settings.workerTimeoutSeconds}) plus ${CLAIM_LEASE_MARGIN_SECONDS} s, or a job still being sent could be ` +
        'taken over and sent twice',
    );
  return problems;
}

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

/**
 * How long a job queue keeps a message (SQS's default, now said): far beyond a job's longest legitimate wait, its
 * every receive backing off by at most RETRY_CAP_SECONDS, so that no job expires unseen (channelQueueProblems checks).
 */
export const JOB_RETENTION_DAYS = 4;

/** SQS keeps a message for at most 14 days; a DLQ keeps it that long for inspection and redrive. */
export const DEAD_LETTER_RETENTION_DAYS = 14;

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

/** A global secondary index that holds only the keys: enough to find items, never a copy of what they say. */
export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Epoch-seconds attribute after which DynamoDB deletes the item. */
  readonly timeToLiveAttribute?: string;
  readonly indexes?: readonly IndexDefinition[];
  /** A stream of every write, with the item before and after it (the state events are read from it). */
  readonly stream?: 'NEW_AND_OLD_IMAGES';
}

/** The sort key of a notification's own record, beside the other items under its partition key. */
export const NOTIFICATION_RECORD_SORT_KEY = 'notification';

/**
 * The publisher of state events (lambdas/events/): how its event source mapping reads the notifications table's
 * stream. Only a notification's own record makes events, so the mapping's filter (free, applied before an invocation)
 * leaves out the claims, counters and keys beside it, and the removals of records whose time ran out.
 */
export const EVENT_PUBLISHER = {
  batchSize: 100,
  timeoutSeconds: 30,
  /** Lambda's filter pattern on a stream record. */
  filter: { eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { sk: { S: [NOTIFICATION_RECORD_SORT_KEY] } } } },
} as const;

/**
 * An erasure is made again (lambdas/user-erasure/person-erasure.ts) `firstAfterSeconds` after the call, when the index
 * of a person's notifications has settled, then with backoff while a provider holds a text it cannot delete yet
 * (Twilio: until the text is final, usually minutes), for `passes` passes (about a day); what is still not done then
 * rests in the erasure DLQ, with an alarm.
 */
export const ERASURE_FOLLOW_UP = { firstAfterSeconds: 60, passes: 100, timeoutSeconds: 60 } as const;

/**
 * The notifications table's index of each producer's log (log_partition, log_time; keys only): GET /v1/notifications
 * reads it newest first (domain/notification-log.ts). A record is written into it once, when it is made (its keys
 * never change after), and leaves it when its person is erased.
 */
export const NOTIFICATIONS_BY_PRODUCER_INDEX = 'by_producer';

/** The notifications table's index of a person's notifications (user_id, created_at; keys only). */
export const NOTIFICATIONS_BY_USER_INDEX = 'by_user';

/**
 * The notifications table's index of scheduled notifications still waiting there (due_shard, due_at; keys only): the
 * due drain reads what falls due (domain/schedule.ts). Sparse: an item leaves it when it is handed to the dispatch
 * queue or cancelled.
 */
export const NOTIFICATIONS_BY_DUE_TIME_INDEX = 'by_due_time';

/**
 * The dispatch of scheduled notifications: its function's timeout, how often a message is received before it rests in
 * the dispatch DLQ, and the claim that keeps two dispatches of one notification from both going out (a conditional
 * write on its status, notifications-store.ts).
 */
export const SCHEDULED_DISPATCH = { timeoutSeconds: 30, maxReceiveCount: 10, batchSize: 10 } as const;

/**
 * The fan-out of broadcasts: its function's timeout (a chunk's recipients are decided and recorded within it), and how
 * often a chunk is received before it rests in the fan-out DLQ.
 */
export const BROADCAST_FAN_OUT = { timeoutSeconds: 60, maxReceiveCount: 10, batchSize: 1 } as const;

/**
 * The users table's index of phone numbers (keys only): who texted STOP. Twilio knows a number, not a person, and one
 * number may be several people's (a shared family phone); only items with a phone number are in it.
 */
export const USERS_BY_PHONE_NUMBER_INDEX = 'by_phone_number';

/**
 * The devices table's index of SNS endpoints (keys only): SNS names a device's endpoint when it disables or deletes
 * it (the push channel's feedback), never the device.
 */
export const DEVICES_BY_ENDPOINT_INDEX = 'by_endpoint';

/**
 * The topics table's index of a person's subscriptions (subscriber, topic; keys only): erasing a person takes them out
 * of every topic. Sparse: only subscription items carry `subscriber`, never a topic's owner item.
 */
export const TOPICS_BY_SUBSCRIBER_INDEX = 'by_subscriber';

/**
 * Signed webhooks (lambdas/webhooks/): the fan-out of each state event from the bus to the endpoints that want it, and
 * the delivery of each (event, endpoint) on one of two lanes (domain/webhooks.ts DeliveryLane). A delivery waits for its
 * next attempt on the slow lane, hidden (its visibility) until its time; `maxReceiveCount` bounds the receives of one
 * that never ends (a function that dies each time) before its DLQ.
 */
export const WEBHOOKS = {
  fanOut: { timeoutSeconds: 30, batchSize: 10, maxReceiveCount: 10 },
  delivery: { timeoutSeconds: 60, batchSize: 10, maxReceiveCount: 10 },
  /** How long an attempt's record is kept for its producer to read. */
  attemptRetentionDays: 30,
  /** Concurrent invocations of each lane: the slow lane's few cannot take the prompt lane's. */
  maxConcurrency: { prompt: 20, slow: 5 },
} as const;

export const TABLES = {
  /** One item per user: preferences, contacts, locale. The ingest path reads it with one GetItem. */
  users: {
    partitionKey: { name: 'user_id', type: 'S' },
    indexes: [{ name: USERS_BY_PHONE_NUMBER_INDEX, partitionKey: { name: 'phone_number', type: 'S' } }],
  },
  /**
   * One item per push device (a token): its one owner, SNS platform endpoint ARN and platform. Keyed by the device,
   * so a token belongs to one person at a time; the person's item lists the devices they hold.
   */
  devices: {
    partitionKey: { name: 'device_id', type: 'S' },
    indexes: [{ name: DEVICES_BY_ENDPOINT_INDEX, partitionKey: { name: 'endpoint_arn', type: 'S' } }],
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
    // Every change of a notification's state becomes an event (lambdas/events/), read from here rather than said by
    // each writer: nothing on the send path waits for the bus, and no writer can forget it.
    stream: 'NEW_AND_OLD_IMAGES',
    // A person's notifications, to erase them; only notification items carry user_id, so the index holds no other.
    // Scheduled ones (and channel jobs set aside) waiting for their time: sparse too. A producer's cancel keys are items
    // of the table itself (notifications-store.ts), read consistently, and need no index.
    indexes: [
      {
        name: NOTIFICATIONS_BY_USER_INDEX,
        partitionKey: { name: 'user_id', type: 'S' },
        sortKey: { name: 'created_at', type: 'S' },
      },
      {
        name: NOTIFICATIONS_BY_PRODUCER_INDEX,
        partitionKey: { name: 'log_partition', type: 'S' },
        sortKey: { name: 'log_time', type: 'S' },
      },
      {
        name: NOTIFICATIONS_BY_DUE_TIME_INDEX,
        partitionKey: { name: 'due_shard', type: 'S' },
        sortKey: { name: 'due_at', type: 'S' },
      },
    ],
  },
  /** One item per notification type: the critical flag and each channel's Liquid template. */
  templates: { partitionKey: { name: 'type', type: 'S' } },
  /**
   * One item per address a channel must not send to (a hard bounce, a complaint) or whose soft bounces are
   * being counted, keyed by the address's peppered key (domain/address-key.ts): the address itself is never stored.
   * A count of soft bounces expires with its window; a suppression stays until it is lifted.
   */
  suppressions: { partitionKey: { name: 'address_key', type: 'S' }, timeToLiveAttribute: 'expires_at' },
  /**
   * A topic's items under its name (adapters/topics-store.ts): its owner (member "#owner": the producer that created
   * it, and when) and one item per subscriber (member "u#<user_id>"), so that a broadcast pages through its
   * subscribers in key order with one Query each.
   */
  topics: {
    partitionKey: { name: 'topic', type: 'S' },
    sortKey: { name: 'member', type: 'S' },
    indexes: [
      {
        name: TOPICS_BY_SUBSCRIBER_INDEX,
        partitionKey: { name: 'subscriber', type: 'S' },
        sortKey: { name: 'topic', type: 'S' },
      },
    ],
  },
  /**
   * Webhook endpoints and their deliveries' attempts (adapters/webhooks-store.ts): a producer's endpoints under
   * "producer#<name>" (member "endpoint#<id>"), each endpoint's attempts under "endpoint#<id>" (member
   * "attempt#<time>#<event id>#<n>"), which expire.
   */
  webhooks: {
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    timeToLiveAttribute: 'expires_at',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof TABLES;

/** Where each function's handler module is, under lambdas/: an API function's folder, or a channel's. */
export const HANDLER_MODULES = {
  /** An API function's folder, or the channel's for a function that is a channel's (its provider's webhooks). */
  api: (name: ApiFunction) => (name === 'sms-webhooks' ? 'channels/sms/webhook-handler.ts' : `${name}/handler.ts`),
  worker: (channel: Channel) => `channels/${channel}/handler.ts`,
  /** A channel's feedback function: what its provider says after the send. */
  feedback: (channel: Channel) => `channels/${channel}/feedback-handler.ts`,
  /** The function that makes an erasure again, from the erasure queue. */
  erasureFollowUp: 'user-erasure/follow-up-handler.ts',
  /** The dispatch of scheduled notifications, from the dispatch queue. */
  scheduledDispatch: 'scheduler/dispatch-handler.ts',
  /** The due drain: every minute, what falls due goes from the due-time index onto the dispatch queue. */
  dueDrain: 'scheduler/drain-handler.ts',
  /** A broadcast's fan-out, one chunk of its topic's subscribers per message of the fan-out queue. */
  broadcastFanOut: 'broadcast/fan-out-handler.ts',
  /** The publisher of state events: the notifications table's stream onto the event bus. */
  eventPublisher: 'events/publisher-handler.ts',
  /** The fan-out of state events to the webhook endpoints that want them, from the bus's webhook queue. */
  webhookFanOut: 'webhooks/fan-out-handler.ts',
  /** The delivery of webhooks, from either lane. */
  webhookDelivery: 'webhooks/delivery-handler.ts',
};

/**
 * The DAX client, which ingest loads (lambdas/shared/aws/user-reads.ts) only where the stack has the preferences
 * cache. Elsewhere the stack leaves it out of the bundle: 400 KB that every cold start would read for nothing.
 */
export const DAX_CLIENT_PACKAGE = '@amazon-dax-sdk/lib-dax';

/** The names the local platform gives its resources under a prefix; `npm run dlq` and the tests find them so. */
export const LOCAL_RESOURCE_NAMES = {
  table: (prefix: string, key: TableKey) => `${prefix}-${key}`,
  queue: (prefix: string, channel: Channel) => `${prefix}-${channel}`,
  deadLetterQueue: (prefix: string, channel: Channel) => `${prefix}-${channel}-dlq`,
  /** A channel's feedback topic and queue (and, with `-dlq`, its DLQ). */
  feedback: (prefix: string, channel: Channel) => `${prefix}-${channel}-feedback`,
  /** The erasure follow-ups' queue (and, with `-dlq`, its DLQ). */
  erasureQueue: (prefix: string) => `${prefix}-erasures`,
  /** The dispatch queue of scheduled notifications (and, with `-dlq`, its DLQ). */
  dispatchQueue: (prefix: string) => `${prefix}-dispatch`,
  /** A channel's bulk lane: a broadcast's jobs (its DLQ is the channel's). */
  bulkQueue: (prefix: string, channel: Channel) => `${prefix}-${channel}-bulk`,
  /** The fan-out queue of broadcasts (and, with `-dlq`, its DLQ). */
  fanOutQueue: (prefix: string) => `${prefix}-fan-out`,
  /** The event bus of state events. */
  eventBus: (prefix: string) => `${prefix}-events`,
  /** The queue the bus's webhook rule feeds (and, with `-dlq`, its DLQ). */
  webhookEvents: (prefix: string) => `${prefix}-webhook-events`,
  /** A lane of webhook deliveries (the lanes share one DLQ, `<prefix>-webhook-deliveries-dlq`). */
  webhookDeliveries: (prefix: string, lane: 'prompt' | 'slow') => `${prefix}-webhook-deliveries-${lane}`,
};
