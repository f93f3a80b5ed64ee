import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke, TEST_KEYS } from '../../support/api-gateway.js';
import { sqs } from '../../support/emulator-clients.js';
import {
  ALL_CHANNEL_TEMPLATE,
  type ControlPlane,
  createUser,
  loadControlPlane,
  saveTemplate,
} from '../../support/platform-fixtures.js';
import { messagesIn } from '../../support/queue-inspection.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

// The push queue URL names a queue that does not exist (yet): SQS refuses every push job until the test
// creates it, as it would a queue deleted by mistake or an outage of one queue.
const missingPushQueue = `it-missing-push-${randomUUID().slice(0, 8)}`;
let missingPushQueueUrl: string;
let platform: TestPlatform;
let plane: ControlPlane;
let ingest: Parameters<typeof invoke>[0];
let status: Parameters<typeof invoke>[0];

beforeAll(async () => {
  const endpoint = process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL;
  missingPushQueueUrl = `${endpoint}/queue/${process.env.AWS_REGION}/000000000000/${missingPushQueue}`;
  platform = await provisionTestPlatform('enqueue-failure', { PUSH_QUEUE_URL: missingPushQueueUrl });
  plane = await loadControlPlane();
  ({ handler: ingest } = await import('../../../lambdas/ingest/handler.js'));
  ({ handler: status } = await import('../../../lambdas/notification-status/handler.js'));
  await saveTemplate(plane, 'order_shipped', ALL_CHANNEL_TEMPLATE);
});
afterAll(async () => {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: missingPushQueueUrl })).catch(() => undefined);
  await platform.remove();
});

const send = (body: unknown, idempotencyKey?: string) =>
  invoke(ingest, {
    operation: 'sendNotification',
    body,
    apiKeyId: TEST_KEYS.orderService,
    headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
  });

const jobCount = async (queueUrl: string, userId: string) =>
  (await messagesIn(queueUrl)).filter((message) => message.Body.includes(`"user_id":"${userId}"`)).length;

describe('when SQS refuses a channel job', () => {
  // First: the next test creates the missing queue.
  it('answers 503 without an Idempotency-Key too, and advises sending one', async () => {
    const userId = await createUser(plane);

    const refused = await send({ user_id: userId, type: 'order_shipped', payload: {} });

    expect(refused.statusCode).toBe(503);
    expect(refused.json.error.message).toContain('Idempotency-Key');
    expect(await jobCount(platform.resources.queues.email.url, userId)).toBe(1);
  });

  it('answers 503 with Retry-After, never "queued", and a retry with the same key finishes without duplicates', async () => {
    const userId = await createUser(plane);
    const body = { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-4004' } };
    const key = randomUUID();

    // Act 1: the push queue is missing
    const refused = await send(body, key);

    expect(refused.statusCode).toBe(503);
    expect(refused.headers['Retry-After']).toBe('1');
    expect(refused.json.error.code).toBe('enqueue_failed');
    expect(JSON.stringify(refused.json)).not.toContain('"queued"');
    expect(await jobCount(platform.resources.queues.email.url, userId)).toBe(1);
    expect(await jobCount(platform.resources.queues.sms.url, userId)).toBe(1);

    // The notification says what happened on each channel.
    const [notificationId] = (await messagesIn(platform.resources.queues.email.url))
      .filter((message) => message.Body.includes(userId))
      .map((message) => JSON.parse(message.Body).notification_id);
    const recorded = await invoke(status, {
      operation: 'getNotification',
      pathParameters: { notification_id: notificationId },
    });
    expect(recorded.json.channels.push).toMatchObject({ status: 'failed', reason: 'enqueue_failed' });
    expect(recorded.json.channels.email.status).toBe('queued');

    // Act 2: the queue is back, and the producer retries with the same key
    await sqs.send(new CreateQueueCommand({ QueueName: missingPushQueue }));
    const retried = await send(body, key);

    expect(retried.statusCode).toBe(202);
    expect(retried.json).toMatchObject({ notification_id: notificationId, status: 'queued' });
    expect(await jobCount(missingPushQueueUrl, userId)).toBe(1);
    expect(await jobCount(platform.resources.queues.email.url, userId)).toBe(1);
    expect(await jobCount(platform.resources.queues.sms.url, userId)).toBe(1);
    const after = await invoke(status, {
      operation: 'getNotification',
      pathParameters: { notification_id: notificationId },
    });
    expect(after.json.channels.push).toMatchObject({ status: 'queued' });
    expect(after.json.channels.push.reason).toBeUndefined();
  });
});
