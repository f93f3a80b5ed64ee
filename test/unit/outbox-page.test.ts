import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutboxChannel, OutboxEntry } from '../../local/outbox.js';
import {
  channelTimeline,
  entryHtml,
  messageHtml,
  outboxPage,
  textsHtml,
  webhookAttemptsHtml,
} from '../../local/outbox-page.js';
import { OUTBOX_PAGE_SCRIPT } from '../../local/outbox-page-script.js';

const HOSTILE = `"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;`;

const entry = (channels: OutboxChannel[], overrides: Partial<OutboxEntry> = {}): OutboxEntry => ({
  notification_id: 'n-1',
  user_id: 'ada',
  type: 'order_shipped',
  producer: 'orders',
  critical: false,
  created_at: '2026-11-25T12:00:00.000Z',
  channels,
  ...overrides,
});

const bouncedEmail: OutboxChannel = {
  channel: 'email',
  status: 'bounced',
  updated_at: '2026-11-25T12:00:09.000Z',
  messages: [
    {
      kind: 'email',
      to: 'bounce@simulator.amazonses.com',
      subject: 'Your order A-1 has shipped',
      text: 'Hello',
      html: '<p>Hello</p>',
      sentAt: '2026-11-25T12:00:01.000Z',
    },
  ],
  events: [
    { status: 'delayed', at: '2026-11-25T12:00:05.000Z' },
    { status: 'bounced', at: '2026-11-25T12:00:09.000Z', detail: { bounce_type: 'Permanent' } },
  ],
};

describe("a channel's timeline", () => {
  it("is the send, then the provider's events, each at its own time", () => {
    const timeline = channelTimeline(bouncedEmail);

    expect(timeline.map((item) => [item.what, item.at])).toEqual([
      ['sent', '2026-11-25T12:00:01.000Z'],
      ['delayed', '2026-11-25T12:00:05.000Z'],
      ['bounced', '2026-11-25T12:00:09.000Z'],
    ]);
    expect(timeline[2]?.detailHtml).toContain('bounce_type=Permanent');
  });

  it('says why a channel was skipped or failed, and until when it is deferred', () => {
    const at = '2026-11-25T12:00:00.000Z';
    const [skipped] = channelTimeline({
      channel: 'sms',
      status: 'skipped',
      reason: 'opted_out',
      updated_at: at,
      messages: [],
      events: [],
    });
    const [failed] = channelTimeline({
      channel: 'sms',
      status: 'failed',
      reason: 'invalid_number',
      updated_at: at,
      messages: [],
      events: [],
    });
    const [deferred] = channelTimeline({
      channel: 'push',
      status: 'deferred',
      not_before: '2026-11-26T07:00:00.000Z',
      updated_at: at,
      messages: [],
      events: [],
    });

    expect(skipped).toMatchObject({ what: 'skipped', at });
    expect(skipped?.detailHtml).toContain('<code>opted_out</code>: the person turned this channel off');
    expect(failed?.detailHtml).toBe('<code>invalid_number</code>');
    expect(deferred?.detailHtml).toContain('until <time datetime="2026-11-26T07:00:00.000Z"');
  });

  it("dates a push's send by the channel's status while nothing came after it (SNS records no time)", () => {
    const push: OutboxChannel = {
      channel: 'push',
      status: 'sent',
      updated_at: '2026-11-25T12:00:02.000Z',
      messages: [{ kind: 'push_notification', to: 'device-1', title: 'Shipped', body: 'On its way' }],
      events: [],
    };

    expect(channelTimeline(push)).toEqual([
      { at: '2026-11-25T12:00:02.000Z', what: 'sent', detailHtml: 'to device-1' },
    ]);
  });
});

