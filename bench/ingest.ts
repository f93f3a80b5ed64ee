/**
 * The ingest handler: requests per second, latency, AWS calls per accepted notification (counted on the handler's own
 * clients), and, at concurrency 1, 8 and 32, its p50 and p99 against the same AWS calls made bare alongside.
 */
import { randomUUID } from 'node:crypto';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as sqs from '@aws-sdk/client-sqs';
import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { documentClient } from '../lambdas/shared/aws/dynamodb.js';
import { sqsClient } from '../lambdas/shared/aws/sqs.js';
import { OPERATIONS } from '../lambdas/shared/platform/operations.js';
import { lambdaContext, proxyEvent } from '../local/api-gateway-emulation.js';
import type { LocalPlatform } from '../local/runtime.js';
import { type AwsCallCounter, concurrentGroups, median, percentile, round, runConcurrently } from './measure.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Alternating rounds of the handler and its bare calls at each concurrency. */
const ROUNDS = 12;

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
    return (JSON.parse(result.body) as { notification_id: string }).notification_id;
  };
  // The jobs this queues are delivered later: the workers must not compete for the CPU meanwhile.
  platform.pauseDeliveries(true);
  await runConcurrently(20, options.concurrency, async () => void (await invoke())); // warm the module, the clients and the template cache

  counter.reset();
  const started = performance.now();
  const durations = await runConcurrently(options.requests, options.concurrency, async () => void (await invoke()));
  const elapsed = (performance.now() - started) / 1000;
  const callsWithoutKey = counter.total() / options.requests;
  const operationsWithoutKey = counter.byOperation();

  counter.reset();
  const keyedDurations = await runConcurrently(
    options.requests,
    options.concurrency,
    async () => void (await invoke(randomUUID())),
  );
  const callsWithKey = counter.total() / options.requests;

  // The same calls, bare: the requests one notification made, recorded as they went on the wire and made again as
  // they were made (one after another, the jobs at once), with a fresh notification id each time (its write is
  // conditional on the id being new), the jobs sent to a queue of their own, so that no worker receives them.
  const { QueueUrl: bareQueue } = await sqsClient.send(new CreateQueueCommand({ QueueName: 'bench-bare-jobs' }));
  const bareCalls = await recordedCalls(counter, () => invoke(), bareQueue ?? '');

  // At each concurrency: the handler, then the bare calls, in alternating rounds so that drift falls on both.
  const byConcurrency: Record<string, number> = {};
  for (const level of options.levels ?? [1, 8, 32]) {
    const handlerSamples: number[] = [];
    const bareSamples: number[] = [];
    // Short rounds, so that a stall of the emulators (a JVM's collection, LocalStack's) falls on both sides alike.
    for (let round = 0; round < ROUNDS; round++) {
      const requests = Math.max(level, Math.round(options.requests / ROUNDS));
      handlerSamples.push(...(await runConcurrently(requests, level, async () => void (await invoke()))));
      bareSamples.push(...(await runConcurrently(requests, level, bareCalls)));
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
    aws_calls_per_notification: round(callsWithoutKey, 3),
    aws_calls_per_notification_with_idempotency_key: round(callsWithKey, 3),
    queued_channels_per_notification: 2,
    calls_by_operation: operationsWithoutKey,
    by_concurrency: byConcurrency,
  };
}

/**
 * The requests one notification's ingest makes, to make again bare: recorded on the handler's own clients (after the
 * template is cached, as it is for all but one request in TEMPLATE_CACHE_SECONDS), replayed through the same clients.
 */
export async function recordedCalls(
  counter: AwsCallCounter,
  invoke: () => Promise<string>,
  bareQueue: string,
): Promise<() => Promise<void>> {
  const { result: notificationId, calls } = await counter.record(invoke);
  const groups = concurrentGroups(calls).map((group) =>
    group.map((call) => {
      const input = call.command === 'SendMessageCommand' ? { ...call.input, QueueUrl: bareQueue } : call.input;
      return { ...call, input: JSON.stringify(input) };
    }),
  );
  const commandOf = (service: string, command: string, input: object) => {
    const commands = (service === 'sqs' ? sqs : dynamodb) as unknown as Record<string, new (input: object) => object>;
    const Command = commands[command];
    if (!Command) throw new Error(`bench/ingest.ts: no ${service} command ${command}`);
    return new Command(input);
  };
  return async () => {
    const id = randomUUID();
    for (const group of groups) {
      await Promise.all(
        group.map(({ service, command, input }) => {
          const made = commandOf(service, command, JSON.parse(input.replaceAll(notificationId, id)));
          return service === 'sqs'
            ? sqsClient.send(made as sqs.SendMessageCommand)
            : documentClient.send(made as dynamodb.GetItemCommand);
        }),
      );
    }
  };
}
