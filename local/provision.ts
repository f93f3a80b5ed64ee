/**
 * Creates the platform's tables, queues and push applications in an emulator, from the same config the
 * CDK stack is built from, and says which environment the functions need to use them. Used by the
 * integration tests (with a unique prefix each) and by the local runtime.
 */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  type EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-eventbridge';
import type { SESClient } from '@aws-sdk/client-ses';
import {
  CreatePlatformApplicationCommand,
  DeletePlatformApplicationCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { EMAIL_VARIABLES } from '../lambdas/channels/email/channel.js';
import { PUSH_VARIABLES } from '../lambdas/channels/push/channel.js';
import { CHANNELS, type Channel } from '../lambdas/channels/registry.js';
import { EVENT_SOURCE } from '../lambdas/shared/domain/state-events.js';
import type { DeliveryLane } from '../lambdas/shared/domain/webhooks.js';
import {
  BULK_QUEUE_URL_VARIABLE,
  DEAD_LETTER_QUEUE_URL_VARIABLE,
  ENV,
  FEEDBACK_DEAD_LETTER_QUEUE_URL_VARIABLE,
  QUEUE_URL_VARIABLE,
} from '../lambdas/shared/platform/environment.js';
import {
  BROADCAST_FAN_OUT,
  CHANNEL_QUEUES,
  DEAD_LETTER_RETENTION_DAYS,
  ERASURE_FOLLOW_UP,
  type KeyAttribute,
  LOCAL_RESOURCE_NAMES,
  maxReceiveCount,
  SCHEDULED_DISPATCH,
  TABLES,
  type TableDefinition,
  type TableKey,
  VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
  visibilityTimeoutSeconds,
  WEBHOOKS,
} from '../lambdas/shared/platform/resources.js';
import { type EmailFeedbackResources, provisionEmailFeedback, removeEmailFeedback } from './email-feedback.js';
import { type FeedbackPath, removeFeedbackPath } from './feedback-path.js';
import { provisionPushFeedback } from './push-feedback.js';

export interface LocalClients {
  readonly dynamoDb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly ses: SESClient;
  readonly events: EventBridgeClient;
}

export interface ChannelQueueUrls {
  readonly url: string;
  readonly deadLetterUrl: string;
}

export interface LocalResources {
  readonly tables: Readonly<Record<TableKey, string>>;
  readonly queues: Readonly<Record<Channel, ChannelQueueUrls>>;
  readonly platformApplications: { readonly apns: string; readonly fcm: string };
  /** What SES says of each email comes back this way (email-feedback.ts). */
  readonly emailFeedback: EmailFeedbackResources;
  /** What SNS says of the push applications' endpoints comes back this way (push-feedback.ts). */
  readonly pushFeedback: FeedbackPath;
  /** Erasures to make again later (lambdas/user-erasure/). */
  readonly erasureQueue: ChannelQueueUrls;
  /** Scheduled notifications waiting their last minutes, then dispatched (lambdas/scheduler/). */
  readonly dispatchQueue: ChannelQueueUrls;
  /** Each channel's bulk lane: a broadcast's jobs (its DLQ is the channel's). */
  readonly bulkQueues: Readonly<Record<Channel, string>>;
  /** A broadcast's chunks, one message each (lambdas/broadcast/). */
  readonly fanOutQueue: ChannelQueueUrls;
  /** The event bus of state events (lambdas/events/). */
  readonly eventBus: string;
  /** Every state event for the webhook fan-out, from the bus's rule (lambdas/webhooks/). */
  readonly webhookEvents: ChannelQueueUrls;
  /** The bus's rule that feeds it. */
  readonly webhookEventsRule: string;
  /** The webhook deliveries' lanes; `deadLetterUrl` is the DLQ they share. */
  readonly webhookLanes: Readonly<Record<DeliveryLane, string>> & { readonly deadLetterUrl: string };
  /** Whether this provisioning made the notifications table (its stream then holds only this run's writes). */
  readonly madeNotificationsTable: boolean;
}

export class MissingLocalQueueError extends Error {
  constructor(readonly queueName: string) {
    super(`no queue ${queueName}`);
    this.name = 'MissingLocalQueueError';
  }
}

/** The channel queues an earlier provisioning created under `prefix`, looked up in channel order. */
export async function locateChannelQueues(
  sqs: SQSClient,
  prefix: string,
): Promise<Readonly<Record<Channel, ChannelQueueUrls>>> {
  const urlOf = async (QueueName: string) => {
    try {
      return (await sqs.send(new GetQueueUrlCommand({ QueueName }))).QueueUrl ?? '';
    } catch (error) {
      if ((error as Error).name === 'QueueDoesNotExist') throw new MissingLocalQueueError(QueueName);
      throw error;
    }
  };
  // One after the other, so a missing platform is named by its first queue.
  const queues: Partial<Record<Channel, ChannelQueueUrls>> = {};
  for (const channel of CHANNELS) {
    queues[channel] = {
      url: await urlOf(LOCAL_RESOURCE_NAMES.queue(prefix, channel)),
      deadLetterUrl: await urlOf(LOCAL_RESOURCE_NAMES.deadLetterQueue(prefix, channel)),
    };
  }
  return queues as Record<Channel, ChannelQueueUrls>;
}

export interface ProvisionOptions {
  /** Overrides the config's visibility timeout (the fault drill's clock runs fast). */
  readonly visibilityTimeoutSeconds?: number;
}

export async function provisionLocalResources(
  clients: LocalClients,
  prefix: string,
  options: ProvisionOptions = {},
): Promise<LocalResources> {
  const tableKeys = Object.keys(TABLES) as TableKey[];
  const tables = await Promise.all(
    tableKeys.map((key) => createTable(clients.dynamoDb, LOCAL_RESOURCE_NAMES.table(prefix, key), TABLES[key])),
  );
  const eventBus = await createEventBus(clients.events, LOCAL_RESOURCE_NAMES.eventBus(prefix));
  const queueUrls = await Promise.all(
    CHANNELS.map((channel) => createChannelQueue(clients.sqs, prefix, channel, options)),
  );
  const bulkQueueUrls = await Promise.all(
    CHANNELS.map((channel) => createChannelQueue(clients.sqs, prefix, channel, options, 'bulk')),
  );
  const [apns, fcm, emailFeedback, erasureQueue, dispatchQueue, fanOutQueue] = await Promise.all([
    createPlatformApplication(clients.sns, `${prefix}-apns`, 'APNS'),
    createPlatformApplication(clients.sns, `${prefix}-fcm`, 'GCM'),
    provisionEmailFeedback(clients, prefix),
    createQueueWithDeadLetters(clients.sqs, LOCAL_RESOURCE_NAMES.erasureQueue(prefix), {
      visibilityTimeoutSeconds: ERASURE_FOLLOW_UP.timeoutSeconds * VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
      maxReceiveCount: ERASURE_FOLLOW_UP.passes,
    }),
    createQueueWithDeadLetters(clients.sqs, LOCAL_RESOURCE_NAMES.dispatchQueue(prefix), {
      visibilityTimeoutSeconds:
        options.visibilityTimeoutSeconds ?? SCHEDULED_DISPATCH.timeoutSeconds * VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
      maxReceiveCount: SCHEDULED_DISPATCH.maxReceiveCount,
    }),
    createQueueWithDeadLetters(clients.sqs, LOCAL_RESOURCE_NAMES.fanOutQueue(prefix), {
      visibilityTimeoutSeconds:
        options.visibilityTimeoutSeconds ?? BROADCAST_FAN_OUT.timeoutSeconds * VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
      maxReceiveCount: BROADCAST_FAN_OUT.maxReceiveCount,
    }),
  ]);
  const pushFeedback = await provisionPushFeedback(clients, prefix, [apns, fcm]);
  const webhooks = await provisionWebhooks(clients, prefix, eventBus, options);
  return {
    ...webhooks,
    tables: Object.fromEntries(tableKeys.map((key, index) => [key, tables[index]?.name])) as Record<TableKey, string>,
    madeNotificationsTable: tables[tableKeys.indexOf('notifications')]?.made ?? false,
    eventBus,
    queues: Object.fromEntries(
      CHANNELS.map((channel, index) => [channel, queueUrls[index]]),
    ) as LocalResources['queues'],
    platformApplications: { apns, fcm },
    emailFeedback,
    pushFeedback,
    erasureQueue,
    dispatchQueue,
    bulkQueues: Object.fromEntries(
      CHANNELS.map((channel, index) => [channel, bulkQueueUrls[index]?.url]),
    ) as LocalResources['bulkQueues'],
    fanOutQueue,
  };
}

/** The variables the functions read (see lambdas/shared/platform/environment.ts) for these resources. */
export function functionEnvironment(resources: LocalResources): Record<string, string> {
  return {
    [ENV.usersTable]: resources.tables.users,
    [ENV.devicesTable]: resources.tables.devices,
    [ENV.notificationsTable]: resources.tables.notifications,
    [ENV.templatesTable]: resources.tables.templates,
    [ENV.suppressionsTable]: resources.tables.suppressions,
    [ENV.topicsTable]: resources.tables.topics,
    ...Object.fromEntries(CHANNELS.map((channel) => [QUEUE_URL_VARIABLE[channel], resources.queues[channel].url])),
    ...Object.fromEntries(
      CHANNELS.map((channel) => [DEAD_LETTER_QUEUE_URL_VARIABLE[channel], resources.queues[channel].deadLetterUrl]),
    ),
    [PUSH_VARIABLES.apnsPlatformApplicationArn]: resources.platformApplications.apns,
    [PUSH_VARIABLES.fcmPlatformApplicationArn]: resources.platformApplications.fcm,
    [EMAIL_VARIABLES.configurationSet]: resources.emailFeedback.configurationSet,
    [FEEDBACK_DEAD_LETTER_QUEUE_URL_VARIABLE.email]: resources.emailFeedback.deadLetterUrl,
    [FEEDBACK_DEAD_LETTER_QUEUE_URL_VARIABLE.push]: resources.pushFeedback.deadLetterUrl,
    [ENV.erasureQueueUrl]: resources.erasureQueue.url,
    [ENV.dispatchQueueUrl]: resources.dispatchQueue.url,
    ...Object.fromEntries(CHANNELS.map((channel) => [BULK_QUEUE_URL_VARIABLE[channel], resources.bulkQueues[channel]])),
    [ENV.fanOutQueueUrl]: resources.fanOutQueue.url,
    [ENV.eventBusName]: resources.eventBus,
    [ENV.webhooksTable]: resources.tables.webhooks,
    [ENV.webhookPromptQueueUrl]: resources.webhookLanes.prompt,
    [ENV.webhookSlowQueueUrl]: resources.webhookLanes.slow,
  };
}

/**
 * Webhooks' queues: the one the bus's rule feeds every state event to (as the stack's rule does), and the two lanes of
 * deliveries with the DLQ they share.
 */
async function provisionWebhooks(
  clients: LocalClients,
  prefix: string,
  eventBus: string,
  options: ProvisionOptions,
): Promise<Pick<LocalResources, 'webhookEvents' | 'webhookEventsRule' | 'webhookLanes'>> {
  const webhookEvents = await createQueueWithDeadLetters(clients.sqs, LOCAL_RESOURCE_NAMES.webhookEvents(prefix), {
    visibilityTimeoutSeconds:
      options.visibilityTimeoutSeconds ?? WEBHOOKS.fanOut.timeoutSeconds * VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
    maxReceiveCount: WEBHOOKS.fanOut.maxReceiveCount,
  });
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: webhookEvents.url, AttributeNames: ['QueueArn'] }),
  );
  const rule = LOCAL_RESOURCE_NAMES.webhookEvents(prefix);
  await clients.events.send(
    new PutRuleCommand({
      Name: rule,
      EventBusName: eventBus,
      EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }),
    }),
  );
  await clients.events.send(
    new PutTargetsCommand({
      Rule: rule,
      EventBusName: eventBus,
      Targets: [{ Id: 'webhook-events', Arn: required(Attributes?.QueueArn, 'QueueArn') }],
    }),
  );
  const lane = (name: DeliveryLane) =>
    createQueueWithDeadLetters(clients.sqs, LOCAL_RESOURCE_NAMES.webhookDeliveries(prefix, name), {
      deadLetterName: `${prefix}-webhook-deliveries-dlq`,
      visibilityTimeoutSeconds:
        options.visibilityTimeoutSeconds ?? WEBHOOKS.delivery.timeoutSeconds * VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
      maxReceiveCount: WEBHOOKS.delivery.maxReceiveCount,
    });
  const [prompt, slow] = await Promise.all([lane('prompt'), lane('slow')]);
  return {
    webhookEvents,
    webhookEventsRule: rule,
    webhookLanes: { prompt: prompt.url, slow: slow.url, deadLetterUrl: prompt.deadLetterUrl },
  };
}

