/**
 * Every notification the local platform accepted, as its life goes on: each channel's decision (queued, deferred,
 * skipped and why, failed), the message its provider emulator holds (SES's and SNS's in LocalStack, which deliver
 * nothing; the Twilio-compatible server's), read by the channel's own outbox.ts and joined through the provider's
 * message id the worker recorded, and what the provider said afterwards (delivered, bounced, ...).
 */

import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CHANNELS, type Channel } from '../lambdas/channels/registry.js';
import type { NotificationItem } from '../lambdas/shared/adapters/notifications-store.js';
import type { ChannelStatus } from '../lambdas/shared/domain/notification.js';
import type { ProviderEvent } from '../lambdas/shared/domain/provider-outcome.js';
import type { TwilioSandbox } from './twilio-sandbox.js';

/** The newest notifications shown: enough to follow what one is doing, little enough to read every second. */
export const OUTBOX_ENTRIES_SHOWN = 100;

export interface OutboxSources {
  readonly localStackUrl: string;
  readonly region: string;
  readonly twilio: TwilioSandbox;
  readonly documents: DynamoDBDocument;
  readonly notificationsTable: string;
  readonly devicesTable: string;
  readonly webhooksTable: string;
}

/** One message a channel sent, as its provider emulator holds it, in the form a person would see it. */
export type SentMessage = {
  /** The address, the number, or the device id. */
  readonly to: string;
  /** When the provider took it, if it says. */
  readonly sentAt?: string;
} & (
  | { readonly kind: 'email'; readonly subject: string; readonly text: string; readonly html?: string }
  | { readonly kind: 'text_message'; readonly body: string }
  | { readonly kind: 'push_notification'; readonly title?: string; readonly body: string }
);

/** A sent message with the provider's id, which the worker recorded on the notification's channel. */
export type ProviderMessage = SentMessage & { readonly providerMessageId: string };

/** A channel's reader of its provider emulator: lambdas/channels/<name>/outbox.ts exports it as `readProviderMessages`. */
export type ProviderMessageReader = (sources: OutboxSources) => Promise<ProviderMessage[]>;

/** One channel of a notification: where it stands, what was sent, and what the provider said of it. */
export interface OutboxChannel {
  readonly channel: Channel;
  readonly status: ChannelStatus;
  /** Why it was skipped or failed. */
  readonly reason?: string;
  /** Deferred (quiet hours) until then. */
  readonly not_before?: string;
  readonly updated_at: string;
  /** One message, or one per device for a push; none until sent, or when the emulator no longer holds it. */
  readonly messages: readonly SentMessage[];
  /** What the provider said after the send, oldest first. */
  readonly events: readonly ProviderEvent[];
}

export interface OutboxEntry {
  readonly notification_id: string;
  /** Null once the person was erased. */
  readonly user_id: string | null;
  readonly type: string;
  readonly producer: string;
  readonly critical: boolean;
  readonly created_at: string;
  /** The channels considered, in the registry's order. */
  readonly channels: readonly OutboxChannel[];
}

export interface Outbox {
  /** Newest first, at most OUTBOX_ENTRIES_SHOWN. */
  readonly entries: readonly OutboxEntry[];
  /** How many notifications match the filter, shown or not. */
  readonly matching: number;
  /** Texts people sent to the platform's number (STOP, START, HELP, ...), newest first, whatever the filter. */
  readonly texts: readonly TextToThePlatform[];
  /** The newest attempts to deliver webhooks of each endpoint, newest first, whatever the filter. */
  readonly webhookAttempts: readonly WebhookAttemptLine[];
}

/** One attempt to deliver an event to a webhook endpoint. */
export interface WebhookAttemptLine {
  readonly url: string;
  readonly event_type: string;
  readonly notification_id: string;
  readonly attempt: number;
  readonly attempted_at: string;
  readonly outcome: string;
  /** The endpoint's HTTP status, or why there was none. */
  readonly answer: string;
  readonly next_attempt_at?: string;
}

/** The newest webhook attempts shown of each endpoint: one that fails often hides no other's. */
const WEBHOOK_ATTEMPTS_SHOWN = 10;

/** A text a person sent to the platform's number, and what the platform answered. */
export interface TextToThePlatform {
  readonly from: string;
  readonly body: string;
  /** Twilio's reading of it: STOP, START or HELP; null for an ordinary text. */
  readonly keyword: string | null;
  readonly received_at: string;
  /** The text the platform answered with (TwiML's Message), if any. */
  readonly reply: string | null;
  /** The webhook's HTTP status; null when it could not be reached. */
  readonly answered: number | null;
}

/** The newest texts shown. */
const TEXTS_SHOWN = 20;

export interface OutboxFilter {
  /** Only the notifications whose user id contains this. */
  readonly user?: string;
}

