/**
 * The outbox as a page: one entry per notification, each channel with its decision, its provider's events in time
 * order and its message as the person would see it. Every value is escaped here, once: the page's script never builds
 * HTML from data, it asks the server for the page again and swaps in the entries that changed (outbox-page-script.ts).
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../lambdas/shared/http/escape-html.js';
import type { Outbox, OutboxChannel, OutboxEntry, OutboxFilter, SentMessage } from './outbox.js';
import { OUTBOX_PAGE_SCRIPT } from './outbox-page-script.js';

/**
 * The page's own script (by its hash) and nothing else runs. An email's frame inherits this policy: its inline styles
 * render, but it runs no script and loads nothing from the network (images only as data: URLs).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src 'sha256-${createHash('sha256').update(OUTBOX_PAGE_SCRIPT).digest('base64')}'`,
  "style-src 'unsafe-inline'",
  'img-src data:',
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
].join('; ');

/** Why a channel was skipped or failed, in words, beside the reason's code (a provider's own reasons stay codes). */
const REASONS: Readonly<Record<string, string>> = {
  opted_out: 'the person turned this channel off',
  category_opted_out: "the person turned this type's category off on this channel",
  unsubscribed: 'the person unsubscribed themselves (texted STOP, or followed an unsubscribe link)',
  no_contact: 'no address, number or device for this channel',
  not_in_template: 'the template has no part for this channel',
  suppressed: 'the address is suppressed (a bounce or a complaint)',
  enqueue_failed: 'SQS refused the job',
};

/** How each status reads at a glance: on its way, done well, not sent, or gone wrong. */
const STATUS_TONES: Readonly<Record<string, 'pending' | 'good' | 'quiet' | 'bad'>> = {
  queued: 'pending',
  deferred: 'pending',
  sending: 'pending',
  delayed: 'pending',
  sent: 'good',
  delivered: 'good',
  skipped: 'quiet',
  failed: 'bad',
  bounced: 'bad',
  rejected: 'bad',
  undelivered: 'bad',
  complained: 'bad',
};

/** The statuses at which no provider holds a message: not sent yet, or never to be. */
const NOTHING_SENT: ReadonlySet<string> = new Set(['queued', 'deferred', 'sending', 'skipped', 'failed']);

/** One line of a channel's life. */
export interface TimelineItem {
  readonly at?: string;
  readonly what: string;
  /** HTML, already escaped. */
  readonly detailHtml?: string;
}

/**
 * A channel's life: the decision (queued, deferred until when, skipped or failed and why) or the sends, then what the
 * provider said, oldest first. A send always comes before its provider's events.
 */
export function channelTimeline(channel: OutboxChannel): TimelineItem[] {
  return [
    ...decisionOrSends(channel),
    ...channel.events.map((event) => ({
      at: event.at,
      what: event.status,
      detailHtml: event.detail ? detailHtml(event.detail) : undefined,
    })),
  ];
}

function decisionOrSends(channel: OutboxChannel): TimelineItem[] {
  switch (channel.status) {
    case 'queued':
    case 'sending':
      return [{ at: channel.updated_at, what: channel.status }];
    case 'deferred':
      return [
        {
          at: channel.updated_at,
          what: 'deferred',
          detailHtml: channel.not_before ? `until ${timeHtml(channel.not_before)} (quiet hours)` : undefined,
        },
      ];
    case 'skipped':
    case 'failed':
      return [{ at: channel.updated_at, what: channel.status, detailHtml: reasonHtml(channel.reason) }];
    default: {
      // Sent, and perhaps a provider's outcome since, which moved updated_at to the outcome's time: the send's own time
      // is the provider's record's, when it keeps one (SNS does not).
      const sentAt = (message?: SentMessage) =>
        message?.sentAt ?? (channel.status === 'sent' ? channel.updated_at : undefined);
      if (channel.messages.length === 0) return [{ at: sentAt(), what: 'sent' }];
      return channel.messages
        .map((message) => ({ at: sentAt(message), what: 'sent', detailHtml: `to ${escapeHtml(message.to)}` }))
        .sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
    }
  }
}

