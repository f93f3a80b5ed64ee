/**
 * One channel's worker in a process of its own, as in AWS each channel's worker is a function of its own: the
 * channel's handler fed by a poller of its queue (queue-pollers.ts). A crash takes down this channel's batches and
 * nothing else; local/channel-workers.ts starts it, and starts it again when it dies, as Lambda would.
 * The parent passes the channel and its throughput in LOCAL_CHANNEL_WORKER, the functions' environment as it is.
 */

import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { lambdaContext } from './api-gateway-emulation.js';
import {
  CHANNEL_WORKER_VARIABLE,
  type ChannelWorkerCommand,
  type ChannelWorkerMessage,
  channelWorkerSettingsSchema,
} from './channel-worker-protocol.js';
import { faultDrillFromEnv } from './fault-drill.js';
import { QueuePoller, type SqsHandler } from './queue-pollers.js';

const log = (line: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);

const settings = channelWorkerSettingsSchema.parse(JSON.parse(process.env[CHANNEL_WORKER_VARIABLE] ?? '{}'));
const { channel } = settings;
const drill = faultDrillFromEnv(process.env);

// The handler reads its configuration when its module loads, as in Lambda.
const { handler } = (await import(`../lambdas/${channel}-worker/handler.js`)) as { handler: SqsHandler };
if (drill) {
  const { WorkerFaults } = await import('./fault-injection.js');
  new WorkerFaults(drill).install();
}

// Long polls wait up to 5 s, longer than the platform clients' request timeout.
const pollingClient = new SQSClient({ requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 } });
const poller = new QueuePoller(pollingClient, {
  name: `${channel}-worker`,
  queueUrl: settings.queueUrl,
  batchSize: settings.batchSize,
  concurrency: settings.concurrency,
  handler,
  context: lambdaContext,
  duplicateDeliveries: drill?.duplicateDeliveries ?? false,
  onDuplicated: (records: readonly SQSRecord[], concurrently: boolean) =>
    log({ event: 'fault_drill_duplicated', channel, records: records.length, concurrently }),
  onRecord: (record, outcome) =>
    log({
      event: 'delivery',
      channel,
      outcome,
      notification_id: record.messageAttributes.notification_id?.stringValue,
      attempt: Number(record.attributes.ApproximateReceiveCount),
    }),
  onError: (error) => log({ event: 'poller_error', channel, error: error.message }),
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await poller.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// The parent is gone: so is the reason to run.
process.on('disconnect', () => void stop());
process.on('message', (command: ChannelWorkerCommand) => poller.pause(command.pause));
process.send?.({ ready: true } satisfies ChannelWorkerMessage);
