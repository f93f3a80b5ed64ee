import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { NotificationRecord } from '../../lambdas/shared/domain/notification.js';
import { STATE_EVENT_TYPES, stateEventsOf } from '../../lambdas/shared/domain/state-events.js';
import { eventSchemaFile, eventSchemaText } from '../../scripts/event-schemas.js';

const documented = (type: (typeof STATE_EVENT_TYPES)[number]) =>
  JSON.parse(readFileSync(eventSchemaFile(type), 'utf8')) as Record<string, unknown>;

// ajv, not ours, reads the documented schemas; their patterns carry what the formats would check.
const ajv = new Ajv2020({ allErrors: true, validateFormats: false });
const validators = new Map(STATE_EVENT_TYPES.map((type) => [type, ajv.compile(documented(type))]));

describe('the state events schemas (docs/events/)', () => {
  it.each(STATE_EVENT_TYPES)('documents %s as the code makes it (npm run events:schemas)', (type) => {
    expect(readFileSync(eventSchemaFile(type), 'utf8')).toBe(eventSchemaText(type));
  });

  it("hold every event a notification's life makes, and refuse one with a field they do not name", () => {
    const accepted: NotificationRecord = {
      notification_id: '5f0c6a6e-7d1c-4b7e-9d55-2f3a1c9e8b10',
      user_id: 'ada',
      type: 'order_shipped',
      producer: 'order-service',
      critical: false,
      category: 'orders',
      created_at: '2026-12-08T10:00:00.000Z',
      status: 'queued',
      channels: {
        email: { status: 'queued', updated_at: '2026-12-08T10:00:00.000Z' },
        sms: { status: 'deferred', not_before: '2026-12-08T22:00:00.000Z', updated_at: '2026-12-08T10:00:00.000Z' },
        push: { status: 'skipped', reason: 'throttled', updated_at: '2026-12-08T10:00:00.000Z' },
      },
    };
    const bounced: NotificationRecord = {
      ...accepted,
      channels: {
        ...accepted.channels,
        email: {
          status: 'bounced',
          provider_message_id: 'ses-1',
          updated_at: '2026-12-08T10:00:01.000Z',
          events: [{ status: 'bounced', at: '2026-12-08T10:00:02.000Z', detail: { bounce_type: 'Permanent' } }],
        },
        sms: { status: 'failed', reason: 'invalid_number', updated_at: '2026-12-08T10:00:03.000Z' },
      },
    };
    const cancelled: NotificationRecord = { ...bounced, status: 'cancelled', cancelled_at: '2026-12-08T10:00:04.000Z' };
    const scheduled: NotificationRecord = {
      ...accepted,
      status: 'scheduled',
      send_at: '2026-12-09T10:00:00.000Z',
      channels: {},
    };

    const events = [
      ...stateEventsOf(undefined, accepted, accepted.created_at),
      ...stateEventsOf(accepted, bounced, accepted.created_at),
      ...stateEventsOf(bounced, cancelled, accepted.created_at),
      ...stateEventsOf(undefined, scheduled, accepted.created_at),
    ];

    expect(new Set(events.map(({ event_type }) => event_type)).size).toBe(9);
    for (const event of events) {
      const validate = validators.get(event.event_type);
      expect(validate?.(event), `${event.event_type}: ${ajv.errorsText(validate?.errors)}`).toBe(true);
    }
    const sent = events.find(({ event_type }) => event_type === 'message.queued');
    expect(validators.get('message.queued')?.({ ...sent, email_address: 'ada@example.com' })).toBe(false);
  });
});