export function outboxPage(outbox: Outbox, filter: OutboxFilter): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outbox: notification platform (local)</title>
<style>${STYLE}</style>
</head>
<body>
<header class="page">
<h1>Outbox</h1>
<form id="filter" method="get">
<label>User <input type="search" name="user" value="${escapeHtml(filter.user ?? '')}" placeholder="a user id, or part of one" autocomplete="off"></label>
<button>Filter</button>
</form>
<p id="summary">${summaryHtml(outbox, filter)}</p>
${textsHtml(outbox.texts)}
${webhookAttemptsHtml(outbox.webhookAttempts)}
</header>
<ol id="entries">
${outbox.entries.map(entryHtml).join('\n') || '<li id="empty" class="empty" data-version="empty">No notification here yet.</li>'}
</ol>
<script>${OUTBOX_PAGE_SCRIPT}</script>
</body>
</html>`;
}

/** Texts to the platform's number: STOP, START and HELP arrive here, and belong to a number, not a notification. */
export function textsHtml(texts: Outbox['texts']): string {
  if (texts.length === 0) return '<section id="texts" hidden></section>';
  const items = texts
    .map(
      (text) =>
        `<li>${timeHtml(text.received_at)} <b>${escapeHtml(text.from)}</b> texted <q>${escapeHtml(text.body)}</q>${text.keyword ? ` <span class="status pending">${escapeHtml(text.keyword)}</span>` : ''}: ${
          text.answered === null
            ? 'the webhook could not be reached'
            : text.answered !== 200
              ? `the webhook answered ${text.answered}`
              : text.reply === null
                ? 'no reply'
                : `replied <q>${escapeHtml(text.reply)}</q>`
        }</li>`,
    )
    .join('');
  return `<section id="texts"><h2>Texts to the platform</h2><ol class="timeline">${items}</ol></section>`;
}

const WEBHOOK_OUTCOME_TONES: Readonly<Record<string, 'pending' | 'good' | 'bad'>> = {
  delivered: 'good',
  retry: 'pending',
  rejected: 'bad',
  endpoint_disabled: 'bad',
};

/** Attempts to deliver webhooks, newest first: each endpoint's answer, and when the next attempt is due. */
export function webhookAttemptsHtml(attempts: Outbox['webhookAttempts']): string {
  if (attempts.length === 0) return '<section id="webhooks" hidden></section>';
  const items = attempts
    .map(
      (attempt) =>
        `<li>${timeHtml(attempt.attempted_at)} <b>${escapeHtml(attempt.event_type)}</b> to ${escapeHtml(attempt.url)}, attempt ${attempt.attempt}: <span class="status ${WEBHOOK_OUTCOME_TONES[attempt.outcome] ?? 'pending'}">${escapeHtml(attempt.outcome)}</span> (${escapeHtml(attempt.answer)})${
          attempt.next_attempt_at ? `, again ${timeHtml(attempt.next_attempt_at)}` : ''
        }</li>`,
    )
    .join('');
  return `<section id="webhooks"><h2>Webhook deliveries</h2><ol class="timeline">${items}</ol></section>`;
}

function summaryHtml(outbox: Outbox, filter: OutboxFilter): string {
  const shown = outbox.entries.length < outbox.matching ? ` (the newest ${outbox.entries.length} shown)` : '';
  const whose = filter.user ? ` for users matching <q>${escapeHtml(filter.user)}</q>` : '';
  return `${outbox.matching} notification(s)${whose}${shown}, newest first; it follows them as they go. Nothing here left this machine.`;
}

/** An entry carries a digest of itself: the page's script replaces only the entries whose digest changed. */
export function entryHtml(entry: OutboxEntry): string {
  const body = `<header>
<h2>${escapeHtml(entry.type)}</h2>
<p>to <b class="user">${entry.user_id === null ? '<i>(erased)</i>' : escapeHtml(entry.user_id)}</b>, from ${escapeHtml(entry.producer)}, ${timeHtml(entry.created_at)}${entry.critical ? ' <span class="critical">critical</span>' : ''}
<br><small><code>${escapeHtml(entry.notification_id)}</code></small></p>
</header>
<div class="channels">
${entry.channels.map(channelHtml).join('\n') || '<p>No channel was considered.</p>'}
</div>`;
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return `<li class="entry" id="notification-${escapeHtml(entry.notification_id)}" data-user="${escapeHtml(entry.user_id ?? '')}" data-version="${version}">
${body}
</li>`;
}

function channelHtml(channel: OutboxChannel): string {
  const timeline = channelTimeline(channel)
    .map(
      (item) =>
        `<li>${item.at ? timeHtml(item.at) : '<span class="unknown-time">time not recorded</span>'} <span><b>${escapeHtml(item.what)}</b>${item.detailHtml ? ` ${item.detailHtml}` : ''}</span></li>`,
    )
    .join('');
  const noMessage =
    channel.messages.length === 0 && !NOTHING_SENT.has(channel.status)
      ? '<p class="note">The provider emulator no longer holds this message.</p>'
      : '';
  return `<section class="channel" data-channel="${escapeHtml(channel.channel)}" data-status="${escapeHtml(channel.status)}">
<h3>${escapeHtml(channel.channel)} <span class="status ${STATUS_TONES[channel.status] ?? 'pending'}">${escapeHtml(channel.status)}</span></h3>
<ol class="timeline">${timeline}</ol>
${channel.messages.map(messageHtml).join('\n')}${noMessage}
</section>`;
}

/** The message as the person would see it. */
export function messageHtml(message: SentMessage): string {
  switch (message.kind) {
    case 'email':
      return `<div class="email">
