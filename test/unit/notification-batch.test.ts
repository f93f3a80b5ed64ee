import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { acceptBatch, type BatchResult } from '../../lambdas/ingest/batch-intake.js';
import type { AcceptedNotification } from '../../lambdas/shared/domain/notification.js';
import { ApiError, invalidRequest } from '../../lambdas/shared/http/api-error.js';
import { operationsHandler } from '../../lambdas/shared/http/operation-handler.js';
import { MAX_BODY_BYTES } from '../../lambdas/shared/http/request.js';
import { json } from '../../lambdas/shared/http/responses.js';
import { maxBodyBytesOf, OPERATIONS } from '../../lambdas/shared/platform/operations.js';
import {
  MAX_BATCH_BODY_BYTES,
  MAX_BATCH_NOTIFICATIONS,
  notificationBatch,
} from '../../lambdas/shared/schemas/notification-batch.js';
import type { NotificationRequest } from '../../lambdas/shared/schemas/notification-request.js';
import { MAX_PAYLOAD_BYTES } from '../../lambdas/shared/schemas/notification-request.js';
import { apiEvent, lambdaContext, TEST_KEYS, TEST_PRODUCERS } from '../support/api-gateway.js';

// The producers the handler knows, as the stack gives them to a function.
process.env.PRODUCERS = JSON.stringify(TEST_PRODUCERS);

const producer = { name: 'order-service', scopes: ['notifications:send' as const], types: ['order_*'] };
const valid = (userId: string, extra: Record<string, unknown> = {}) => ({
  user_id: userId,
  type: 'order_shipped',
  payload: { order_id: userId },
  ...extra,
});

interface Submitted {
  readonly request: NotificationRequest;
  readonly idempotencyKey?: string;
}

/** An intake that accepts each request after a delay of its own (so that they finish out of order), or throws. */
function fakeIntake(refusals: Record<string, unknown> = {}) {
  const submitted: Submitted[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  return {
    submitted,
    mostInFlight: () => mostInFlight,
    accept: async ({ request, idempotencyKey }: Submitted): Promise<AcceptedNotification> => {
      submitted.push({ request, ...(idempotencyKey ? { idempotencyKey } : {}) });
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, (request.user_id ?? '').length % 5));
      inFlight--;
      const refusal = refusals[request.user_id ?? ''];
      if (refusal) throw refusal;
      return { notification_id: `id-${request.user_id}`, status: 'queued', channels: { email: { status: 'queued' } } };
    },
  };
}

const errorOf = (result: BatchResult | undefined) => (result && 'error' in result ? result.error : undefined);
const idOf = (result: BatchResult | undefined) => (result && 'notification_id' in result ? result.notification_id : '');

