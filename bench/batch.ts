/**
 * A batch of 100 notifications against the same 100 sent one by one, in one run: per notification, the API Gateway
 * requests, the ingest handler's time (what Lambda bills: the sum of the invocations' durations) and the AWS calls
 * (counted on the handler's own clients), without and with idempotency keys. The two alternate round by round, so that
 * drift falls on both; the figures are the rounds' medians, and their ratios.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { OPERATIONS } from '../lambdas/shared/platform/operations.js';
import { lambdaContext, proxyEvent } from '../local/api-gateway-emulation.js';
import type { LocalPlatform } from '../local/runtime.js';
import { type AwsCallCounter, median, round, runConcurrently } from './measure.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number }>;

const TYPE = 'bench_batch';
/** Single sends go out as a producer's service sends them: several at once, each its own invocation. */
const SINGLE_CONCURRENCY = 8;

interface Round {
  readonly handlerMs: number;
  readonly wallMs: number;
  readonly calls: number;
  readonly byOperation: Record<string, number>;
}

export async function measureBatch(
  platform: LocalPlatform,
  handler: Handler,
  counter: AwsCallCounter,
  call: Call,
  options: { readonly rounds: number; readonly size?: number },
): Promise<Record<string, unknown>> {
  const size = options.size ?? 100;
  await call('PUT', `/v1/templates/${TYPE}`, {
    email: { subject: 'bench {{ n }}', body: '<p>Order {{ n }}</p>' },
    sms: { body: 'Order {{ n }}' },
  });
  const users = Array.from({ length: size }, (_, index) => `bench-batch-${index}`);
  for (const userId of users)
    await call('PUT', `/v1/users/${userId}/contacts`, {
      email_address: `${userId}@example.com`,
      phone_number: '+4915112345678',
    });

  let sequence = 0;
  const notifications = (keyed: boolean) => {
    sequence++;
    return users.map((userId, index) => ({
      user_id: userId,
      type: TYPE,
      payload: { n: `${sequence}-${index}` },
      ...(keyed ? { idempotency_key: `bench-${sequence}-${index}-${Date.now()}` } : {}),
    }));
  };
  const invoke = async (operation: 'sendNotification' | 'sendNotificationBatch', body: unknown, key?: string) => {
    const event = proxyEvent({
      method: OPERATIONS[operation].method,
      resource: OPERATIONS[operation].path,
      path: OPERATIONS[operation].path,
      pathParameters: null,
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify(body),
      apiKeyId: 'local-developer',
    });
    const started = performance.now();
    const result = await counter.measure(() => handler(event, lambdaContext('ingest')));
    const ms = performance.now() - started;
    const expected = operation === 'sendNotification' ? 202 : 200;
    if (result.statusCode !== expected) throw new Error(`${operation} answered ${result.statusCode}: ${result.body}`);
    if (operation === 'sendNotificationBatch' && result.body.includes('"error"'))
      throw new Error(`a notification of the batch was refused: ${result.body.slice(0, 500)}`);
    return ms;
  };
  const singles = async (keyed: boolean): Promise<Round> =>
    measured(async () => {
      const batch = notifications(keyed);
      const durations: number[] = [];
      await runConcurrently(batch.length, SINGLE_CONCURRENCY, async (index) => {
        const { idempotency_key: key, ...request } = batch[index] as (typeof batch)[number] & {
          idempotency_key?: string;
        };
        durations.push(await invoke('sendNotification', request, key));
      });
      return durations.reduce((sum, ms) => sum + ms, 0);
    });
  const batched = async (keyed: boolean): Promise<Round> =>
    measured(() => invoke('sendNotificationBatch', { notifications: notifications(keyed) }));
  const measured = async (work: () => Promise<number>): Promise<Round> => {
    counter.reset();
    const started = performance.now();
    const handlerMs = await work();
    return {
      handlerMs,
      wallMs: performance.now() - started,
      calls: counter.total(),
      byOperation: counter.byOperation(),
    };
  };

  // The jobs are delivered later: the workers must not compete for the CPU meanwhile.
  platform.pauseDeliveries(true);
  await singles(false); // warm the module, the clients and the template cache
  await batched(false);
  const rounds = {
    single: [] as Round[],
    batch: [] as Round[],
    single_keyed: [] as Round[],
    batch_keyed: [] as Round[],
  };
  for (let index = 0; index < options.rounds; index++) {
    rounds.single.push(await singles(false));
    rounds.batch.push(await batched(false));
    rounds.single_keyed.push(await singles(true));
    rounds.batch_keyed.push(await batched(true));
  }
  platform.pauseDeliveries(false);

  const perNotification = (measuredRounds: Round[], apiRequests: number) => ({
    api_requests_per_notification: round(apiRequests / size, 3),
    handler_ms_per_notification: round(median(measuredRounds.map((each) => each.handlerMs)) / size, 3),
    aws_calls_per_notification: round(median(measuredRounds.map((each) => each.calls)) / size, 3),
    wall_ms_for_all: round(median(measuredRounds.map((each) => each.wallMs)), 1),
    calls_by_operation_per_notification: Object.fromEntries(
      Object.entries(sumOf(measuredRounds.map((each) => each.byOperation))).map(([name, count]) => [
        name,
        round(count / (size * measuredRounds.length), 3),
      ]),
    ),
  });
  const compare = (single: Round[], batch: Round[]) => {
    const one = perNotification(single, size);
    const many = perNotification(batch, 1);
    return {
      single: one,
      batch: many,
      batch_over_single: {
        api_requests: round(many.api_requests_per_notification / one.api_requests_per_notification, 3),
        handler_ms: round(many.handler_ms_per_notification / one.handler_ms_per_notification, 3),
        aws_calls: round(many.aws_calls_per_notification / one.aws_calls_per_notification, 3),
        wall_ms: round(many.wall_ms_for_all / one.wall_ms_for_all, 3),
      },
    };
  };
  return {
    notifications: size,
    rounds: options.rounds,
    single_concurrency: SINGLE_CONCURRENCY,
    channels_per_notification: 2,
    without_keys: compare(rounds.single, rounds.batch),
    with_idempotency_keys: compare(rounds.single_keyed, rounds.batch_keyed),
  };
}

function sumOf(counts: readonly Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const each of counts) for (const [name, count] of Object.entries(each)) sum[name] = (sum[name] ?? 0) + count;
  return Object.fromEntries(Object.entries(sum).sort());
}
