import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { BroadcastProgressStore } from '../adapters/broadcast-progress.js';
import { ChannelQueues, inBulkLane } from '../adapters/channel-queues.js';
import { DeferredJobs } from '../adapters/deferred-jobs.js';
import { DeliveryClaims } from '../adapters/delivery-claims.js';
import { NotificationsStore } from '../adapters/notifications-store.js';
import { SuppressionList } from '../adapters/suppression-list.js';
import { TemplatesStore } from '../adapters/templates-store.js';
import { UsersStore } from '../adapters/users-store.js';
import { documentClient } from '../aws/dynamodb.js';
import { sqsClient } from '../aws/sqs.js';
import { bulkStartDelayMs } from '../domain/bulk-lane.js';
import { RETRY_BASE_SECONDS } from '../domain/retry-policy.js';
import { logger, metrics, tracer } from '../observability.js';
import { categoryCatalogue } from '../platform/category-catalogue.js';
import {
  BULK_QUEUE_URL_VARIABLE,
  DEAD_LETTER_QUEUE_URL_VARIABLE,
  ENV,
  numberEnv,
  optionalEnv,
  QUEUE_URL_VARIABLE,
  requiredEnv,
} from '../platform/environment.js';
import { suppressionPeppers } from '../platform/suppression-keys.js';
import { templateRenderer } from '../templates/bounded-renderer.js';
import { BroadcastWatch } from './broadcast-watch.js';
import type { ChannelDeliverer } from './channel-deliverer.js';
import { ChannelWorker } from './channel-worker.js';

/** The parts of a channel worker a decorator may wrap. */
export interface WorkerParts {
  readonly deliverer: ChannelDeliverer;
  readonly claims: Pick<DeliveryClaims, 'claim' | 'complete' | 'release'>;
  /** The AWS SDK clients the channel's provider calls go through (none where the provider is not AWS). */
  readonly providerClients: readonly object[];
}

/** Wraps a worker's parts: the local fault drill's way in (local/fault-injection.ts); nothing deployed sets one. */
export type WorkerDecorator = (parts: WorkerParts) => WorkerParts;

let decorate: WorkerDecorator = (parts) => parts;

/** Every worker handler built after this call has its parts wrapped by `decorator`. */
export function decorateChannelWorkers(decorator: WorkerDecorator): void {
  decorate = decorator;
}

/**
 * The Lambda handler of a channel worker: each SQS record is processed on its own, concurrently with the
 * rest of the batch, and only the records that failed are reported back (ReportBatchItemFailures), so one
 * bad message never re-sends its nine neighbours.
 */
export function channelWorkerHandler(deliverer: ChannelDeliverer, providerClients: readonly object[] = []) {
  // The first jobs should not wait for the render processes to start: the cold start starts them.
  void templateRenderer.warm();
  const ownQueueUrl = requiredEnv(QUEUE_URL_VARIABLE[deliverer.channel]);
  // The channel's bulk lane (a broadcast's jobs) feeds the same function, paced (bulk-lane.ts).
  const bulkQueueUrl = requiredEnv(BULK_QUEUE_URL_VARIABLE[deliverer.channel]);
  const bulkRate = optionalEnv(ENV.bulkSendsPerSecond) ? numberEnv(ENV.bulkSendsPerSecond) : undefined;
  const deadLetterQueueUrl = requiredEnv(DEAD_LETTER_QUEUE_URL_VARIABLE[deliverer.channel]);
  const parts = decorate({
    deliverer,
    providerClients,
    claims: new DeliveryClaims(requiredEnv(ENV.notificationsTable), documentClient, numberEnv(ENV.claimLeaseSeconds)),
  });
  const worker = new ChannelWorker({
    deliverer: parts.deliverer,
    claims: parts.claims,
    users: new UsersStore(requiredEnv(ENV.usersTable), documentClient),
    templates: new TemplatesStore(
      requiredEnv(ENV.templatesTable),
      documentClient,
      numberEnv(ENV.templateCacheSeconds, 30),
    ),
    notifications: new NotificationsStore(requiredEnv(ENV.notificationsTable), documentClient),
    queues: new ChannelQueues({ [deliverer.channel]: ownQueueUrl }, sqsClient, { [deliverer.channel]: bulkQueueUrl }),
    deferredJobs: new DeferredJobs(requiredEnv(ENV.notificationsTable), documentClient),
    suppressions: new SuppressionList(requiredEnv(ENV.suppressionsTable), documentClient, suppressionPeppers),
    categories: categoryCatalogue(),
    broadcasts: new BroadcastWatch(new BroadcastProgressStore(requiredEnv(ENV.notificationsTable), documentClient)),
    retryLater: async (record: SQSRecord, delaySeconds: number) => {
      await sqsClient.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: inBulkLane(record) ? bulkQueueUrl : ownQueueUrl,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: delaySeconds,
        }),
      );
    },
    deadLetter: async (record: SQSRecord, reason: string) => {
      await sqsClient.send(
        new SendMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MessageBody: record.body,
          MessageAttributes: {
            ...Object.fromEntries(
              Object.entries(record.messageAttributes).flatMap(([name, value]) =>
                value.stringValue === undefined
                  ? []
                  : [[name, { DataType: value.dataType, StringValue: value.stringValue }]],
              ),
            ),
            dead_letter_reason: { DataType: 'String', StringValue: reason },
          },
        }),
      );
    },
    deliveryAttempts: numberEnv(ENV.deliveryAttempts),
    retryBaseSeconds: numberEnv(ENV.retryBaseSeconds, RETRY_BASE_SECONDS),
  });

  return middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // A bulk lane's batch starts its jobs one share of the lane's rate apart; a critical batch at once.
    const bulkIndex = new Map(event.Records.filter(inBulkLane).map((record, index) => [record, index]));
    const handle = async (record: SQSRecord) => {
      const index = bulkIndex.get(record);
      if (index && bulkRate) await new Promise((resolve) => setTimeout(resolve, bulkStartDelayMs(index, bulkRate)));
      await worker.handle(record);
    };
    // A processor per invocation: it keeps the batch's results, and the local runtime invokes one handler module
    // concurrently, as Lambda never does.
    return processPartialResponse(event, handle, new BatchProcessor(EventType.SQS), {
      context,
      throwOnFullBatchFailure: false,
    });
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics));
}