export async function removeLocalResources(clients: LocalClients, resources: LocalResources): Promise<void> {
  await Promise.all([
    ...Object.values(resources.tables).map((TableName) => clients.dynamoDb.send(new DeleteTableCommand({ TableName }))),
    ...[
      ...Object.values(resources.queues),
      resources.erasureQueue,
      resources.dispatchQueue,
      resources.fanOutQueue,
    ].flatMap(({ url, deadLetterUrl }) =>
      [url, deadLetterUrl].map((QueueUrl) => clients.sqs.send(new DeleteQueueCommand({ QueueUrl }))),
    ),
    ...Object.values(resources.bulkQueues).map((QueueUrl) => clients.sqs.send(new DeleteQueueCommand({ QueueUrl }))),
    ...[
      resources.webhookEvents.url,
      resources.webhookEvents.deadLetterUrl,
      ...Object.values(resources.webhookLanes),
    ].map((QueueUrl) => clients.sqs.send(new DeleteQueueCommand({ QueueUrl }))),
    ...Object.values(resources.platformApplications).map((PlatformApplicationArn) =>
      clients.sns.send(new DeletePlatformApplicationCommand({ PlatformApplicationArn })),
    ),
    removeEmailFeedback(clients, resources.emailFeedback),
    removeFeedbackPath(clients, resources.pushFeedback),
  ]);
  // A bus is deleted once its rule is.
  const rule = { Rule: resources.webhookEventsRule, EventBusName: resources.eventBus };
  await clients.events.send(new RemoveTargetsCommand({ ...rule, Ids: ['webhook-events'] }));
  await clients.events.send(new DeleteRuleCommand({ Name: rule.Rule, EventBusName: rule.EventBusName }));
  await clients.events.send(new DeleteEventBusCommand({ Name: resources.eventBus }));
}

