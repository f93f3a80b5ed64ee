import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { documentClient } from '../../shared/aws/dynamodb.js';
import { feedbackHandler } from '../../shared/delivery/feedback-consumer.js';
import { countWith, logger, metrics } from '../../shared/observability.js';
import { ENV, requiredEnv } from '../../shared/platform/environment.js';
import { DeviceRegistry } from './device-registry.js';
import { PushEndpoints } from './endpoints.js';
import { deviceIsGone, type PushFeedback, parsePushFeedback, UNREADABLE_PUSH_FEEDBACK } from './feedback.js';
import { snsClient } from './sns-clients.js';

const endpoints = new PushEndpoints(snsClient);
const devices = new DeviceRegistry(
  { devices: requiredEnv(ENV.devicesTable), users: requiredEnv(ENV.usersTable) },
  documentClient,
  endpoints,
);

/**
 * Counts each event, and forgets the device whose endpoint SNS disabled or deleted, as the worker does when a send
 * finds it so, but at once. Logs name devices by their id (a hash), never a token or an endpoint.
 */
async function act(feedback: PushFeedback): Promise<void> {
  countWith('PushEvents', {
    event: feedback.event,
    ...(feedback.failureType ? { failure_type: feedback.failureType } : {}),
  });
  if (feedback.checkEndpoint) await checkDevices(feedback);
}

async function checkDevices(feedback: PushFeedback): Promise<void> {
  const event = { event: feedback.event, failure_type: feedback.failureType };
  const held = await devices.heldAt(feedback.endpointArn);
  if (held.length === 0) {
    // Forgotten already: by the worker, a producer, or this function for the same event delivered twice. Each
    // forgetting deletes its endpoint, and SNS reports that deletion too.
    logger.info('feedback for an endpoint no device holds', event);
    metrics.addMetric('FeedbackWithoutDevice', MetricUnit.Count, 1);
    return;
  }
  const state = await endpoints.state(feedback.endpointArn);
  if (!deviceIsGone(state)) {
    logger.info('device kept: its endpoint is enabled', { ...event, device_ids: held.map((d) => d.device_id) });
    metrics.addMetric('DevicesKept', MetricUnit.Count, held.length);
    return;
  }
  for (const device of held) {
    // False when the device was forgotten or handed on meanwhile: nothing left to do.
    const forgotten = await devices.forget(device.user_id, device);
    logger.info(forgotten ? 'device removed' : 'device already removed', {
      ...event,
      endpoint: state,
      device_id: device.device_id,
    });
    if (forgotten) metrics.addMetric('DevicesRemoved', MetricUnit.Count, 1);
  }
}

/** Consumes the push feedback queue (the platform applications' events, through SNS). */
export const handler = feedbackHandler({
  channel: 'push',
  parse: parsePushFeedback,
  unreadable: UNREADABLE_PUSH_FEEDBACK,
  act,
});
