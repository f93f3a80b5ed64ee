/**
 * Everything the local platform delivered, in one list: what each channel's provider emulator recorded (SES's and
 * SNS's in LocalStack, which delivers nothing; the Twilio-compatible server's), read by the channel's own outbox.ts,
 * and joined to its notification through the provider's message id the worker recorded.
 */

import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CHANNELS, type Channel } from '../lambdas/channels/registry.js';
import type { TwilioSandbox } from './twilio-sandbox.js';

export interface OutboxMessage {
  readonly channel: Channel;
  readonly notification_id: string | null;
  /** The address, the number, or the device id. */
  readonly to: string;
  readonly subject?: string;
  readonly title?: string;
  readonly body: string;
  readonly sent_at: string;
  readonly status: string | null;
}

export interface OutboxSources {
  readonly localStackUrl: string;
  readonly region: string;
  readonly twilio: TwilioSandbox;
  readonly documents: DynamoDBDocument;
  readonly notificationsTable: string;
  readonly devicesTable: string;
}

interface Delivery {
  readonly notificationId: string;
  readonly status: string;
  readonly updatedAt: string;
}

/** When this process first saw each provider message, for records that carry no time of their own (SNS's). */
const firstSeen = new Map<string, string>();
const seenAt = (providerId: string) => {
  if (!firstSeen.has(providerId)) firstSeen.set(providerId, new Date().toISOString());
  return firstSeen.get(providerId) ?? '';
};

/** What a provider emulator holds of one message a channel sent, before it is joined to its notification. */
export interface ProviderMessage {
  readonly providerMessageId: string;
  readonly to: string;
  readonly subject?: string;
  readonly title?: string;
  readonly body: string;
  /** When the provider took it, if it says. */
  readonly receivedAt?: string;
}

/** A channel's reader of its provider emulator: lambdas/channels/<name>/outbox.ts exports it as `readProviderMessages`. */
export type ProviderMessageReader = (sources: OutboxSources) => Promise<ProviderMessage[]>;

const readers = new Map<Channel, ProviderMessageReader>();

async function readerOf(channel: Channel): Promise<ProviderMessageReader> {
  const known = readers.get(channel);
  if (known) return known;
  const file = new URL(`../lambdas/channels/${channel}/outbox.ts`, import.meta.url).href;
  const { readProviderMessages } = (await import(/* @vite-ignore */ file)) as {
    readProviderMessages: ProviderMessageReader;
  };
  readers.set(channel, readProviderMessages);
  return readProviderMessages;
}

export async function readOutbox(sources: OutboxSources): Promise<OutboxMessage[]> {
  const [deliveries, ...sent] = await Promise.all([
    deliveriesByProviderId(sources),
    ...CHANNELS.map(async (channel) => ({ channel, messages: await (await readerOf(channel))(sources) })),
  ]);
  const messages: OutboxMessage[] = [];
  for (const { channel, messages: provided } of sent) {
    for (const { providerMessageId, receivedAt, ...content } of provided) {
      const delivery = deliveries.get(providerMessageId);
      messages.push({
        channel,
        ...content,
        notification_id: delivery?.notificationId ?? null,
        status: delivery?.status ?? null,
        sent_at: delivery?.updatedAt ?? receivedAt ?? seenAt(providerMessageId),
      });
    }
  }
  return messages.sort((a, b) => b.sent_at.localeCompare(a.sent_at));
}

/** GET on an emulator's inspection endpoint. */
export async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** Provider message id -> the notification and channel status that recorded it. */
async function deliveriesByProviderId(sources: OutboxSources): Promise<Map<string, Delivery>> {
  const deliveries = new Map<string, Delivery>();
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await sources.documents.send(
      new ScanCommand({
        TableName: sources.notificationsTable,
        FilterExpression: 'sk = :notification',
        ExpressionAttributeValues: { ':notification': 'notification' },
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      for (const state of Object.values(item.channels ?? {}) as {
        provider_message_id?: string;
        status: string;
        updated_at: string;
      }[]) {
        for (const providerId of state.provider_message_id?.split(',') ?? []) {
          deliveries.set(providerId, {
            notificationId: item.notification_id,
            status: state.status,
            updatedAt: state.updated_at,
          });
        }
      }
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return deliveries;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/** The outbox as a page a person can read; it reloads itself every three seconds. */
export function outboxPage(messages: readonly OutboxMessage[]): string {
  const rows = messages
    .map(
      (message) => `<tr>
  <td>${escapeHtml(message.sent_at)}</td>
  <td class="channel">${message.channel}</td>
  <td>${escapeHtml(message.to)}</td>
  <td>${message.subject ? `<strong>${escapeHtml(message.subject)}</strong><br>` : ''}${message.title ? `<strong>${escapeHtml(message.title)}</strong><br>` : ''}<pre>${escapeHtml(message.body)}</pre></td>
  <td>${escapeHtml(message.status ?? '')}<br><small>${escapeHtml(message.notification_id ?? '')}</small></td>
</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="3">
<title>Outbox: notification platform (local)</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; vertical-align: top; padding: .5rem .75rem; border-bottom: 1px solid #ddd; }
  th { background: #f5f5f7; }
  td.channel { font-weight: 600; text-transform: uppercase; font-size: .8rem; }
  pre { white-space: pre-wrap; margin: .25rem 0 0; font-family: inherit; }
  small { color: #6e6e73; }
</style>
</head>
<body>
<h1>Outbox</h1>
<p>${messages.length} message(s) delivered locally, newest first. Nothing here left this machine.</p>
<table>
<thead><tr><th>Sent</th><th>Channel</th><th>To</th><th>Content</th><th>Status</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="5">Nothing delivered yet.</td></tr>'}
</tbody>
</table>
</body>
</html>`;
}
