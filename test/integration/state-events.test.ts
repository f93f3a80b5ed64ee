/**
 * State events through `npm start`, as a consumer on AWS would read them: a rule of its own on the platform's event
 * bus, with an SQS queue as its target, and nothing else of the platform's.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createNotificationClient, type NotificationClient } from '@notification-platform/client';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE, type StateEventType } from '../../lambdas/shared/domain/state-events.js';
import { LOCAL_RESOURCE_NAMES } from '../../lambdas/shared/platform/resources.js';
import { eventSchemaFile } from '../../scripts/event-schemas.js';
import { EventConsumer, type EventEnvelope } from '../support/event-consumer.js';
import { type RunningLocalPlatform, startLocalPlatformProcess } from '../support/local-runtime-process.js';
import { ProgressBound } from '../support/progress-bound.js';

const PREFIX = `it-events-${randomUUID().slice(0, 8)}`;
let platform: RunningLocalPlatform;
let client: NotificationClient;
let consumer: EventConsumer;

beforeAll(async () => {
  platform = await startLocalPlatformProcess(['--demo'], { LOCAL_RESOURCE_PREFIX: PREFIX });
  client = createNotificationClient({ baseUrl: `${platform.url}/v1`, apiKey: 'local-dev-key' });
  consumer = await EventConsumer.subscribe(LOCAL_RESOURCE_NAMES.eventBus(PREFIX), `${PREFIX}-consumer`);
}, 600_000);

afterAll(async () => {
  await consumer.remove();
  expect(await platform.stop()).toBe(0);
});

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
