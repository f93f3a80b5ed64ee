/**
 * The ingest handler: requests per second, latency, AWS calls per accepted notification (counted on the handler's own
 * clients), and, at concurrency 1, 8 and 32, its p50 and p99 against the same AWS calls made bare alongside.
 */
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { addressKey } from '../lambdas/shared/adapters/suppression-list.js';
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
  options: { readonly requests: number; readonly concurrency: number; readonly levels?: readonly number[] },
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

  // The same calls, bare: read the user, then the suppression list for its two addresses, write the record, send the
  // two jobs in parallel (to a queue of their own, so that no worker receives them).
  const { tables } = platform.resources;
  const { QueueUrl: bareQueue } = await sqsClient.send(new CreateQueueCommand({ QueueName: 'bench-bare-jobs' }));
  const bareCalls = async () => {
    await documentClient.get({ TableName: tables.users, Key: { user_id: 'bench-user-0' } });
    await documentClient.batchGet({
      RequestItems: {
        [tables.suppressions]: {
          Keys: [addressKey('email', 'bench-user-0@example.com'), addressKey('sms', '+4915112345678')].map(
            (address_key) => ({ address_key }),
          ),
          ConsistentRead: true,
        },
      },
    });
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
  };
  const bare = await runConcurrently(options.requests, options.concurrency, bareCalls);

  // At each concurrency: the handler, then the bare calls, in alternating rounds so that drift falls on both.
  const byConcurrency: Record<string, number> = {};
  for (const level of options.levels ?? [1, 8, 32]) {
    const handlerSamples: number[] = [];
    const bareSamples: number[] = [];
    for (let round = 0; round < 4; round++) {
      handlerSamples.push(...(await runConcurrently(options.requests / 4, level, () => invoke())));
      bareSamples.push(...(await runConcurrently(options.requests / 4, level, bareCalls)));
    }
    const [p50, p99, bareP50, bareP99] = [
      median(handlerSamples),
      percentile(handlerSamples, 99),
      median(bareSamples),
      percentile(bareSamples, 99),
    ];
    Object.assign(byConcurrency, {
      [`c${level}_p50_ms`]: round(p50, 2),
      [`c${level}_p99_ms`]: round(p99, 2),
      [`c${level}_bare_p50_ms`]: round(bareP50, 2),
      [`c${level}_bare_p99_ms`]: round(bareP99, 2),
      [`c${level}_overhead_p50`]: round(p50 / bareP50, 3),
      [`c${level}_overhead_p99`]: round(p99 / bareP99, 3),
    });
  }
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
    by_concurrency: byConcurrency,
  };
}
