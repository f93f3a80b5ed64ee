import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../../../lambdas/channels/registry.js';
import { ADDRESS_KEY_ATTRIBUTE } from '../../../lambdas/shared/adapters/channel-queues.js';
import { SuppressionList } from '../../../lambdas/shared/adapters/suppression-list.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { lookupKeys } from '../../../lambdas/shared/domain/address-key.js';
import { suppressionPeppers } from '../../../lambdas/shared/platform/suppression-keys.js';
import { channelJobSchema } from '../../../lambdas/shared/schemas/channel-job.js';
import { invoke, TEST_KEYS } from '../../support/api-gateway.js';
import { TEST_SUPPRESSION_KEYS } from '../../support/categories.js';
import {
  ALL_CHANNEL_TEMPLATE,
  type ControlPlane,
  createUser,
  loadControlPlane,
  saveTemplate,
} from '../../support/platform-fixtures.js';
import { messagesIn, type QueuedMessage } from '../../support/queue-inspection.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let plane: ControlPlane;
let ingest: Parameters<typeof invoke>[0];
let status: Parameters<typeof invoke>[0];

beforeAll(async () => {
  platform = await provisionTestPlatform('notifications');
  plane = await loadControlPlane();
  ({ handler: ingest } = await import('../../../lambdas/ingest/handler.js'));
  ({ handler: status } = await import('../../../lambdas/notification-status/handler.js'));
  await saveTemplate(plane, 'order_shipped', ALL_CHANNEL_TEMPLATE);
  await saveTemplate(plane, 'order_email_only', { email: ALL_CHANNEL_TEMPLATE.email });
  await saveTemplate(plane, 'password_reset', { critical: true, sms: { body: 'Your code is {{ code }}' } });
  await saveTemplate(plane, 'order_offer', { ...ALL_CHANNEL_TEMPLATE, category: 'marketing' });
});
afterAll(() => platform.remove());

const send = (body: unknown, options: { idempotencyKey?: string; apiKeyId?: string } = {}) =>
  invoke(ingest, {
    operation: 'sendNotification',
    body,
    apiKeyId: options.apiKeyId ?? TEST_KEYS.orderService,
    headers: options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {},
  });

async function jobsFor(notificationId: string, channel: Channel): Promise<QueuedMessage[]> {
  const messages = await messagesIn(platform.resources.queues[channel].url);
  return messages.filter((message) => message.MessageAttributes?.notification_id?.StringValue === notificationId);
}

async function allJobsOf(userId: string): Promise<number> {
  let count = 0;
  for (const channel of ['email', 'sms', 'push'] as const) {
    const messages = await messagesIn(platform.resources.queues[channel].url);
    count += messages.filter((message) => message.Body.includes(`"user_id":"${userId}"`)).length;
  }
  return count;
}

/** "HH:MM" of an instant on the UTC clock. */
const utcClock = (instant: Date) => instant.toISOString().slice(11, 16);

