/**
 * The SMS worker with Twilio answering after 100 ms: messages per second for one batch of ten and for a
 * stream of batches, against the ideal (batch size / provider latency), and the AWS calls per message.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sqsClient } from '../lambdas/shared/aws/sqs.js';
import type { ChannelJob } from '../lambdas/shared/schemas/channel-job.js';
import { lambdaContext } from '../local/api-gateway-emulation.js';
import { toSqsRecord } from '../local/queue-pollers.js';
import type { LocalPlatform } from '../local/runtime.js';
import { type AwsCallCounter, median, round } from './measure.js';

type Worker = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const PROVIDER_MS = 100;
const BATCH = 10;

export async function measureWorker(
  platform: LocalPlatform,
  worker: Worker,
  counter: AwsCallCounter,
  call: (method: string, path: string, body?: unknown) => Promise<{ status: number }>,
  options: { readonly batches: number },
): Promise<Record<string, number | Record<string, number>>> {
  await call('PUT', '/v1/templates/bench_sms', { sms: { body: 'Code {{ code }}' } });
  await call('PUT', '/v1/users/bench-sms-user/contacts', { phone_number: '+4915112345678' });
  // A queue of the benchmark's own: the local pollers must not take these jobs.
  const { QueueUrl = '' } = await sqsClient.send(new CreateQueueCommand({ QueueName: 'bench-worker-jobs' }));

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
    await sqsClient.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: jobs.map((job, index) => ({ Id: String(index), MessageBody: JSON.stringify(job) })),
      }),
    );
    const records: SQSRecord[] = [];
    while (records.length < BATCH) {
      const { Messages = [] } = await sqsClient.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: BATCH - records.length,
          MessageSystemAttributeNames: ['All'],
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

  // Nothing else may talk to the Twilio server or compete for the CPU while this measures.
  platform.pauseDeliveries(true);
  await runBatch(); // warm
  const single = await runBatch();
  const singleCalls = counter.byOperation();
  const singleCallCount = counter.total();
  const stream: number[] = [];
  for (let index = 0; index < options.batches; index++) stream.push(await runBatch());
  await sqsClient.send(new DeleteQueueCommand({ QueueUrl }));
  platform.pauseDeliveries(false);

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
    aws_calls_per_message: round(singleCallCount / BATCH, 2),
    calls_by_operation_per_batch: singleCalls,
  };
}
