/**
 * State events through `npm start`, as a consumer on AWS would read them: a rule of its own on the platform's event
 * bus, with an SQS queue as its target, and nothing else of the platform's; and as a producer's webhook endpoints
 * receive them, signed, checked by the standardwebhooks package's own verifier.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createNotificationClient, type NotificationClient, type RequestBody } from '@notification-platform/client';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE, type StateEventType } from '../../lambdas/shared/domain/state-events.js';
import { LOCAL_RESOURCE_NAMES } from '../../lambdas/shared/platform/resources.js';
import { eventSchemaFile } from '../../scripts/event-schemas.js';
import { EventConsumer, type EventEnvelope } from '../support/event-consumer.js';
import { eventually } from '../support/eventually.js';
import { type RunningLocalPlatform, startLocalPlatformProcess } from '../support/local-runtime-process.js';
import { ProgressBound } from '../support/progress-bound.js';
import { eventOf, type ReceivedDelivery, WebhookReceiver } from '../support/webhook-receiver.js';

const PREFIX = `it-events-${randomUUID().slice(0, 8)}`;
let platform: RunningLocalPlatform;
let client: NotificationClient;
let consumer: EventConsumer;
let receiver: WebhookReceiver;
/** Each endpoint's id and signing secret, by its path on the receiver. */
const endpoints = new Map<string, { endpointId: string; secret: string }>();

beforeAll(async () => {
  platform = await startLocalPlatformProcess(['--demo'], { LOCAL_RESOURCE_PREFIX: PREFIX });
  client = createNotificationClient({ baseUrl: `${platform.url}/v1`, apiKey: 'local-dev-key' });
  consumer = await EventConsumer.subscribe(LOCAL_RESOURCE_NAMES.eventBus(PREFIX), `${PREFIX}-consumer`);
  receiver = await WebhookReceiver.start({ good: 'ok', flaky: 'flaky', held: 'held', prompt: 'ok' });
  const subscriptions: Record<string, RequestBody<'createWebhookEndpoint'>['events']> = {
    good: ['*'],
    flaky: ['notification.accepted'],
    held: ['*'],
    prompt: ['*'],
  };
  for (const [path, events] of Object.entries(subscriptions)) {
    const created = await client.createWebhookEndpoint({ body: { url: receiver.url(path), events } });
    endpoints.set(path, { endpointId: created.endpoint_id, secret: created.secret });
  }
  await untilEveryEndpointIsLive();
}, 600_000);

afterAll(async () => {
  await receiver?.stop();
  await consumer.remove();
  expect(await platform.stop()).toBe(0);
});

/**
 * The fan-out reads a producer's endpoints anew every few seconds: until then a new one receives nothing. A probe (a
 * notification to a person with no contact: accepted and skipped) is sent until every endpoint has received one.
 */
