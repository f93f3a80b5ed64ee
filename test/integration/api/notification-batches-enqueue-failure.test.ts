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

// The push queue URL names a queue that does not exist (yet): every SendMessageBatch of push jobs fails until the
// test creates it, as a single send's SendMessage would.
const missingPushQueue = `it-batch-missing-push-${randomUUID().slice(0, 8)}`;
let missingPushQueueUrl: string;
let platform: TestPlatform;
let plane: ControlPlane;
let ingest: Parameters<typeof invoke>[0];

beforeAll(async () => {
  const endpoint = process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL;
  missingPushQueueUrl = `${endpoint}/queue/${process.env.AWS_REGION}/000000000000/${missingPushQueue}`;
  platform = await provisionTestPlatform('batch-enqueue-failure', { PUSH_QUEUE_URL: missingPushQueueUrl });
  plane = await loadControlPlane();
  ({ handler: ingest } = await import('../../../lambdas/ingest/handler.js'));
  await saveTemplate(plane, 'order_shipped', ALL_CHANNEL_TEMPLATE);
  await saveTemplate(plane, 'order_email_only', { email: ALL_CHANNEL_TEMPLATE.email });
});
afterAll(async () => {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: missingPushQueueUrl })).catch(() => undefined);
  await platform.remove();
});

const sendBatch = (notifications: unknown[]) =>
  invoke(ingest, { operation: 'sendNotificationBatch', body: { notifications }, apiKeyId: TEST_KEYS.orderService });

const jobCount = async (queueUrl: string, userId: string) =>
  (await messagesIn(queueUrl)).filter((message) => message.Body.includes(`"user_id":"${userId}"`)).length;

describe('when SQS refuses the jobs of some notifications of a batch', () => {
  it('refuses those alone with 503 enqueue_failed, and the same batch again finishes them without duplicates', async () => {
    // Prepare
    const [withPush, emailOnly] = [await createUser(plane), await createUser(plane)];
    const notifications = [
      { user_id: withPush, type: 'order_shipped', payload: { order_id: 'A-1' }, idempotency_key: randomUUID() },
      { user_id: emailOnly, type: 'order_email_only', payload: { order_id: 'A-2' }, idempotency_key: randomUUID() },
    ];

    // Act 1: the push queue is missing
    const first = await sendBatch(notifications);

    expect(first.statusCode).toBe(200);
    expect(first.json.results[0]).toEqual({
      error: {
        code: 'enqueue_failed',
        message: 'could not queue the push job; retry with the same idempotency_key to finish',
        status: 503,
        retry_after: 1,
      },
    });
    expect(first.json.results[1]).toMatchObject({ status: 'queued', channels: { email: { status: 'queued' } } });
    expect(await jobCount(platform.resources.queues.email.url, withPush)).toBe(1);
    expect(await jobCount(platform.resources.queues.sms.url, withPush)).toBe(1);

    // Act 2: the queue is back, and the producer sends the same batch again
    await sqs.send(new CreateQueueCommand({ QueueName: missingPushQueue }));
    const again = await sendBatch(notifications);

    expect(again.json.results[0]).toMatchObject({ status: 'queued', channels: { push: { status: 'queued' } } });
    expect(again.json.results[1]).toEqual(first.json.results[1]);
    expect(await jobCount(missingPushQueueUrl, withPush)).toBe(1);
    expect(await jobCount(platform.resources.queues.email.url, withPush)).toBe(1);
    expect(await jobCount(platform.resources.queues.sms.url, withPush)).toBe(1);
    expect(await jobCount(platform.resources.queues.email.url, emailOnly)).toBe(1);
  });
});
