/**
 * The scheduler on loopback: a poller of the dispatch queue feeds the dispatch function, as its event source mapping
 * would, and a timer runs the due drain, as the stack's EventBridge rule does every minute (here every few seconds,
 * so that a send scheduled beyond the lookahead is not a minute late locally either). LocalStack's EventBridge
 * runs no scheduled rules of its own.
 *
 * The fault drill's `duplicateSchedules` fires every schedule twice: the poller hands every dispatch batch over twice
 * (one message, delivered again), and the drain queues each due notification twice (two messages), the second late.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { HANDLER_MODULES, SCHEDULED_DISPATCH } from '../lambdas/shared/platform/resources.js';
import type { FaultDrill } from './fault-drill.js';
import { loadHandler } from './lambda-handler.js';
import type { LocalResources } from './provision.js';
import { QueuePoller, type SqsHandler } from './queue-pollers.js';

/** How often the local due drain runs. */
export const LOCAL_DRAIN_INTERVAL_MS = 5_000;
/** The fault drill's second firing of a due notification comes up to this much later. */
const DRILL_LATENESS_SECONDS = 10;

type DrainHandler = (event: unknown, context: Context) => Promise<unknown>;

export async function startScheduler(
  sqs: SQSClient,
  documents: DynamoDBDocument,
  resources: LocalResources,
  drill: FaultDrill | undefined,
  log: (line: Record<string, unknown>) => void,
  lambdaContext: (name: string) => Context,
): Promise<{ stop: () => Promise<void> }> {
  const dispatch = await loadHandler<SqsHandler>(HANDLER_MODULES.scheduledDispatch);
  const drainHandler = await loadHandler<DrainHandler>(HANDLER_MODULES.dueDrain);
  const poller = new QueuePoller(sqs, {
    name: 'scheduled-dispatch',
    queueUrl: resources.dispatchQueue.url,
    batchSize: SCHEDULED_DISPATCH.batchSize,
    concurrency: 2,
    handler: dispatch,
    context: lambdaContext,
    duplicateDeliveries: drill?.duplicateSchedules,
    onDuplicated: (records) => log({ event: 'fault_drill_fired_twice', records: records.length }),
    onError: (error) => log({ event: 'scheduled_dispatch_failed', error: error.message }),
  });
  const drain = drill?.duplicateSchedules
    ? await drillDrain(resources, sqs, documents)
    : () => drainHandler({}, lambdaContext('due-drain'));

  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  const tick = () => {
    if (!running) return;
    current = drain()
      .catch((error: Error) => log({ event: 'due_drain_failed', error: error.message }))
      .finally(() => {
        if (running) timer = setTimeout(tick, LOCAL_DRAIN_INTERVAL_MS);
      });
  };
  tick();
  return {
    stop: async () => {
      running = false;
      clearTimeout(timer);
      await Promise.allSettled([current, poller.stop()]);
    },
  };
}

/** The drill's drain: the same DueDrain, through a dispatch queue that sends every message twice, the second late. */
async function drillDrain(
  resources: LocalResources,
  sqs: SQSClient,
  documents: DynamoDBDocument,
): Promise<() => Promise<unknown>> {
  // Loaded now, as the handlers are: their logger and metrics read the variables the runtime has just set.
  const [{ DispatchQueue }, { NotificationsStore }, { DueDrain }] = await Promise.all([
    import('../lambdas/shared/adapters/dispatch-queue.js'),
    import('../lambdas/shared/adapters/notifications-store.js'),
    import('../lambdas/scheduler/due-drain.js'),
  ]);
  const queue = new DispatchQueue(resources.dispatchQueue.url, sqs);
  const twice = {
    sendAll: async (due: Parameters<typeof queue.sendAll>[0]) => {
      const taken = await queue.sendAll(due);
      await queue.sendAll(
        due.map((entry) => ({
          ...entry,
          delaySeconds: entry.delaySeconds + 1 + Math.floor(Math.random() * DRILL_LATENESS_SECONDS),
        })),
      );
      return taken;
    },
  };
  const drainer = new DueDrain({
    notifications: new NotificationsStore(resources.tables.notifications, documents),
    dispatchQueue: twice,
  });
  return () => drainer.drain(new Date());
}