/** Makes a table, or keeps the one an earlier run made; answers which. */
async function createTable(
  client: DynamoDBClient,
  name: string,
  definition: TableDefinition,
): Promise<{ name: string; made: boolean }> {
  const streamSpecification = definition.stream
    ? { StreamEnabled: true, StreamViewType: definition.stream }
    : undefined;
  let made = true;
  const keysOf = (keyed: { partitionKey: KeyAttribute; sortKey?: KeyAttribute }) => [
    keyed.partitionKey,
    ...(keyed.sortKey ? [keyed.sortKey] : []),
  ];
  const keySchema = (keyed: { partitionKey: KeyAttribute; sortKey?: KeyAttribute }) =>
    keysOf(keyed).map((key, index) => ({ AttributeName: key.name, KeyType: index === 0 ? 'HASH' : 'RANGE' }) as const);
  const attributes = new Map(
    [definition, ...(definition.indexes ?? [])].flatMap(keysOf).map((key) => [key.name, key.type]),
  );
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        })),
        KeySchema: keySchema(definition),
        GlobalSecondaryIndexes: definition.indexes?.map((index) => ({
          IndexName: index.name,
          KeySchema: keySchema(index),
          Projection: { ProjectionType: 'KEYS_ONLY' },
        })),
        StreamSpecification: streamSpecification,
      }),
    );
  } catch (error) {
    // Already there from an earlier run of the local runtime: keep its data, if it has the shape of today's.
    if (!(error instanceof ResourceInUseException)) throw error;
    made = false;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    const shape = (table: {
      KeySchema?: unknown;
      GlobalSecondaryIndexes?: { IndexName?: string; KeySchema?: unknown }[];
    }) =>
      JSON.stringify([
        table.KeySchema,
        (table.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, index.KeySchema]),
      ]);
    const wanted = shape({
      KeySchema: keySchema(definition),
      GlobalSecondaryIndexes: definition.indexes?.map((index) => ({
        IndexName: index.name,
        KeySchema: keySchema(index),
      })),
    });
    if (Table && shape(Table) !== wanted)
      throw new Error(
        `the table ${name} in the emulator has the keys of an older version; stop the emulators (npm run emulator -- stop) so that it is created afresh`,
      );
    // Made by a version before its stream: the stream is added, and holds what is written from now on.
    if (streamSpecification && !Table?.StreamSpecification?.StreamEnabled)
      await client.send(new UpdateTableCommand({ TableName: name, StreamSpecification: streamSpecification }));
  }
  await waitUntilTableExists({ client, minDelay: 1, maxWaitTime: 30 }, { TableName: name });
  return { name, made };
}

