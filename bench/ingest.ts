/**
 * The ingest handler at a fixed concurrency: requests per second, latency, AWS calls per accepted notification
 * (counted on the handler's own clients), and its overhead over the same AWS calls made bare.
 */
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { documentClient } from '../lambdas/shared/aws/dynamodb.js';
import { sqsClient } from '../lambdas/shared/aws/sqs.js';
import { OPERATIONS } from '../lambdas/shared/platform/operations.js';
import { lambdaContext, proxyEvent } from '../local/api-gateway-emulation.js';
import type { LocalPlatform } from '../local/runtime.js';
import { type AwsCallCounter, median, percentile, round, runConcurrently } from './measure.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export async function measureIngest(
  platform: LocalPlatform,
  handler: Handler,
  counter: AwsCallCounter,
  options: { readonly requests: number; readonly concurrency: number },
): Promise<Record<string, number | Record<string, number>>> {
  const event = (idempotencyKey?: string) =>
    proxyEvent({
      method: OPERATIONS.sendNotification.method,
      resource: OPERATIONS.sendNotification.path,
      path: OPERATIONS.sendNotification.path,
      pathParameters: null,
      headers: { 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
      body: JSON.stringify({ user_id: 'bench-user-0', type: 'bench_isolation', payload: { n: 'ingest' } }),
      apiKeyId: 'local-developer',
    });
  const invoke = async (idempotencyKey?: string) => {
    const result = await counter.measure(() => handler(event(idempotencyKey), lambdaContext('ingest')));
    if (result.statusCode !== 202) throw new Error(`ingest answered ${result.statusCode}: ${result.body}`);
  };
  // The jobs this queues are delivered later: the workers must not compete for the CPU meanwhile.
  platform.pauseDeliveries(true);
  await runConcurrently(20, options.concurrency, () => invoke()); // warm the module, the clients and the template cache

  counter.reset();
  const started = performance.now();
  const durations = await runConcurrently(options.requests, options.concurrency, () => invoke());
  const elapsed = (performance.now() - started) / 1000;
  const callsWithoutKey = counter.total() / options.requests;
  const operationsWithoutKey = counter.byOperation();

  counter.reset();
  const keyedDurations = await runConcurrently(options.requests, options.concurrency, () => invoke(randomUUID()));
  const callsWithKey = counter.total() / options.requests;

  // The same calls, bare: read the user, write the record, send the two jobs in parallel (to a queue of
  // their own, so that no worker receives them).
  const { tables } = platform.resources;
  const { QueueUrl: bareQueue } = await sqsClient.send(new CreateQueueCommand({ QueueName: 'bench-bare-jobs' }));
  const bare = await runConcurrently(options.requests, options.concurrency, async () => {
    await documentClient.get({ TableName: tables.users, Key: { user_id: 'bench-user-0' } });
    const id = randomUUID();
    await documentClient.put({
      TableName: tables.notifications,
      Item: { pk: `bench#${id}`, sk: 'notification', expires_at: 0 },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    await Promise.all(
      [1, 2].map(() =>
        sqsClient.send(new SendMessageCommand({ QueueUrl: bareQueue, MessageBody: JSON.stringify({ bench: id }) })),
      ),
    );
  });
  await sqsClient.send(new DeleteQueueCommand({ QueueUrl: bareQueue }));
  platform.pauseDeliveries(false);

  return {
    rps: round(options.requests / elapsed, 1),
    p50_ms: round(median(durations), 2),
    p99_ms: round(percentile(durations, 99), 2),
    p50_ms_with_idempotency_key: round(median(keyedDurations), 2),
    bare_calls_p50_ms: round(median(bare), 2),
    overhead_ratio_p50: round(median(durations) / median(bare), 3),
    aws_calls_per_notification: round(callsWithoutKey, 3),
    aws_calls_per_notification_with_idempotency_key: round(callsWithKey, 3),
    queued_channels_per_notification: 2,
    calls_by_operation: operationsWithoutKey,
  };
}