describe('a batch, notification by notification', () => {
  it('answers each in the order sent, accepted or refused, and one refused stops none of the others', async () => {
    // Prepare
    const intake = fakeIntake();
    const items = [
      valid('u-0'),
      valid('not valid!'),
      valid('u-22'),
      { ...valid('u-3'), type: 'billing.invoice' },
      42,
      valid('u-55555'),
    ];

    // Act
    const results = await acceptBatch(items, producer, { intake });

    // Assess
    expect(results.map(idOf)).toEqual(['id-u-0', '', 'id-u-22', '', '', 'id-u-55555']);
    expect(errorOf(results[1])).toEqual({
      code: 'invalid_request',
      message: 'notifications[1].user_id: must be 1 to 128 characters of A-Z a-z 0-9 _ . : @ -',
      details: [{ field: 'notifications[1].user_id', message: 'must be 1 to 128 characters of A-Z a-z 0-9 _ . : @ -' }],
      status: 400,
    });
    expect(errorOf(results[3])).toMatchObject({
      code: 'type_not_allowed',
      status: 403,
      details: [{ field: 'notifications[3].type' }],
    });
    expect(errorOf(results[4])).toMatchObject({ code: 'invalid_request', details: [{ field: 'notifications[4]' }] });
    expect(intake.submitted.map(({ request }) => request.user_id)).toEqual(['u-0', 'u-22', 'u-55555']);
  });

  it('names every bad field of a notification at once, and a field it does not know', async () => {
    const results = await acceptBatch([{ payload: [], channels: ['fax'], extra: 1 }], producer, {
      intake: fakeIntake(),
    });

    expect(
      errorOf(results[0])
        ?.details?.map(({ field }) => field)
        .sort(),
    ).toEqual([
      'notifications[0].channels.0',
      'notifications[0].extra',
      'notifications[0].payload',
      'notifications[0].type',
      'notifications[0].user_id',
    ]);
  });

  it('gives the idempotency_key to the intake as the Idempotency-Key, the request without it', async () => {
    const intake = fakeIntake();

    await acceptBatch([valid('u-1', { idempotency_key: 'order-1-shipped' }), valid('u-2')], producer, { intake });

    expect(intake.submitted).toEqual([
      { request: valid('u-1'), idempotencyKey: 'order-1-shipped' },
      { request: valid('u-2') },
    ]);
  });

  it('checks an idempotency_key as the header is checked, naming it', async () => {
    const results = await acceptBatch([valid('u-1', { idempotency_key: 'with space' })], producer, {
      intake: fakeIntake(),
    });

    expect(errorOf(results[0])?.details).toEqual([
      { field: 'notifications[0].idempotency_key', message: 'must be 1 to 255 visible ASCII characters' },
    ]);
  });

  it('says a broadcast is sent on its own', async () => {
    const results = await acceptBatch([{ topic: 'product-updates', type: 'order_shipped', payload: {} }], producer, {
      intake: fakeIntake(),
    });

    expect(errorOf(results[0])).toMatchObject({
      code: 'invalid_request',
      status: 400,
      details: [{ field: 'notifications[0].topic', message: expect.stringContaining('POST /v1/notifications') }],
    });
  });

  it('gives each notification the error a single send would have had, in its own terms', async () => {
    // Prepare
    const throttled = Object.assign(new Error('slow down'), {
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    const intake = fakeIntake({
      'u-reused': new ApiError(
        409,
        'idempotency_key_reused',
        'this Idempotency-Key was used in the last 24 hours for a different request',
        [{ field: 'Idempotency-Key', message: 'was used for a different request; use a new key' }],
      ),
      'u-late': invalidRequest([{ field: 'send_at', message: 'must be in the future' }]),
      'u-unknown': new ApiError(422, 'unknown_type', 'no template is saved for type "order_x"', [
        { field: 'type', message: 'has no template' },
      ]),
      'u-refused': new ApiError(
        503,
        'enqueue_failed',
        'could not queue the sms job; retry with the same Idempotency-Key to finish',
        undefined,
        1,
      ),
      'u-throttled': throttled,
      'u-bug': new TypeError('undefined is not a function'),
    });
    const ids = ['u-reused', 'u-late', 'u-unknown', 'u-refused', 'u-throttled', 'u-bug'];

    // Act
    const results = await acceptBatch(
      ids.map((id) => valid(id)),
      producer,
      { intake },
    );

    // Assess
    expect(results.map(errorOf)).toEqual([
      {
        code: 'idempotency_key_reused',
        message: 'this idempotency_key was used in the last 24 hours for a different request',
        details: [
          { field: 'notifications[0].idempotency_key', message: 'was used for a different request; use a new key' },
        ],
        status: 409,
      },
      {
        code: 'invalid_request',
        message: 'notifications[1].send_at: must be in the future',
        details: [{ field: 'notifications[1].send_at', message: 'must be in the future' }],
        status: 400,
      },
      {
        code: 'unknown_type',
        message: 'no template is saved for type "order_x"',
        details: [{ field: 'notifications[2].type', message: 'has no template' }],
        status: 422,
      },
      {
        code: 'enqueue_failed',
        message: 'could not queue the sms job; retry with the same idempotency_key to finish',
        status: 503,
        retry_after: 1,
      },
      {
        code: 'service_unavailable',
        message: 'a dependency is busy; retry after the given seconds',
        status: 503,
        retry_after: 1,
      },
      { code: 'internal_error', message: 'the request failed; it has been logged', status: 500 },
    ]);
  });

  it('accepts at most its concurrency at once, and reads ahead the people of those due now', async () => {
    const intake = fakeIntake();
    const readAhead: string[][] = [];
    const items = Array.from({ length: 60 }, (_, index) =>
      valid(`u-${index}`, index % 10 === 0 ? { send_at: '2099-01-01T00:00:00Z' } : {}),
    );

    const results = await acceptBatch([...items, valid('bad id!')], producer, {
      intake,
      concurrency: 7,
      readAhead: async (userIds) => void readAhead.push([...userIds]),
    });

    expect(results.map(idOf).slice(0, 60)).toEqual(items.map((item) => `id-${item.user_id}`));
    expect(intake.mostInFlight()).toBe(7);
    expect(readAhead).toHaveLength(1);
    expect(readAhead[0]).toHaveLength(54);
    expect(readAhead[0]).not.toContain('u-10');
  });
});

describe('the batch operation', () => {
  const ok = operationsHandler({
    sendNotificationBatch: async ({ body }) => json(200, { notifications: body.notifications.length }),
    sendNotification: async () => json(202, {}),
  });
  const call = (operation: 'sendNotificationBatch' | 'sendNotification', body: unknown) =>
    ok(
      apiEvent({
        operation,
        body: typeof body === 'string' ? body : JSON.stringify(body),
        apiKeyId: TEST_KEYS.orderService,
      }) as APIGatewayProxyEvent,
      lambdaContext('test'),
    );
  const refusedFields = async (body: unknown) => {
    const answer = await call('sendNotificationBatch', body);
    return {
      status: answer.statusCode,
      fields: JSON.parse(answer.body).error?.details?.map((d: { field: string }) => d.field),
    };
  };

  it('checks the envelope only: items are left to the implementation, one by one', async () => {
    const answer = await call('sendNotificationBatch', { notifications: [42, { user_id: 7 }, valid('u-1')] });

    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ notifications: 3 });
  });

  it('refuses the whole request for the envelope: none, too many, not a list, no list, another field', async () => {
    expect(await refusedFields({ notifications: [] })).toEqual({ status: 400, fields: ['notifications'] });
    const tooMany = Array.from({ length: MAX_BATCH_NOTIFICATIONS + 1 }, (_, index) => valid(`u-${index}`));
    expect(await refusedFields({ notifications: tooMany })).toEqual({ status: 400, fields: ['notifications'] });
    expect(await refusedFields({ notifications: valid('u-1') })).toEqual({ status: 400, fields: ['notifications'] });
    expect(await refusedFields({})).toEqual({ status: 400, fields: ['notifications'] });
    expect(await refusedFields({ notifications: [valid('u-1')], topic: 'x' })).toEqual({
      status: 400,
      fields: ['topic'],
    });
    expect((await refusedFields([valid('u-1')])).status).toBe(400);
  });

  it('takes a body of its own size, 100 notifications at their largest, where a single send takes 64 KiB', async () => {
    // Every field at its longest, the idempotency key's characters each escaped, the payload at its limit as JSON.
    const largest = (index: number) => ({
      user_id: `u${String(index).padStart(127, '0')}`,
      type: 'order_'.padEnd(64, 'x'),
      payload: { text: 'x'.repeat(MAX_PAYLOAD_BYTES - '{"text":""}'.length) },
      channels: ['email', 'sms', 'push'],
      send_at: '2099-01-01T00:00:00.000000+01:00',
      cancel_key: 'k'.repeat(128),
      idempotency_key: '"'.repeat(255),
    });
    const batch = JSON.stringify({
      notifications: Array.from({ length: MAX_BATCH_NOTIFICATIONS }, (_, i) => largest(i)),
    });
    expect(JSON.stringify(largest(0).payload).length).toBe(MAX_PAYLOAD_BYTES);
    expect(Buffer.byteLength(batch)).toBeLessThanOrEqual(MAX_BATCH_BODY_BYTES);
    expect(maxBodyBytesOf(OPERATIONS.sendNotificationBatch)).toBe(MAX_BATCH_BODY_BYTES);
    expect(maxBodyBytesOf(OPERATIONS.sendNotification)).toBe(MAX_BODY_BYTES);

    expect((await call('sendNotificationBatch', batch)).statusCode).toBe(200);
    const over = `{"notifications":[${'x'.repeat(MAX_BATCH_BODY_BYTES)}]}`;
    expect((await call('sendNotificationBatch', over)).statusCode).toBe(413);
    expect(
      (await call('sendNotification', { ...valid('u-1'), payload: { text: 'x'.repeat(MAX_BODY_BYTES) } })).statusCode,
    ).toBe(413);
  });

  it('documents the items for clients: its body is the batch with each notification, its envelope without', () => {
    const batch = OPERATIONS.sendNotificationBatch;

    expect(batch.body).toBe(notificationBatch.body);
    expect(batch.body.safeParse({ notifications: [{ user_id: 7 }] }).success).toBe(false);
    expect(batch.batch.envelope.safeParse({ notifications: [{ user_id: 7 }] }).success).toBe(true);
  });
});
