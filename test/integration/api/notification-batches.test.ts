import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationsStore } from '../../../lambdas/shared/adapters/notifications-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { MAX_BATCH_BODY_BYTES, MAX_BATCH_NOTIFICATIONS } from '../../../lambdas/shared/schemas/notification-batch.js';
import { MAX_PAYLOAD_BYTES } from '../../../lambdas/shared/schemas/notification-request.js';
import { type LocalPlatform, startLocalPlatform } from '../../../local/runtime.js';
import { messagesIn } from '../../support/queue-inspection.js';

// Over HTTP, through the local runtime (its API Gateway emulation, body limits included, and the real handlers), with
// its workers paused, so that every job a batch queues is still on its queue to be counted.
const KEY = 'local-dev-key';
/** platform.config.ts's order-service: it owns order_* and order.* only. */
const ORDER_SERVICE_KEY = 'local-order-service-key';
let platform: LocalPlatform;

// biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON the API answered
type Json = any;

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${platform.url}/v1${path}`, {
    method,
    headers: { 'x-api-key': KEY, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json().catch(() => undefined) };
}

const sendBatch = (notifications: unknown[], key = KEY) =>
  call('POST', '/notifications/batch', { notifications }, { 'x-api-key': key });

/** People with an email address, made for one test. */
async function people(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => `batch-${randomUUID()}`);
  for (const id of ids) {
    const answer = await call('PUT', `/users/${id}/contacts`, { email_address: `${id}@example.com` });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  }
  return ids;
}

/**
 * The email jobs of these notifications: those on the email queue, and those a worker took anyway (a receive a poller
 * had in flight when it was paused can still take a job; its record then says what became of it). A notification
 * with two jobs on the queue counts twice.
 */
async function emailJobsOf(notificationIds: readonly string[]): Promise<number> {
  const wanted = new Set(notificationIds);
  const onQueue = (await messagesIn(platform.resources.queues.email.url))
    .map((message) => message.MessageAttributes?.notification_id?.StringValue ?? '')
    .filter((id) => wanted.has(id));
  const records = new NotificationsStore(platform.resources.tables.notifications, documentClient);
  const taken = await Promise.all(
    [...wanted].filter((id) => !onQueue.includes(id)).map(async (id) => (await records.find(id))?.channels.email),
  );
  return onQueue.length + taken.filter((email) => email !== undefined && email.status !== 'queued').length;
}

const idsOf = (results: Json[]) =>
  results.flatMap((result) => (result.notification_id ? [result.notification_id] : []));

beforeAll(async () => {
  platform = await startLocalPlatform({
    port: 0,
    demo: false,
    prefix: `it-batch-${randomUUID().slice(0, 8)}`,
    localApiKey: KEY,
    log: () => {},
  });
  platform.pauseDeliveries(true);
  const template = { email: { subject: 'Order {{ order_id }}', body: '<p>Shipped: {{ order_id }}</p>' } };
  expect((await call('PUT', '/templates/order_shipped', template)).status).toBe(200);
});
afterAll(async () => {
  await platform?.stop();
});

describe('POST /v1/notifications/batch, over HTTP', () => {
  it('accepts 99 of 100 when one is bad, refusing that one alone and naming notifications[i]', async () => {
    // Prepare
    const users = await people(MAX_BATCH_NOTIFICATIONS);
    const notifications = users.map((userId, index) => ({
      user_id: index === 37 ? 'not a valid id!' : userId,
      type: 'order_shipped',
      payload: { order_id: `A-${index}` },
    }));

    // Act
    const answer = await sendBatch(notifications);

    // Assess
    expect(answer.status).toBe(200);
    const results: Json[] = answer.json.results;
    expect(results).toHaveLength(100);
    expect(results[37]).toEqual({
      error: {
        code: 'invalid_request',
        message: expect.stringContaining('notifications[37].user_id'),
        details: [{ field: 'notifications[37].user_id', message: expect.any(String) }],
        status: 400,
      },
    });
    const accepted = results.filter((_, index) => index !== 37);
    expect(accepted.every((result) => result.status === 'queued' && result.channels.email.status === 'queued')).toBe(
      true,
    );
    expect(new Set(idsOf(results)).size).toBe(99);
    expect(await emailJobsOf(idsOf(results))).toBe(99);
  });

  it('queues nothing new for a retry under the same idempotency keys, and answers the first results', async () => {
    const users = await people(20);
    const notifications = users.map((userId, index) => ({
      user_id: userId,
      type: 'order_shipped',
      payload: { order_id: `B-${index}` },
      idempotency_key: `batch-retry-${userId}`,
    }));

    const first = await sendBatch(notifications);
    const retry = await sendBatch(notifications);

    expect(first.status).toBe(200);
    expect(retry.json).toEqual(first.json);
    expect(await emailJobsOf(idsOf(first.json.results))).toBe(20);
  });

  it('shares its idempotency keys with the Idempotency-Key header: a send under K, then a batch item under K', async () => {
    const [userId] = await people(1);
    const notification = { user_id: userId, type: 'order_shipped', payload: { order_id: 'C-1' } };
    const key = `shared-${randomUUID()}`;

    const single = await call('POST', '/notifications', notification, { 'Idempotency-Key': key });
    const batch = await sendBatch([{ ...notification, idempotency_key: key }]);
    const different = await sendBatch([{ ...notification, payload: { order_id: 'C-2' }, idempotency_key: key }]);

    expect(single.status).toBe(202);
    expect(batch.json.results).toEqual([single.json]);
    expect(different.json.results[0].error).toMatchObject({
      code: 'idempotency_key_reused',
      status: 409,
      details: [{ field: 'notifications[0].idempotency_key' }],
    });
    expect(await emailJobsOf([single.json.notification_id])).toBe(1);
  });

  it('refuses in its result a type the producer does not own and a broadcast, and sends the rest', async () => {
    const [userId] = await people(1);

    const answer = await sendBatch(
      [
        { user_id: userId, type: 'password_reset', payload: {} },
        { topic: 'product-updates', type: 'order_shipped', payload: {} },
        { user_id: userId, type: 'order_shipped', payload: { order_id: 'D-1' } },
      ],
      ORDER_SERVICE_KEY,
    );

    expect(answer.status).toBe(200);
    expect(answer.json.results[0].error).toMatchObject({
      code: 'type_not_allowed',
      status: 403,
      details: [{ field: 'notifications[0].type' }],
    });
    expect(answer.json.results[1].error).toMatchObject({ status: 400, details: [{ field: 'notifications[1].topic' }] });
    expect(answer.json.results[2]).toMatchObject({ status: 'queued' });
  });

  it('takes 100 notifications with payloads near their limit, over 64 KiB, and refuses a body over its own limit with 413', async () => {
    const users = await people(MAX_BATCH_NOTIFICATIONS);
    const large = (userId: string) => ({
      user_id: userId,
      type: 'order_shipped',
      payload: { order_id: 'E-1', note: 'x'.repeat(MAX_PAYLOAD_BYTES - 100) },
    });
    const body = JSON.stringify({ notifications: users.map(large) });
    const overTheLimit = JSON.stringify({ notifications: users.map(large), padding: ' '.repeat(MAX_BATCH_BODY_BYTES) });

    const accepted = await call('POST', '/notifications/batch', body);
    const tooLarge = await call('POST', '/notifications/batch', overTheLimit);

    expect(Buffer.byteLength(body)).toBeGreaterThan(1_500_000);
    expect(accepted.status).toBe(200);
    expect(accepted.json.results.filter((result: Json) => result.status === 'queued')).toHaveLength(100);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json.error.code).toBe('payload_too_large');
    // What a batch may be is the batch's own: a single send is still held to 64 KiB.
    const single = await call('POST', '/notifications', { ...large(users[0] ?? ''), padding: 'x'.repeat(65 * 1024) });
    expect(single.status).toBe(413);
  });

  it('refuses 101 notifications, and none, whole, with 400 naming notifications', async () => {
    const notification = { user_id: 'someone', type: 'order_shipped', payload: {} };

    const tooMany = await sendBatch(Array.from({ length: MAX_BATCH_NOTIFICATIONS + 1 }, () => notification));
    const none = await sendBatch([]);

    for (const answer of [tooMany, none]) {
      expect(answer.status).toBe(400);
      expect(answer.json.error.details).toEqual([{ field: 'notifications', message: 'must hold 1 to 100 items' }]);
    }
  });
});
