import { describe, expect, it } from 'vitest';
import type { NotificationItem } from '../../lambdas/shared/adapters/notifications-store.js';
import { OUTBOX_ENTRIES_SHOWN, outboxOf, type ProviderMessage } from '../../local/outbox.js';

const notification = (id: string, overrides: Partial<NotificationItem> = {}): NotificationItem => ({
  notification_id: id,
  user_id: 'ada',
  type: 'order_shipped',
  producer: 'orders',
  critical: false,
  created_at: '2026-11-25T12:00:00.000Z',
  channels: {},
  expires_at: 0,
  ...overrides,
});

const email: ProviderMessage = {
  kind: 'email',
  providerMessageId: 'ses-1',
  to: 'ada@example.com',
  subject: 'Your order A-1 has shipped',
  text: 'Hello Ada',
  html: '<p>Hello Ada</p>',
  sentAt: '2026-11-25T12:00:01.000Z',
};

describe('the outbox', () => {
  it("joins each channel to the message its provider holds, with the provider's events oldest first", () => {
    // Prepare
    const item = notification('n1', {
      channels: {
        email: {
          status: 'bounced',
          provider_message_id: 'ses-1',
          updated_at: '2026-11-25T12:00:09.000Z',
          events: [
            { status: 'bounced', at: '2026-11-25T12:00:09.000Z', detail: { bounce_type: 'Permanent' } },
            { status: 'delayed', at: '2026-11-25T12:00:05.000Z' },
          ],
        },
        sms: { status: 'skipped', reason: 'opted_out', updated_at: '2026-11-25T12:00:00.000Z' },
      },
    });

    // Act
    const { entries } = outboxOf([item], [email], {});

    // Assess
    expect(entries).toHaveLength(1);
    const [emailChannel, smsChannel] = entries[0]?.channels ?? [];
    expect(emailChannel).toMatchObject({ channel: 'email', status: 'bounced' });
    expect(emailChannel?.messages).toEqual([
      {
        kind: 'email',
        to: 'ada@example.com',
        subject: email.subject,
        text: 'Hello Ada',
        html: '<p>Hello Ada</p>',
        sentAt: email.sentAt,
      },
    ]);
    expect(emailChannel?.events.map((event) => event.status)).toEqual(['delayed', 'bounced']);
    expect(smsChannel).toEqual({
      channel: 'sms',
      status: 'skipped',
      reason: 'opted_out',
      updated_at: '2026-11-25T12:00:00.000Z',
      messages: [],
      events: [],
    });
  });

  it('finds one message per device of a push, whose provider ids the worker recorded joined by commas', () => {
    const push = (id: string): ProviderMessage => ({
      kind: 'push_notification',
      providerMessageId: id,
      to: id,
      body: 'b',
    });
    const item = notification('n1', {
      channels: { push: { status: 'sent', provider_message_id: 'p1,p2', updated_at: '2026-11-25T12:00:01.000Z' } },
    });

    const { entries } = outboxOf([item], [push('p1'), push('p2'), push('elsewhere')], {});

    expect(entries[0]?.channels[0]?.messages.map((message) => message.to)).toEqual(['p1', 'p2']);
  });

  it("lists the newest first, narrowed to the users whose id contains the filter's text", () => {
    const items = [
      notification('old', { user_id: 'ada', created_at: '2026-11-25T12:00:00.000Z' }),
      notification('new', { user_id: 'ada-2', created_at: '2026-11-25T13:00:00.000Z' }),
      notification('other', { user_id: 'grace', created_at: '2026-11-25T14:00:00.000Z' }),
      notification('erased', { user_id: undefined, created_at: '2026-11-25T15:00:00.000Z' }),
    ];

    const all = outboxOf(items, [], {});
    const ada = outboxOf(items, [], { user: 'ada' });

    expect(all.entries.map((entry) => entry.notification_id)).toEqual(['erased', 'other', 'new', 'old']);
    expect(all.entries[0]?.user_id).toBeNull();
    expect(ada.entries.map((entry) => entry.notification_id)).toEqual(['new', 'old']);
    expect(ada.matching).toBe(2);
  });

  it('shows the newest entries only, and says how many match', () => {
    const items = Array.from({ length: OUTBOX_ENTRIES_SHOWN + 5 }, (_, index) =>
      notification(`n${index}`, { created_at: new Date(Date.UTC(2026, 10, 25, 0, 0, index)).toISOString() }),
    );

    const { entries, matching } = outboxOf(items, [], {});

    expect(entries).toHaveLength(OUTBOX_ENTRIES_SHOWN);
    expect(entries[0]?.notification_id).toBe(`n${OUTBOX_ENTRIES_SHOWN + 4}`);
    expect(matching).toBe(OUTBOX_ENTRIES_SHOWN + 5);
  });
});
