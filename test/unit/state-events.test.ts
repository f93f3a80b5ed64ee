import { describe, expect, it } from 'vitest';
import type { NotificationRecord } from '../../lambdas/shared/domain/notification.js';
import { type StateEvent, stateEventsOf } from '../../lambdas/shared/domain/state-events.js';

const CREATED = '2026-12-08T10:00:00.000Z';
const LATER = '2026-12-08T10:00:05.000Z';

const accepted: NotificationRecord = {
  notification_id: '5f0c6a6e-7d1c-4b7e-9d55-2f3a1c9e8b10',
  user_id: 'ada',
  type: 'order_shipped',
  producer: 'order-service',
  critical: false,
  category: 'orders',
  created_at: CREATED,
  status: 'queued',
  channels: {
    email: { status: 'queued', updated_at: CREATED },
    sms: { status: 'skipped', reason: 'opted_out', updated_at: CREATED },
  },
};

const withEmail = (
  record: NotificationRecord,
  email: NonNullable<NotificationRecord['channels']['email']>,
): NotificationRecord => ({
  ...record,
  channels: { ...record.channels, email },
});

const types = (events: readonly StateEvent[]) => events.map(({ event_type }) => event_type);

describe('state events', () => {
  it('say a new notification was accepted, then what each channel was decided', () => {
    const events = stateEventsOf(undefined, accepted, CREATED);

    expect(types(events)).toEqual(['notification.accepted', 'message.queued', 'message.skipped']);
    expect(events[0]).toMatchObject({
      schema_version: '1',
      notification_id: accepted.notification_id,
      producer: 'order-service',
      notification_type: 'order_shipped',
      category: 'orders',
      user_id: 'ada',
      occurred_at: CREATED,
      status: 'queued',
    });
    expect(events[2]).toMatchObject({ channel: 'sms', status: 'skipped', reason: 'opted_out' });
  });

  it('name a scheduled one and its time', () => {
    const scheduled: NotificationRecord = { ...accepted, status: 'scheduled', send_at: LATER, channels: {} };

    const events = stateEventsOf(undefined, scheduled, CREATED);

    expect(types(events)).toEqual(['notification.accepted', 'notification.scheduled']);
    expect(events[1]).toMatchObject({ status: 'scheduled', send_at: LATER });
  });

  it("say the worker's send once, with the provider's id, and nothing for the claim it held", () => {
    const sending = withEmail(accepted, { status: 'sending', updated_at: LATER });
    const sent = withEmail(accepted, { status: 'sent', provider_message_id: 'ses-1', updated_at: LATER });

    expect(stateEventsOf(accepted, sending, LATER)).toEqual([]);
    const events = stateEventsOf(sending, sent, LATER);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event_type: 'message.sent',
      channel: 'email',
      provider_message_id: 'ses-1',
      occurred_at: LATER,
    });
  });

  it('say each provider event once, with its detail, even one that no longer moves the status', () => {
    const sent = withEmail(accepted, { status: 'sent', provider_message_id: 'ses-1', updated_at: LATER });
    const bounced = withEmail(accepted, {
      status: 'bounced',
      provider_message_id: 'ses-1',
      updated_at: LATER,
      events: [
        {
          status: 'bounced',
          at: '2026-12-08T10:00:07.000Z',
          detail: { bounce_type: 'Permanent', bounce_sub_type: 'General' },
        },
      ],
    });
    // A late delivery: kept in the list, the status stays bounced.
    const late = withEmail(bounced, {
      ...(bounced.channels.email as NonNullable<NotificationRecord['channels']['email']>),
      events: [...(bounced.channels.email?.events ?? []), { status: 'delivered', at: '2026-12-08T10:00:06.000Z' }],
    });

    const first = stateEventsOf(sent, bounced, LATER);
    const second = stateEventsOf(bounced, late, LATER);

    expect(types(first)).toEqual(['message.bounced']);
    expect(first[0]).toMatchObject({
      status: 'bounced',
      provider_detail: { bounce_type: 'Permanent', bounce_sub_type: 'General' },
      occurred_at: '2026-12-08T10:00:07.000Z',
    });
    expect(types(second)).toEqual(['message.delivered']);
  });

  it("never place a provider's report before the message's state before it: the provider's clock may run behind", () => {
    const sent = withEmail(accepted, { status: 'sent', provider_message_id: 'ses-1', updated_at: LATER });
    const behind = '2026-12-08T10:00:04.990Z';
    const bounced = withEmail(accepted, {
      status: 'bounced',
      provider_message_id: 'ses-1',
      updated_at: LATER,
      events: [{ status: 'bounced', at: behind }],
    });

    const [bounce] = stateEventsOf(sent, bounced, LATER);

    expect(bounce).toMatchObject({ event_type: 'message.bounced', occurred_at: LATER });
    // The same report read again is the same event.
    expect(stateEventsOf(sent, bounced, '2026-12-08T11:00:00.000Z')[0]?.event_id).toBe(bounce?.event_id);
  });

  it("say the send once when the provider's report overtook the worker's own record of it", () => {
    const sending = withEmail(accepted, { status: 'sending', updated_at: CREATED });
    const delivered = withEmail(accepted, {
      status: 'delivered',
      provider_message_id: 'ses-1',
      updated_at: LATER,
      events: [{ status: 'delivered', at: LATER }],
    });
    const bouncedToo = withEmail(delivered, {
      ...(delivered.channels.email as NonNullable<NotificationRecord['channels']['email']>),
      status: 'bounced',
      events: [
        { status: 'delivered', at: LATER },
        { status: 'bounced', at: '2026-12-08T10:00:09.000Z' },
      ],
    });

    const events = stateEventsOf(sending, delivered, LATER);

    expect(types(events)).toEqual(['message.sent', 'message.delivered']);
    expect(events[0]).toMatchObject({ occurred_at: LATER, provider_message_id: 'ses-1' });
    expect(types(stateEventsOf(delivered, bouncedToo, LATER))).toEqual(['message.bounced']);
  });

  it('call a skip for a frequency cap throttled, and a cancel cancelled with its reason', () => {
    const throttled: NotificationRecord = {
      ...accepted,
      channels: { email: { status: 'skipped', reason: 'throttled', updated_at: CREATED } },
    };
    const cancelled: NotificationRecord = {
      ...accepted,
      status: 'cancelled',
      cancelled_at: LATER,
      cancel_reason: 'recipient_erased',
    };

    expect(types(stateEventsOf(undefined, throttled, CREATED))).toEqual(['notification.accepted', 'message.throttled']);
    const events = stateEventsOf(accepted, cancelled, LATER);
    expect(events).toEqual([
      expect.objectContaining({ event_type: 'notification.cancelled', reason: 'recipient_erased', occurred_at: LATER }),
    ]);
  });

  it('give the same change the same id however often it is read, and different changes different ids', () => {
    const sent = withEmail(accepted, { status: 'sent', updated_at: LATER });

    const once = stateEventsOf(accepted, sent, LATER);
    const again = stateEventsOf(accepted, sent, '2026-12-08T10:09:00.000Z');
    const all = [...stateEventsOf(undefined, accepted, CREATED), ...once];

    expect(again.map(({ event_id }) => event_id)).toEqual(once.map(({ event_id }) => event_id));
    expect(new Set(all.map(({ event_id }) => event_id)).size).toBe(all.length);
    for (const { event_id } of all)
      expect(event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('say nothing of a write that changed no state (an erasure, a counter), nor of a record removed', () => {
    const erased: NotificationRecord = { ...accepted, user_id: undefined };

    expect(stateEventsOf(accepted, erased, LATER)).toEqual([]);
    expect(stateEventsOf(accepted, undefined, LATER)).toEqual([]);
  });

  it('never carry an address, a number, a body or a payload value', () => {
    const record = {
      ...accepted,
      request: { payload: { secret: 'payload-value' } },
      contacts: { email_address: 'ada@example.com' },
    } as NotificationRecord;

    const text = JSON.stringify(stateEventsOf(undefined, record, CREATED));

    expect(text).not.toContain('payload-value');
    expect(text).not.toContain('ada@example.com');
  });
});