describe('POST /v1/notifications', () => {
  it('puts one job per channel on that channel’s queue, with the ids as message attributes', async () => {
    const userId = await createUser(plane);
    const payload = { order_id: 'A-1001' };

    const answer = await send({ user_id: userId, type: 'order_shipped', payload });

    expect(answer.statusCode).toBe(202);
    expect(answer.json).toEqual({
      notification_id: expect.any(String),
      status: 'queued',
      channels: { email: { status: 'queued' }, sms: { status: 'queued' }, push: { status: 'queued' } },
    });
    const id = answer.json.notification_id;
    for (const channel of ['email', 'sms', 'push'] as const) {
      const jobs = await jobsFor(id, channel);
      expect(jobs, channel).toHaveLength(1);
      const job = channelJobSchema.parse(JSON.parse(jobs[0]?.Body ?? '{}'));
      expect(job).toMatchObject({ notification_id: id, channel, user_id: userId, type: 'order_shipped', payload });
      expect(job.producer).toBe('order-service');
      expect(job.not_before).toBeUndefined();
      expect(jobs[0]?.MessageAttributes).toMatchObject({
        notification_id: { StringValue: id },
        type: { StringValue: 'order_shipped' },
        producer: { StringValue: 'order-service' },
      });
      // The suppression keys of the address the job goes to (peppered, never the address), for the worker to read the
      // suppression list beside its claim; push has no address of its own.
      const addressKeys = jobs[0]?.MessageAttributes?.[ADDRESS_KEY_ATTRIBUTE]?.StringValue;
      if (channel === 'push') expect(addressKeys).toBeUndefined();
      else
        expect(addressKeys).toBe(
          lookupKeys(
            TEST_SUPPRESSION_KEYS,
            channel,
            channel === 'email' ? `${userId}@example.com` : '+4915112345678',
          ).join(','),
        );
    }
  });

  it('skips channels with the reason: opted out, no contact, not in the template', async () => {
    const userId = await createUser(plane, {
      phone: false,
      preferences: { email: true, sms: true, push: false, quiet_hours: null },
    });

    const all = await send({ user_id: userId, type: 'order_shipped', payload: {} });
    const outsideTemplate = await send({
      user_id: userId,
      type: 'order_email_only',
      payload: {},
      channels: ['email', 'sms'],
    });

    expect(all.json.channels).toEqual({
      email: { status: 'queued' },
      sms: { status: 'skipped', reason: 'no_contact' },
      push: { status: 'skipped', reason: 'opted_out' },
    });
    expect(outsideTemplate.json.channels).toEqual({
      email: { status: 'queued' },
      sms: { status: 'skipped', reason: 'not_in_template' },
    });
    expect(await jobsFor(all.json.notification_id, 'sms')).toHaveLength(0);
    expect(await jobsFor(all.json.notification_id, 'push')).toHaveLength(0);
  });

  it("follows the person's choices per category, and the category's defaults until they choose", async () => {
    const undecided = await createUser(plane);
    const decided = await createUser(plane, {
      preferences: {
        email: true,
        sms: true,
        push: true,
        quiet_hours: null,
        categories: { marketing: { email: false, sms: true }, orders: { push: false } },
      },
    });

    const offerToUndecided = await send({ user_id: undecided, type: 'order_offer', payload: {} });
    const offerToDecided = await send({ user_id: decided, type: 'order_offer', payload: {} });
    const orderToDecided = await send({ user_id: decided, type: 'order_shipped', payload: {} });

    // Marketing texts and pushes wait for a yes (the shipped defaults); email is on until turned off.
    expect(offerToUndecided.json.channels).toEqual({
      email: { status: 'queued' },
      sms: { status: 'skipped', reason: 'category_opted_out' },
      push: { status: 'skipped', reason: 'category_opted_out' },
    });
    expect(offerToDecided.json.channels).toEqual({
      email: { status: 'skipped', reason: 'category_opted_out' },
      sms: { status: 'queued' },
      push: { status: 'skipped', reason: 'category_opted_out' },
    });
    expect(orderToDecided.json.channels).toEqual({
      email: { status: 'queued' },
      sms: { status: 'queued' },
      push: { status: 'skipped', reason: 'category_opted_out' },
    });
    expect(await jobsFor(offerToDecided.json.notification_id, 'email')).toHaveLength(0);
  });

  it('answers "suppressed" and queues nothing when every channel is skipped', async () => {
    const userId = await createUser(plane, {
      preferences: { email: false, sms: false, push: false, quiet_hours: null },
    });

    const answer = await send({ user_id: userId, type: 'order_shipped', payload: {} });

    expect(answer.statusCode).toBe(202);
    expect(answer.json.status).toBe('suppressed');
    expect(await allJobsOf(userId)).toBe(0);
  });

  it('defers SMS and push to the end of quiet hours, with not_before on the job and a delay on the message', async () => {
    const now = Date.now();
    const end = new Date(Math.ceil((now + 90 * 60_000) / 60_000) * 60_000);
    const quiet_hours = { start: utcClock(new Date(now - 60 * 60_000)), end: utcClock(end), timezone: 'UTC' };
    const userId = await createUser(plane, { preferences: { email: true, sms: true, push: true, quiet_hours } });

    const answer = await send({ user_id: userId, type: 'order_shipped', payload: {} });

    const notBefore = end.toISOString();
    expect(answer.json.channels).toEqual({
      email: { status: 'queued' },
      sms: { status: 'deferred', not_before: notBefore },
      push: { status: 'deferred', not_before: notBefore },
    });
    const [smsJob] = await jobsFor(answer.json.notification_id, 'sms');
    expect(JSON.parse(smsJob?.Body ?? '{}').not_before).toBe(notBefore);
    // 90 minutes away: the first hop waits SQS's longest delay, 15 minutes.
    expect(smsJob?.Attributes?.IsDelayed).toBe('true');
    const [emailJob] = await jobsFor(answer.json.notification_id, 'email');
    expect(emailJob?.Attributes?.IsDelayed).not.toBe('true');
  });

  it('sends a critical type through quiet hours, never through an opt-out', async () => {
    const quiet_hours = { start: '00:00', end: '23:59', timezone: 'UTC', channels: ['sms'] };
    const awake = await createUser(plane, { preferences: { email: true, sms: true, push: true, quiet_hours } });
    const optedOut = await createUser(plane, { preferences: { email: true, sms: false, push: true, quiet_hours } });

    const critical = await send(
      { user_id: awake, type: 'password_reset', payload: { code: '123456' } },
      { apiKeyId: TEST_KEYS.authService },
    );
    const refused = await send(
      { user_id: optedOut, type: 'password_reset', payload: { code: '123456' } },
      { apiKeyId: TEST_KEYS.authService },
    );

    expect(critical.json.channels).toEqual({ sms: { status: 'queued' } });
    expect(refused.json).toMatchObject({
      status: 'suppressed',
      channels: { sms: { status: 'skipped', reason: 'opted_out' } },
    });
  });

  it('refuses a type that has no template with 422 unknown_type, and queues nothing', async () => {
    const userId = await createUser(plane);

    const answer = await send({ user_id: userId, type: 'order_never_defined', payload: {} });

    expect(answer.statusCode).toBe(422);
    expect(answer.json.error).toMatchObject({ code: 'unknown_type', details: [{ field: 'type' }] });
    expect(await allJobsOf(userId)).toBe(0);
  });

  it('answers a 20 KB payload nested 10,000 levels deep with 400 naming payload, not 500, and queues nothing', async () => {
    const userId = await createUser(plane);
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;

    const answer = await send(`{"user_id":"${userId}","type":"order_shipped","payload":{"a":${deep}}}`);

    expect(answer.statusCode).toBe(400);
    expect(answer.json.error).toMatchObject({ code: 'invalid_request', details: [{ field: 'payload' }] });
    expect(await allJobsOf(userId)).toBe(0);
  });

  it.each([
    [{ type: 'order_shipped', payload: {} }, 'user_id'],
    [{ user_id: 'has spaces', type: 'order_shipped', payload: {} }, 'user_id'],
    [{ user_id: 'u', type: 'Order Shipped', payload: {} }, 'type'],
    [{ user_id: 'u', type: 'order_shipped', payload: [1, 2] }, 'payload'],
    [{ user_id: 'u', type: 'order_shipped', payload: 'text' }, 'payload'],
    [{ user_id: 'u', type: 'order_shipped', payload: { blob: 'x'.repeat(17 * 1024) } }, 'payload'],
    [{ user_id: 'u', type: 'order_shipped', payload: {}, channels: ['email', 'email'] }, 'channels'],
    [{ user_id: 'u', type: 'order_shipped', payload: {}, channels: ['fax'] }, 'channels.0'],
    [{ user_id: 'u', type: 'order_shipped', payload: {}, channels: [] }, 'channels'],
    [{ user_id: 'u', type: 'order_shipped', payload: {}, priority: 'high' }, 'priority'],
  ])('refuses a bad request (case %#), naming the field', async (body, field) => {
    const answer = await send(body);

    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.code).toBe('invalid_request');
    expect(answer.json.error.details.map((detail: { field: string }) => detail.field)).toContain(field);
  });

  it('refuses a malformed body, a bad Idempotency-Key and a producer without the scope', async () => {
    const malformed = await send('{"user_id":');
    const badKey = await send(
      { user_id: 'u', type: 'order_shipped', payload: {} },
      { idempotencyKey: 'x'.repeat(300) },
    );
    const noScope = await send({ user_id: 'u', type: 'order_shipped', payload: {} }, { apiKeyId: TEST_KEYS.reporting });

    expect(malformed.json.error.code).toBe('malformed_json');
    expect(badKey.json.error.details[0].field).toBe('Idempotency-Key');
    expect(noScope.statusCode).toBe(403);
    expect(noScope.json.error.code).toBe('missing_scope');
  });
});

