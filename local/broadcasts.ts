/**
 * The fan-out of broadcasts on loopback: a poller of the fan-out queue feeds the fan-out function, as its event source
 * mapping would. The fault drill's `duplicateDeliveries` hands every chunk over twice, and its `crashFanOutAtChunk`
 * kills the fan-out half-way through a chunk (lambdas/broadcast/ then finds its recipients recorded, and finishes).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { BROADCAST_FAN_OUT, HANDLER_MODULES } from '../lambdas/shared/platform/resources.js';
import type { FaultDrill } from './fault-drill.js';
import { loadHandler } from './lambda-handler.js';
import type { LocalResources } from './provision.js';
import { QueuePoller, type SqsHandler } from './queue-pollers.js';

/** Chunks fanned out at once, as the fan-out's event source would invoke its function. */
const LOCAL_FAN_OUT_CONCURRENCY = 2;

export async function startFanOut(
  sqs: SQSClient,
  resources: LocalResources,
  drill: FaultDrill | undefined,
  log: (line: Record<string, unknown>) => void,
  lambdaContext: (name: string) => Context,
): Promise<{ stop: () => Promise<void> }> {
  const fanOut = await loadHandler<SqsHandler>(HANDLER_MODULES.broadcastFanOut);
  let handler = fanOut;
  if (drill?.crashFanOutAtRecord) {
    const { FanOutFaults } = await import('./fault-injection.js');
    const faults = new FanOutFaults(drill, log);
    faults.install();
    handler = (event, context) => faults.fanOut(() => fanOut(event, context));
  }
  const poller = new QueuePoller(sqs, {
    name: 'broadcast-fan-out',
    queueUrl: resources.fanOutQueue.url,
    batchSize: BROADCAST_FAN_OUT.batchSize,
    concurrency: LOCAL_FAN_OUT_CONCURRENCY,
    handler,
    context: lambdaContext,
    duplicateDeliveries: drill?.duplicateDeliveries,
    onDuplicated: (records) => log({ event: 'fault_drill_fanned_out_twice', records: records.length }),
    onError: (error) => log({ event: 'fan_out_failed', error: error.message }),
  });
  return { stop: () => poller.stop() };
}