/** The event bus, or the one an earlier run made. */
async function createEventBus(client: EventBridgeClient, name: string): Promise<string> {
  try {
    await client.send(new CreateEventBusCommand({ Name: name }));
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }
  return name;
}

/** A channel's queue, or its bulk lane, and the channel's DLQ that both redrive to. */
async function createChannelQueue(
  client: SQSClient,
  prefix: string,
  channel: Channel,
  options: ProvisionOptions,
  lane: 'critical' | 'bulk' = 'critical',
) {
  const settings = CHANNEL_QUEUES[channel];
  const name =
    lane === 'bulk' ? LOCAL_RESOURCE_NAMES.bulkQueue(prefix, channel) : LOCAL_RESOURCE_NAMES.queue(prefix, channel);
  return createQueueWithDeadLetters(client, name, {
    deadLetterName: LOCAL_RESOURCE_NAMES.deadLetterQueue(prefix, channel),
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? visibilityTimeoutSeconds(settings),
    maxReceiveCount: maxReceiveCount(settings),
  });
}

/** A queue and the DLQ SQS moves a message to after `maxReceiveCount` receives. */
async function createQueueWithDeadLetters(
  client: SQSClient,
  name: string,
  settings: { deadLetterName?: string; visibilityTimeoutSeconds: number; maxReceiveCount: number },
): Promise<ChannelQueueUrls> {
  const deadLetter = await client.send(
    new CreateQueueCommand({
      QueueName: settings.deadLetterName ?? `${name}-dlq`,
      Attributes: { MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_DAYS * 24 * 3600) },
    }),
  );
  const deadLetterUrl = required(deadLetter.QueueUrl, 'QueueUrl');
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: required(Attributes?.QueueArn, 'QueueArn'),
          maxReceiveCount: settings.maxReceiveCount,
        }),
      },
    }),
  );
  return { url: required(queue.QueueUrl, 'QueueUrl'), deadLetterUrl };
}

async function createPlatformApplication(client: SNSClient, name: string, platform: 'APNS' | 'GCM'): Promise<string> {
  // The emulator accepts any credentials; a real deployment imports its applications by ARN instead.
  const Attributes: Record<string, string> =
    platform === 'APNS'
      ? { PlatformCredential: 'local-apns-key', PlatformPrincipal: 'local-apns-certificate' }
      : { PlatformCredential: 'local-fcm-key' };
  const { PlatformApplicationArn } = await client.send(
    new CreatePlatformApplicationCommand({ Name: name, Platform: platform, Attributes }),
  );
  return required(PlatformApplicationArn, 'PlatformApplicationArn');
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the emulator returned no ${what}`);
  return value;
}
