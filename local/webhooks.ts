/**
 * Signed webhooks on loopback: a poller of the webhook events queue (which the bus's rule feeds) runs the fan-out, and
 * one poller per lane runs the delivery function, as their event source mappings would. Locally deliveries may go to
 * any URL, http and loopback included (ENV.webhookDestinations `any`), and are retried on a schedule of seconds, not
 * hours, unless WEBHOOK_RETRY_SCHEDULE says otherwise.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { DELIVERY_LANES, type DeliveryLane } from '../lambdas/shared/domain/webhooks.js';
import { ENV } from '../lambdas/shared/platform/environment.js';
import { HANDLER_MODULES, WEBHOOKS } from '../lambdas/shared/platform/resources.js';
import { loadHandler } from './lambda-handler.js';
import type { LocalResources } from './provision.js';
import { QueuePoller, type SqsHandler } from './queue-pollers.js';

/** The local retry schedule, in seconds: a developer sees an endpoint's recovery within a minute. */
export const LOCAL_RETRY_SCHEDULE = '1,2,4,8,15,30,60';

/** Invocations at once per lane, as Lambda would scale each lane's event source (the slow lane's fewer). */
const LOCAL_CONCURRENCY: Readonly<Record<DeliveryLane, number>> = { prompt: 16, slow: 4 };

/** What the local runtime sets before the handlers load: deliveries go anywhere, on the local schedule. */
export function localWebhookEnvironment(environment: NodeJS.ProcessEnv): Record<string, string> {
  return {
    [ENV.webhookDestinations]: 'any',
    [ENV.webhookRetrySchedule]: environment[ENV.webhookRetrySchedule] || LOCAL_RETRY_SCHEDULE,
  };
}

export async function startWebhooks(
  sqs: SQSClient,
  resources: LocalResources,
  log: (line: Record<string, unknown>) => void,
  lambdaContext: (name: string) => Context,
): Promise<{ stop: () => Promise<void> }> {
  const [fanOut, delivery] = await Promise.all([
    loadHandler<SqsHandler>(HANDLER_MODULES.webhookFanOut),
    loadHandler<SqsHandler>(HANDLER_MODULES.webhookDelivery),
  ]);
  const pollers = [
    new QueuePoller(sqs, {
      name: 'webhook-fan-out',
      queueUrl: resources.webhookEvents.url,
      batchSize: WEBHOOKS.fanOut.batchSize,
      concurrency: 1,
      handler: fanOut,
      context: lambdaContext,
      onError: (error) => log({ event: 'webhook_fan_out_failed', error: error.message }),
    }),
    ...DELIVERY_LANES.map(
      (lane) =>
        new QueuePoller(sqs, {
          name: `webhook-delivery-${lane}`,
          queueUrl: resources.webhookLanes[lane],
          batchSize: WEBHOOKS.delivery.batchSize,
          concurrency: LOCAL_CONCURRENCY[lane],
          handler: delivery,
          context: lambdaContext,
          onError: (error) => log({ event: 'webhook_delivery_failed', lane, error: error.message }),
        }),
    ),
  ];
  return { stop: async () => void (await Promise.all(pollers.map((poller) => poller.stop()))) };
}
