/**
 * The SMS worker with Twilio answering after 100 ms: messages per second for one batch of ten and for a
 * stream of batches, against the ideal (batch size / provider latency), and the AWS calls per message. And the limit
 * of the design, measured bare in the same run: a batch cannot be faster than the provider plus the round trip that
 * reads the user, takes the claims and reads the suppression list (ten of each at once, as a batch does), plus the
 * round trip that completes the claims and records the statuses (twenty writes at once).
 */
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ChannelQueues } from '../lambdas/shared/adapters/channel-queues.js';
import { DeliveryClaims } from '../lambdas/shared/adapters/delivery-claims.js';
import { SuppressionList } from '../lambdas/shared/adapters/suppression-list.js';
import { UsersStore } from '../lambdas/shared/adapters/users-store.js';
import { documentClient } from '../lambdas/shared/aws/dynamodb.js';
import { sqsClient } from '../lambdas/shared/aws/sqs.js';
import { ENV, requiredEnv } from '../lambdas/shared/platform/environment.js';
import { suppressionPeppers } from '../lambdas/shared/platform/suppression-keys.js';
import type { ChannelJob } from '../lambdas/shared/schemas/channel-job.js';
import { lambdaContext } from '../local/api-gateway-emulation.js';
import { toSqsRecord } from '../local/queue-pollers.js';
import type { LocalPlatform } from '../local/runtime.js';
import { type AwsCallCounter, median, round } from './measure.js';

type Worker = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const PROVIDER_MS = 100;
const BATCH = 10;
const PHONE = '+4915112345678';

export async function measureWorker(
  platform: LocalPlatform,
  worker: Worker,
  counter: AwsCallCounter,
  call: (method: string, path: string, body?: unknown) => Promise<{ status: number }>,
  options: { readonly batches: number },
): Promise<Record<string, number | Record<string, number>>> {
  await call('PUT', '/v1/templates/bench_sms', { sms: { body: 'Code {{ code }}' } });
  await call('PUT', '/v1/users/bench-sms-user/contacts', { phone_number: PHONE });
  // A queue of the benchmark's own: the local pollers must not take these jobs.
  const { QueueUrl = '' } = await sqsClient.send(new CreateQueueCommand({ QueueName: 'bench-worker-jobs' }));
  const queues = new ChannelQueues({ sms: QueueUrl }, sqsClient);
  const adapters = workerAdapters();

  const runBatch = async (): Promise<number> => {
    const jobs: ChannelJob[] = Array.from({ length: BATCH }, () => ({
      notification_id: randomUUID(),
      channel: 'sms',
      user_id: 'bench-sms-user',
      type: 'bench_sms',
      producer: 'bench',
      critical: false,
      payload: { code: '123456' },
      accepted_at: new Date().toISOString(),
    }));
    // Sent as ingest sends them, by its own ChannelQueues: with the suppression keys of the address.
    const keys = await adapters.suppressions.lookupKeysOf('sms', PHONE);
    await Promise.all(jobs.map((job) => queues.send(job, 0, keys)));
    const records: SQSRecord[] = [];
    while (records.length < BATCH) {
      const { Messages = [] } = await sqsClient.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: BATCH - records.length,
          MessageSystemAttributeNames: ['All'],
          // As Lambda's event source hands them to the worker: with every message attribute.
          MessageAttributeNames: ['All'],
        }),
      );
      records.push(...Messages.map((message) => toSqsRecord(message, QueueUrl)));
    }
    platform.twilio.failNext(BATCH, { kind: 'slow', delayMs: PROVIDER_MS });
    counter.reset();
    const started = performance.now();
    const response = await counter.measure(() => worker({ Records: records }, lambdaContext('sms-worker')));
    const elapsed = performance.now() - started;
    if (response.batchItemFailures.length > 0) throw new Error(`${response.batchItemFailures.length} jobs failed`);
    return elapsed;
  };

  // Nothing else may talk to the Twilio server or compete for the CPU while this measures. Nor may Twilio's status
  // callbacks, which the webhooks function handles in AWS, not the worker: without the API's URL the worker (which
  // reads it once, at its first text) asks for none.
  platform.pauseDeliveries(true);
  const publicApiUrl = process.env[ENV.publicApiUrl];
  delete process.env[ENV.publicApiUrl];
  await runBatch(); // warm
  process.env[ENV.publicApiUrl] = publicApiUrl;
  const single = await runBatch();
  const singleCalls = counter.byOperation();
  const singleCallCount = counter.total();
  const stream: number[] = [];
  const bare: { before: number; after: number }[] = [];
  for (let index = 0; index < options.batches; index++) {
    stream.push(await runBatch());
    bare.push(await bareRoundTrips(adapters));
  }
  await sqsClient.send(new DeleteQueueCommand({ QueueUrl }));
  platform.pauseDeliveries(false);
  const before = median(bare.map((round) => round.before));
  const after = median(bare.map((round) => round.after));
  const limit = PROVIDER_MS + before + after;

  const ideal = BATCH / (PROVIDER_MS / 1000);
  const streamRate = (BATCH * stream.length) / (stream.reduce((sum, ms) => sum + ms, 0) / 1000);
  return {
    provider_latency_ms: PROVIDER_MS,
    ideal_messages_per_second: ideal,
    single_batch_ms: round(single, 1),
    single_batch_messages_per_second: round(BATCH / (single / 1000), 1),
    stream_batches: stream.length,
    stream_batch_p50_ms: round(median(stream), 1),
    stream_messages_per_second: round(streamRate, 1),
    throughput_ratio: round(streamRate / ideal, 3),
    bare_round_trip_before_provider_ms: round(before, 1),
    bare_round_trip_after_provider_ms: round(after, 1),
    design_limit_batch_ms: round(limit, 1),
    batch_to_limit_ratio: round(median(stream) / limit, 3),
    aws_calls_per_message: round(singleCallCount / BATCH, 2),
    calls_by_operation_per_batch: singleCalls,
  };
}