describe('Idempotency-Key', () => {
  it('turns 20 concurrent identical requests into one notification and one job per channel', async () => {
    const userId = await createUser(plane);
    const body = { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-2002' } };
    const key = randomUUID();

    const answers = await Promise.all(Array.from({ length: 20 }, () => send(body, { idempotencyKey: key })));

    const accepted = answers.filter((answer) => answer.statusCode === 202);
    const ids = new Set(accepted.map((answer) => answer.json.notification_id));
    // A duplicate that finds the first still at work after waiting may be told to retry (409 with Retry-After).
    expect(answers.every((answer) => answer.statusCode === 202 || answer.headers['Retry-After'] !== undefined)).toBe(
      true,
    );
    expect(accepted.length).toBeGreaterThan(0);
    expect(ids.size).toBe(1);
    const [id] = ids;
    for (const channel of ['email', 'sms', 'push'] as const) {
      expect(await jobsFor(String(id), channel), channel).toHaveLength(1);
    }
  });

  it('answers a retry with the first answer and queues nothing new', async () => {
    const userId = await createUser(plane);
    const body = { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-3003' } };
    const key = randomUUID();

    const first = await send(body, { idempotencyKey: key });
    const retry = await send({ payload: body.payload, type: body.type, user_id: userId }, { idempotencyKey: key });

    expect(retry.statusCode).toBe(202);
    expect(retry.json).toEqual(first.json);
    expect(await allJobsOf(userId)).toBe(3);
  });

  it('refuses the same key for a different request with 409 idempotency_key_reused', async () => {
    const userId = await createUser(plane);
    const key = randomUUID();

    await send({ user_id: userId, type: 'order_shipped', payload: { order_id: 'A' } }, { idempotencyKey: key });
    const reused = await send(
      { user_id: userId, type: 'order_shipped', payload: { order_id: 'B' } },
      { idempotencyKey: key },
    );

    expect(reused.statusCode).toBe(409);
    expect(reused.json.error.code).toBe('idempotency_key_reused');
    expect(await allJobsOf(userId)).toBe(3);
  });

  it('keeps keys apart per producer', async () => {
    const userId = await createUser(plane);
    const body = { user_id: userId, type: 'order_email_only', payload: {} };
    const key = randomUUID();

    const ours = await send(body, { idempotencyKey: key });
    const theirs = await send(body, { idempotencyKey: key, apiKeyId: TEST_KEYS.admin });

    expect(theirs.json.notification_id).not.toBe(ours.json.notification_id);
  });
});

describe('GET /v1/notifications/{notification_id}', () => {
  it('shows the request and each channel’s status', async () => {
    const userId = await createUser(plane, { device: false });
    const sent = await send({ user_id: userId, type: 'order_shipped', payload: {} });

    const answer = await invoke(status, {
      operation: 'getNotification',
      pathParameters: { notification_id: sent.json.notification_id },
    });

    expect(answer.statusCode).toBe(200);
    expect(answer.json).toEqual({
      notification_id: sent.json.notification_id,
      user_id: userId,
      type: 'order_shipped',
      producer: 'order-service',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      status: 'queued',
      channels: {
        email: { status: 'queued', updated_at: expect.any(String) },
        sms: { status: 'queued', updated_at: expect.any(String) },
        push: { status: 'skipped', reason: 'no_contact', updated_at: expect.any(String) },
      },
    });
  });

  it('answers 404 for an unknown id and 400 for something that is not an id', async () => {
    const get = (id: string) =>
      invoke(status, {
        operation: 'getNotification',
        pathParameters: { notification_id: id },
      });

    expect((await get(randomUUID())).statusCode).toBe(404);
    const invalid = await get('12345');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json.error.details[0].field).toBe('notification_id');
  });
});

describe('POST /v1/notifications to a suppressed address', () => {
  it('skips the channel as suppressed, queues the others, and a critical type does not outrank it', async () => {
    const userId = await createUser(plane);
    await new SuppressionList(platform.resources.tables.suppressions, documentClient, suppressionPeppers).suppress(
      'email',
      `${userId}@example.com`,
      'bounce',
      new Date().toISOString(),
    );

    const answer = await send({ user_id: userId, type: 'order_shipped', payload: { order_id: 'A-1' } });

    expect(answer.statusCode).toBe(202);
    expect(answer.json.channels).toEqual({
      email: { status: 'skipped', reason: 'suppressed' },
      sms: { status: 'queued' },
      push: { status: 'queued' },
    });
    expect(await jobsFor(answer.json.notification_id, 'email')).toHaveLength(0);
  });
});
