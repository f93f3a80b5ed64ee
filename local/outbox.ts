/**
 * Everything the local platform delivered, in one list: the emails SES recorded, the pushes SNS recorded
 * (both kept by the emulator, which delivers nothing), and the SMS the Twilio-compatible server received.
 * Each is joined to its notification through the provider's message id the worker recorded.
 */

import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../lambdas/shared/domain/channel.js';
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

/** When this process first saw each provider message: SNS's records carry no time of their own. */
const firstSeen = new Map<string, string>();
const seenAt = (providerId: string) => {
  if (!firstSeen.has(providerId)) firstSeen.set(providerId, new Date().toISOString());
  return firstSeen.get(providerId) ?? '';
};

export async function readOutbox(sources: OutboxSources): Promise<OutboxMessage[]> {
  const [deliveries, devices, emails, pushes] = await Promise.all([
    deliveriesByProviderId(sources),
    deviceIdsByEndpoint(sources),
    fetchJson<{ messages: SesRecord[] }>(`${sources.localStackUrl}/_aws/ses`),
    fetchJson<{ platform_endpoint_messages: Record<string, SnsRecord[]> }>(
      `${sources.localStackUrl}/_aws/sns/platform-endpoint-messages?region=${sources.region}`,
    ),
  ]);
  const joined = (providerId: string, fallbackTime: string) => {
    const delivery = deliveries.get(providerId);
    return {
      notification_id: delivery?.notificationId ?? null,
      status: delivery?.status ?? null,
      sent_at: delivery?.updatedAt ?? fallbackTime,
    };
  };
  const messages: OutboxMessage[] = [];
  for (const email of emails.messages) {
    messages.push({
      channel: 'email',
      to: email.Destination?.ToAddresses?.join(', ') ?? '',
      subject: email.Subject,
      body: email.Body?.text_part ?? email.Body?.html_part ?? '',
      ...joined(email.Id, seenAt(email.Id)),
    });
  }
  for (const [endpointArn, records] of Object.entries(pushes.platform_endpoint_messages)) {
    for (const record of records) {
      const { title, body } = pushContent(record.Message);
      messages.push({
        channel: 'push',
        to: devices.get(endpointArn) ?? endpointArn,
        title,
        body,
        ...joined(record.MessageId, seenAt(record.MessageId)),
      });
    }
  }
  for (const sms of sources.twilio.messages) {
    messages.push({
      channel: 'sms',
      to: sms.fields.To ?? '',
      body: sms.fields.Body ?? '',
      ...joined(sms.sid, sms.receivedAt.toISOString()),
    });
  }
  return messages.sort((a, b) => b.sent_at.localeCompare(a.sent_at));
}

interface SesRecord {
  Id: string;
  Destination?: { ToAddresses?: string[] };
  Subject?: string;
  Body?: { text_part?: string | null; html_part?: string | null };
  Timestamp?: string;
}

interface SnsRecord {
  MessageId: string;
  Message: string;
}

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** What a device shows: the platform part of the message SNS would have handed to FCM or APNs. */
function pushContent(message: string): { title?: string; body: string } {
  try {
    const parsed = JSON.parse(message);
    const platform = typeof parsed === 'string' ? JSON.parse(parsed) : parsed;
    const notification = platform.fcmV1Message?.message?.notification ?? platform.aps?.alert ?? platform.notification;
    if (notification) return { title: notification.title, body: notification.body ?? '' };
  } catch {
    // Not JSON: shown as it is.
  }
  return { body: message };
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

async function deviceIdsByEndpoint(sources: OutboxSources): Promise<Map<string, string>> {
  const devices = new Map<string, string>();
  const page = await sources.documents.send(new ScanCommand({ TableName: sources.devicesTable }));
  for (const item of page.Items ?? []) devices.set(item.endpoint_arn, item.device_id);
  return devices;
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