<p class="email-head"><span>To ${escapeHtml(message.to)}</span><strong>${escapeHtml(message.subject)}</strong></p>
<div class="email-parts">
<figure><figcaption>HTML</figcaption>${message.html ? `<iframe sandbox srcdoc="${escapeHtml(message.html)}" title="The email's HTML part" referrerpolicy="no-referrer"></iframe>` : '<p class="note">No HTML part.</p>'}</figure>
<figure><figcaption>Text</figcaption><pre>${escapeHtml(message.text)}</pre></figure>
</div>
</div>`;
    case 'text_message':
      return `<div class="phone"><small>To ${escapeHtml(message.to)}</small><p class="bubble">${escapeHtml(message.body)}</p></div>`;
    case 'push_notification':
      return `<div class="push"><small>Device ${escapeHtml(message.to)}</small>${message.title ? `<strong>${escapeHtml(message.title)}</strong>` : ''}<p>${escapeHtml(message.body)}</p></div>`;
  }
}

/** Absolute and in UTC as served; the page's script turns it into "2 minutes ago" and keeps this in the title. */
function timeHtml(iso: string): string {
  const at = new Date(iso);
  const readable = Number.isNaN(at.getTime()) ? iso : `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${escapeHtml(readable)}</time>`;
}

function reasonHtml(reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  const words = REASONS[reason];
  return `<code>${escapeHtml(reason)}</code>${words ? `: ${words}` : ''}`;
}

function detailHtml(detail: Readonly<Record<string, string>>): string {
  return Object.entries(detail)
    .map(([name, value]) => `<code>${escapeHtml(name)}=${escapeHtml(value)}</code>`)
    .join(' ');
}

const STYLE = `
  body { font-family: system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #f5f5f7; }
  header.page { position: sticky; top: 0; z-index: 1; background: #fff; padding: 1rem 2rem; border-bottom: 1px solid #ddd; }
  header.page h1 { margin: 0 0 .5rem; font-size: 1.4rem; }
  header.page p { margin: .5rem 0 0; color: #6e6e73; }
  body.offline header.page { background: #fff4e5; }
  body.offline #summary::after { content: " The platform does not answer; still asking."; color: #a50e0e; }
  #entries { list-style: none; margin: 0; padding: 1rem 2rem; }
  .entry, .empty { background: #fff; border: 1px solid #ddd; border-radius: 8px; margin: 0 0 1rem; padding: 1rem; }
  .entry h2 { margin: 0; font-size: 1.1rem; }
  .entry header p { margin: .25rem 0 .75rem; }
  .critical { background: #b00020; color: #fff; border-radius: 4px; padding: 0 .35rem; font-size: .8rem; }
  .channels { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
  .channel { border-top: 3px solid #ddd; padding-top: .5rem; min-width: 0; }
  .channel h3 { margin: 0 0 .5rem; text-transform: uppercase; font-size: .85rem; }
  .status { text-transform: none; font-weight: 600; border-radius: 4px; padding: .05rem .4rem; margin-left: .25rem; }
  .status.pending { background: #e8f0fe; color: #1a4fa0; }
  .status.good { background: #e6f4ea; color: #1e6b34; }
  .status.quiet { background: #eee; color: #555; }
  .status.bad { background: #fce8e6; color: #a50e0e; }
  .timeline { list-style: none; padding: 0; margin: 0 0 .75rem; font-size: .9rem; }
  .timeline li { margin: .15rem 0; display: grid; grid-template-columns: 8rem 1fr; gap: .5rem; }
  .timeline time, .unknown-time { color: #6e6e73; }
  code { font-size: .85em; background: #f5f5f7; border-radius: 3px; padding: 0 .2rem; }
  small, .note { color: #6e6e73; }
  .email-head { display: flex; flex-direction: column; margin: 0 0 .5rem; }
  .email-parts { display: grid; grid-template-columns: 1fr 1fr; gap: .5rem; }
  figure { margin: 0; min-width: 0; }
  figcaption { font-size: .75rem; color: #6e6e73; text-transform: uppercase; }
  iframe { width: 100%; height: 14rem; border: 1px solid #ddd; border-radius: 4px; background: #fff; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; padding: .5rem; height: 13rem; overflow: auto;
        border: 1px solid #ddd; border-radius: 4px; font: .85rem ui-monospace, monospace; }
  .phone { max-width: 16rem; background: #1d1d1f; border-radius: 1.5rem; padding: .75rem; color: #ccc; }
  .bubble { background: #e9e9eb; color: #1d1d1f; border-radius: 1.1rem; padding: .5rem .8rem; margin: .5rem 0 0;
            white-space: pre-wrap; overflow-wrap: anywhere; }
  .push { max-width: 20rem; background: #fff; border-radius: .8rem; box-shadow: 0 1px 4px rgba(0, 0, 0, .25);
          padding: .6rem .8rem; display: flex; flex-direction: column; overflow-wrap: anywhere; }
  .push p { margin: .2rem 0 0; }
`;