interface WorkerAdapters {
  readonly claims: DeliveryClaims;
  readonly users: UsersStore;
  readonly suppressions: SuppressionList;
}

/** The worker's own adapters, on the tables its function is given. */
function workerAdapters(): WorkerAdapters {
  return {
    claims: new DeliveryClaims(requiredEnv(ENV.notificationsTable), documentClient, 120),
    users: new UsersStore(requiredEnv(ENV.usersTable), documentClient),
    suppressions: new SuppressionList(requiredEnv(ENV.suppressionsTable), documentClient, suppressionPeppers),
  };
}

/**
 * The DynamoDB round trips a batch of ten cannot avoid, made bare through the worker's own adapters and tables: the
 * user read, the claim and the suppression read of ten jobs at once; then the completion of ten claims and ten
 * statuses (twenty writes) at once.
 */
async function bareRoundTrips({
  claims,
  users,
  suppressions,
}: WorkerAdapters): Promise<{ before: number; after: number }> {
  const ids = Array.from({ length: BATCH }, () => randomUUID());
  const keys = await suppressions.lookupKeysOf('sms', PHONE);
  const expires = Math.floor(Date.now() / 1000) + 3600;

  const started = performance.now();
  const taken = await Promise.all(
    ids.map(async (id) => {
      const [, claim] = await Promise.all([
        users.findFresh('bench-sms-user'),
        claims.claim(id, 'sms', expires),
        suppressions.anySuppressed(keys),
      ]);
      return { id, token: claim.outcome === 'claimed' ? claim.token : '' };
    }),
  );
  const claimed = performance.now();
  await Promise.all(
    taken.flatMap(({ id, token }) => [claims.complete(id, 'sms', token), claims.complete(id, 'sms', token)]),
  );
  return { before: claimed - started, after: performance.now() - claimed };
}