describe('the outbox page', () => {
  it('escapes everything a producer or a person wrote, and frames the HTML part sandboxed, without scripts', () => {
    const html = entryHtml(
      entry(
        [
          {
            ...bouncedEmail,
            messages: [{ kind: 'email', to: HOSTILE, subject: HOSTILE, text: HOSTILE, html: `<p>${HOSTILE}</p>` }],
            events: [{ status: 'bounced', at: '2026-11-25T12:00:09.000Z', detail: { [HOSTILE]: HOSTILE } }],
          },
          {
            channel: 'sms',
            status: 'sent',
            updated_at: '2026-11-25T12:00:02.000Z',
            messages: [{ kind: 'text_message', to: HOSTILE, body: HOSTILE }],
            events: [],
          },
        ],
        { user_id: HOSTILE, type: HOSTILE, producer: HOSTILE, notification_id: HOSTILE },
      ),
    );

    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain(`"'>`);
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toMatch(/<iframe sandbox srcdoc="&#60;p&#62;&#34;&#39;&#62;&#60;script&#62;[^"]*"/);
    expect(html).not.toContain('allow-scripts');
  });

  it("shows an SMS as a phone's bubble and a push as a notification card", () => {
    expect(messageHtml({ kind: 'text_message', to: '+4915112345678', body: 'Order A-1 has shipped.' })).toBe(
      '<div class="phone"><small>To +4915112345678</small><p class="bubble">Order A-1 has shipped.</p></div>',
    );
    expect(messageHtml({ kind: 'push_notification', to: 'device-1', title: 'Order shipped', body: 'On its way' })).toBe(
      '<div class="push"><small>Device device-1</small><strong>Order shipped</strong><p>On its way</p></div>',
    );
  });

  it('gives each entry a digest that changes when, and only when, what it shows changes', () => {
    const version = (html: string) => html.match(/data-version="([^"]+)"/)?.[1];
    const sent: OutboxChannel = { ...bouncedEmail, status: 'sent', events: [] };

    const before = version(entryHtml(entry([sent])));
    const again = version(entryHtml(entry([sent])));
    const after = version(entryHtml(entry([bouncedEmail])));

    expect(again).toBe(before);
    expect(after).not.toBe(before);
  });

  it('allows its own script by its hash and nothing else, and keeps the filter it was asked for', () => {
    const page = outboxPage({ entries: [], matching: 0, texts: [], webhookAttempts: [] }, { user: HOSTILE });
    const hash = createHash('sha256').update(OUTBOX_PAGE_SCRIPT).digest('base64');

    expect(page).toContain(`script-src 'sha256-${hash}'`);
    expect(page).toContain("default-src 'none'");
    expect(page).not.toContain('http-equiv="refresh"');
    expect(page).toContain(`value="&#34;&#39;&#62;&#60;script&#62;`);
    expect(page).toContain('No notification here yet.');
    expect(page.match(/<script>/g)).toHaveLength(1);
  });

  it('lists the texts people sent to the platform, escaped, with the keyword and the reply', () => {
    const html = textsHtml([
      {
        from: '+4915112345678',
        body: HOSTILE,
        keyword: null,
        received_at: '2026-11-26T10:00:00.000Z',
        reply: null,
        answered: 200,
      },
      {
        from: '+4915112345678',
        body: 'HELP',
        keyword: 'HELP',
        received_at: '2026-11-26T10:00:01.000Z',
        reply: 'Reply STOP to stop <now>',
        answered: 200,
      },
      {
        from: '+4915112345678',
        body: 'STOP',
        keyword: 'STOP',
        received_at: '2026-11-26T10:00:02.000Z',
        reply: null,
        answered: null,
      },
    ]);

    expect(html).toContain('<h2>Texts to the platform</h2>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('replied <q>Reply STOP to stop &#60;now&#62;</q>');
    expect(html).toContain('<span class="status pending">STOP</span>: the webhook could not be reached');
    expect(html).toContain('no reply');
    expect(textsHtml([])).toBe('<section id="texts" hidden></section>');
  });

  it('lists the attempts to deliver webhooks, escaped, with the answer and when the next one is due', () => {
    const html = webhookAttemptsHtml([
      {
        url: `http://127.0.0.1:9000/${HOSTILE}`,
        event_type: 'message.sent',
        notification_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
        attempt: 2,
        attempted_at: '2026-12-08T10:00:00.000Z',
        outcome: 'retry',
        answer: '500',
        next_attempt_at: '2026-12-08T10:00:02.000Z',
      },
      {
        url: 'http://127.0.0.1:9000/ok',
        event_type: 'message.sent',
        notification_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
        attempt: 1,
        attempted_at: '2026-12-08T10:00:00.000Z',
        outcome: 'delivered',
        answer: '204',
      },
    ]);

    expect(html).toContain('<h2>Webhook deliveries</h2>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('attempt 2: <span class="status pending">retry</span> (500), again');
    expect(html).toContain('<span class="status good">delivered</span> (204)');
    expect(webhookAttemptsHtml([])).toBe('<section id="webhooks" hidden></section>');
  });
});