async function untilEveryEndpointIsLive(): Promise<void> {
  const bound = new ProgressBound(60_000, 300_000);
  for (;;) {
    const waiting = [...endpoints.keys()].filter((path) => receiver.receivedAt(path).length === 0);
    if (waiting.length === 0) return;
    bound.observe(`${receiver.deliveries.length} deliveries`);
    if (bound.passed) throw new Error(`${waiting.join(', ')} received no probe (${bound.describe()})`);
    await client.sendNotification({
      body: { user_id: `probe-${randomUUID().slice(0, 8)}`, type: 'order_shipped', payload: {}, channels: ['sms'] },
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/** What `path` received of one notification, once `done` says so. */
async function deliveriesOf(
  path: string,
  notificationId: string,
  done: (deliveries: ReceivedDelivery[]) => boolean,
): Promise<ReceivedDelivery[]> {
  const bound = new ProgressBound(60_000, 300_000);
  for (;;) {
    const mine = receiver.receivedAt(path, notificationId);
    if (done(mine)) return mine;
    bound.observe(`${receiver.deliveries.length} deliveries in all`);
    if (bound.passed)
      throw new Error(
        `${path} did not receive what was awaited of ${notificationId} (${bound.describe()}): ${mine
          .map((delivery) => `${eventOf(delivery).type} ${delivery.status}`)
          .join(', ')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const typesOf = (deliveries: readonly ReceivedDelivery[]) => deliveries.map((delivery) => eventOf(delivery).type);

/** What the consumer's queue has received of one notification's events, once `done` says so. */
async function eventsOf(notificationId: string, done: (types: StateEventType[]) => boolean): Promise<EventEnvelope[]> {
  const bound = new ProgressBound(60_000, 300_000);
  for (;;) {
    await consumer.read();
    const mine = consumer.arrivals
      .map(({ envelope }) => envelope)
      .filter(({ detail }) => detail.notification_id === notificationId);
    const types = mine.map(({ detail }) => detail.event_type);
    if (done(types)) return mine;
    bound.observe(`${consumer.arrivals.length} events received`);
    if (bound.passed)
      throw new Error(
        `the events of ${notificationId} did not all arrive (${bound.describe()}): ${types.join(', ')}; the platform said: ${platform
          .output()
          .split('\n')
          .filter((line) => /event_publisher|"level":"ERROR"/.test(line))
          .slice(-5)
          .join('\n')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const ajv = new Ajv2020({ allErrors: true, validateFormats: false });

describe('state events through npm start', () => {
  it('publishes an email that bounces as accepted, queued, sent and bounced, in order of time, each as documented', async () => {
    const userId = `events-${randomUUID().slice(0, 8)}`;
    await client.putContacts({ path: { user_id: userId }, body: { email_address: 'bounce@simulator.amazonses.com' } });

    const accepted = await client.sendNotification({
      body: { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-1' }, channels: ['email'] },
    });
    const lifecycle = ['notification.accepted', 'message.queued', 'message.sent', 'message.bounced'] as const;
    // The bus keeps no order: the consumer waits for all four, then orders them by their time.
    const envelopes = await eventsOf(accepted.notification_id, (types) =>
      lifecycle.every((type) => types.includes(type)),
    );

    const byType = new Map(envelopes.map((envelope) => [envelope.detail.event_type, envelope]));
    const times = lifecycle.map((type) => byType.get(type)?.detail.occurred_at ?? '');
    expect([...times].sort()).toEqual(times);
    expect(byType.get('message.bounced')?.detail).toMatchObject({
      channel: 'email',
      status: 'bounced',
      user_id: userId,
      producer: 'local-developer',
      notification_type: 'order_shipped',
      provider_detail: { bounce_type: 'Permanent' },
    });
    for (const envelope of envelopes) {
      expect(envelope.source).toBe(EVENT_SOURCE);
      expect(envelope['detail-type']).toBe(envelope.detail.event_type);
      const validate = ajv.compile(JSON.parse(readFileSync(eventSchemaFile(envelope.detail.event_type), 'utf8')));
      expect(validate(envelope.detail), ajv.errorsText(validate.errors)).toBe(true);
    }
    // One event per change: no id twice.
    const ids = envelopes.map(({ detail }) => detail.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    // Never the address, nor the payload's values.
    for (const { body } of consumer.arrivals) {
      expect(body).not.toContain('simulator.amazonses.com');
      expect(body).not.toContain('A-1');
    }
  });

  it('publishes a skip with its reason and a scheduled send that is cancelled', async () => {
    const userId = `events-${randomUUID().slice(0, 8)}`;
    await client.putContacts({ path: { user_id: userId }, body: { email_address: `${userId}@example.com` } });
    const skipped = await client.sendNotification({
      body: { user_id: userId, type: 'order_shipped', payload: { order_id: 'B-1' }, channels: ['sms'] },
    });
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = await client.sendNotification({
      body: { user_id: userId, type: 'order_shipped', payload: { order_id: 'B-2' }, send_at: sendAt },
    });
    await client.cancelNotification({ path: { notification_id: scheduled.notification_id } });

    const skip = await eventsOf(skipped.notification_id, (types) => types.includes('message.skipped'));
    const lifecycle = ['notification.accepted', 'notification.scheduled', 'notification.cancelled'] as const;
    // The bus keeps no order: wait for all three, then order them by their time.
    const cancel = await eventsOf(scheduled.notification_id, (types) =>
      lifecycle.every((type) => types.includes(type)),
    );

    expect(skip.find(({ detail }) => detail.event_type === 'message.skipped')?.detail).toMatchObject({
      channel: 'sms',
      reason: 'no_contact',
    });
    expect(cancel.map(({ detail }) => detail.event_type).sort()).toEqual([...lifecycle].sort());
    const byType = new Map(cancel.map(({ detail }) => [detail.event_type, detail]));
    const times = lifecycle.map((type) => byType.get(type)?.occurred_at ?? '');
    expect([...times].sort()).toEqual(times);
    expect(byType.get('notification.scheduled')?.send_at).toBe(sendAt);
  });
});

describe('webhooks through npm start', () => {
  it("delivers an email's bounce as accepted, queued, sent and bounced, each signed so that the standardwebhooks verifier accepts it and refuses it tampered", async () => {
    const userId = `hooks-${randomUUID().slice(0, 8)}`;
    // A label of its own: the address the bus's test bounced is suppressed now.
    await client.putContacts({
      path: { user_id: userId },
      body: { email_address: `bounce+${userId}@simulator.amazonses.com` },
    });
    const accepted = await client.sendNotification({
      body: { user_id: userId, type: 'order_shipped', payload: { order_id: 'W-1' }, channels: ['email'] },
    });
    const lifecycle: StateEventType[] = ['notification.accepted', 'message.queued', 'message.sent', 'message.bounced'];
    const deliveries = await deliveriesOf('good', accepted.notification_id, (mine) =>
      lifecycle.every((type) => typesOf(mine).includes(type)),
    );

    const verifier = new Webhook(endpoints.get('good')?.secret ?? '');
    for (const delivery of deliveries) {
      const verified = verifier.verify(delivery.body, delivery.headers) as ReturnType<typeof eventOf>;
      expect(verified.data.event_id).toBe(delivery.headers['webhook-id']);
      expect(verified.type).toBe(verified.data.event_type);
      const tampered = delivery.body.replace(accepted.notification_id, randomUUID());
      expect(() => verifier.verify(tampered, delivery.headers)).toThrow();
      expect(() =>
        new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(delivery.body, delivery.headers),
      ).toThrow();
      // Never the address, nor the payload's values.
      expect(delivery.body).not.toContain('simulator.amazonses.com');
      expect(delivery.body).not.toContain('W-1');
    }
    // The same events as the bus carries: each delivery's id is an event the consumer on the bus received.
    await eventsOf(accepted.notification_id, (types) => lifecycle.every((type) => types.includes(type)));
    for (const delivery of deliveries) expect(consumer.received.has(delivery.headers['webhook-id'] ?? '')).toBe(true);
    // In order of time, as each event says it happened.
    const times = lifecycle.map(
      (type) => deliveries.map(eventOf).find((event) => event.type === type)?.timestamp ?? '',
    );
    expect([...times].sort()).toEqual(times);
  });

  it('delivers an event to an endpoint that answered 500 three times once it answers 200, and shows each attempt', async () => {
    const accepted = await client.sendNotification({
      body: { user_id: `hooks-${randomUUID().slice(0, 8)}`, type: 'order_shipped', payload: {}, channels: ['sms'] },
    });
    const deliveries = await deliveriesOf('flaky', accepted.notification_id, (mine) =>
      mine.some((delivery) => delivery.status === 200),
    );

    // Only the type it asked for, four times with one webhook-id: 500, 500, 500, 200.
    expect(new Set(typesOf(deliveries))).toEqual(new Set(['notification.accepted']));
    expect(deliveries.map((delivery) => delivery.status)).toEqual([500, 500, 500, 200]);
    expect(new Set(deliveries.map((delivery) => delivery.headers['webhook-id'])).size).toBe(1);
    const eventId = deliveries[0]?.headers['webhook-id'];
    // Each attempt is recorded once its answer is in: the last a moment after the endpoint answered.
    const mine = await eventually('the four attempts recorded', async () => {
      const { attempts } = await client.listWebhookAttempts({
        path: { endpoint_id: endpoints.get('flaky')?.endpointId ?? '' },
        query: { limit: 100 },
      });
      const ours = attempts.filter((attempt) => attempt.event_id === eventId);
      return ours.length === 4 ? ours : undefined;
    });
    expect(mine.map(({ attempt, outcome, status_code }) => ({ attempt, outcome, status_code }))).toEqual([
      { attempt: 4, outcome: 'delivered', status_code: 200 },
      { attempt: 3, outcome: 'retry', status_code: 500 },
      { attempt: 2, outcome: 'retry', status_code: 500 },
      { attempt: 1, outcome: 'retry', status_code: 500 },
    ]);
    expect(mine[1]?.next_attempt_at).toBeDefined();
    // The outbox page shows the delivery among the endpoint's newest attempts.
    const outbox = (await (await fetch(`${platform.url}/_local/outbox`)).json()) as {
      webhookAttempts: { url: string; notification_id: string; attempt: number; outcome: string; answer: string }[];
    };
    const shown = outbox.webhookAttempts.filter(
      ({ url, notification_id }) => url === receiver.url('flaky') && notification_id === accepted.notification_id,
    );
    expect(shown.map(({ attempt, outcome, answer }) => `${attempt} ${outcome} ${answer}`)).toContain('4 delivered 200');
  });

  it("does not delay another endpoint's events while one holds every delivery unanswered", async () => {
    const userId = `hooks-${randomUUID().slice(0, 8)}`;
    await client.putContacts({ path: { user_id: userId }, body: { email_address: `${userId}@example.com` } });
    const accepted = await client.sendNotification({
      body: { user_id: userId, type: 'order_shipped', payload: {}, channels: ['email'] },
    });
    const lifecycle = ['notification.accepted', 'message.queued', 'message.sent'];
    await deliveriesOf('prompt', accepted.notification_id, (mine) =>
      lifecycle.every((type) => typesOf(mine).includes(type)),
    );

    // The held endpoint has answered none of its deliveries, these or the probe's: the prompt one got its own anyway.
    expect(receiver.receivedAt('held').length).toBeGreaterThan(0);
    expect(receiver.receivedAt('held').every((delivery) => delivery.status === undefined)).toBe(true);
    const held = await client.getWebhookEndpoint({ path: { endpoint_id: endpoints.get('held')?.endpointId ?? '' } });
    expect(['enabled', 'failing']).toContain(held.status);
    receiver.release();
  });
});