export async function readOutbox(sources: OutboxSources, filter: OutboxFilter = {}): Promise<Outbox> {
  const [notifications, webhookAttempts, ...sent] = await Promise.all([
    scanNotifications(sources),
    scanWebhookAttempts(sources),
    ...CHANNELS.map(async (channel) => (await readerOf(channel))(sources)),
  ]);
  return {
    ...outboxOf(notifications, sent.flat(), filter, textsOf(sources.twilio.inboundTexts)),
    webhookAttempts,
  };
}

/** The newest attempts of each endpoint, with its URL (the table is small locally: one scan). */
async function scanWebhookAttempts(sources: OutboxSources): Promise<WebhookAttemptLine[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await sources.documents.send(new ScanCommand({ TableName: sources.webhooksTable, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const urls = new Map(
    items.filter((item) => item.endpoint_id && item.url).map((item) => [`endpoint#${item.endpoint_id}`, item.url]),
  );
  const byEndpoint = new Map<string, Record<string, unknown>[]>();
  for (const item of items.filter((item) => String(item.sk).startsWith('attempt#')))
    byEndpoint.set(String(item.pk), [...(byEndpoint.get(String(item.pk)) ?? []), item]);
  return [...byEndpoint.values()]
    .flatMap((attempts) =>
      attempts.sort((a, b) => String(b.sk).localeCompare(String(a.sk))).slice(0, WEBHOOK_ATTEMPTS_SHOWN),
    )
    .sort((a, b) => String(b.attempted_at).localeCompare(String(a.attempted_at)))
    .map((item) => {
      const result = item.result as { kind: string; status?: number; error?: string } | undefined;
      return {
        url: String(urls.get(String(item.pk)) ?? 'a deleted endpoint'),
        event_type: String(item.event_type),
        notification_id: String(item.notification_id),
        attempt: Number(item.attempt),
        attempted_at: String(item.attempted_at),
        outcome: String(item.verdict),
        answer:
          result === undefined
            ? 'not sent'
            : result.kind === 'answered'
              ? String(result.status)
              : (result.error ?? result.kind),
        ...(item.next_attempt_at ? { next_attempt_at: String(item.next_attempt_at) } : {}),
      };
    });
}

function textsOf(texts: TwilioSandbox['inboundTexts']): TextToThePlatform[] {
  return texts
    .slice(-TEXTS_SHOWN)
    .reverse()
    .map((text) => ({
      from: text.from,
      body: text.body,
      keyword: text.optOutType,
      received_at: text.receivedAt.toISOString(),
      reply: replyOf(text.answer?.body ?? ''),
      answered: text.answer?.status ?? null,
    }));
}

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The Message of a TwiML answer, as the person's phone would show it. */
function replyOf(twiml: string): string | null {
  const message = /<Message>([\s\S]*?)<\/Message>/.exec(twiml)?.[1];
  return message === undefined
    ? null
    : message.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => XML_ENTITIES[name] ?? '');
}

/** The notifications joined to what their providers hold: pure, so that the join is tested without emulators. */
export function outboxOf(
  notifications: readonly NotificationItem[],
  providerMessages: readonly ProviderMessage[],
  filter: OutboxFilter,
  texts: readonly TextToThePlatform[] = [],
): Outbox {
  const sentById = new Map(providerMessages.map(({ providerMessageId, ...message }) => [providerMessageId, message]));
  const matching = notifications
    .filter((item) => !filter.user || (item.user_id ?? '').includes(filter.user))
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
  const entries = matching.slice(0, OUTBOX_ENTRIES_SHOWN).map((item) => ({
    notification_id: item.notification_id,
    user_id: item.user_id ?? null,
    type: item.type,
    producer: item.producer,
    critical: item.critical,
    created_at: item.created_at,
    channels: CHANNELS.flatMap((channel) => {
      const state = item.channels[channel];
      if (!state) return [];
      return [
        {
          channel,
          status: state.status,
          ...(state.reason ? { reason: state.reason } : {}),
          ...(state.not_before ? { not_before: state.not_before } : {}),
          updated_at: state.updated_at,
          // A push to several devices records one provider id per device, separated by commas.
          messages: (state.provider_message_id?.split(',') ?? []).flatMap((id) => sentById.get(id) ?? []),
          events: [...(state.events ?? [])].sort((a, b) => a.at.localeCompare(b.at)),
        },
      ];
    }),
  }));
  return { entries, matching: matching.length, texts, webhookAttempts: [] };
}

/** GET on an emulator's inspection endpoint. */
export async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

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

async function scanNotifications(sources: OutboxSources): Promise<NotificationItem[]> {
  const notifications: NotificationItem[] = [];
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
    notifications.push(...((page.Items ?? []) as NotificationItem[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return notifications;
}
