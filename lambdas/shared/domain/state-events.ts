/**
 * What a producer learns of its notifications: one event per change of state, read from the notification's record
 * before and after each write (the table's stream), so that no writer has to say it and none can forget to. Pure: the
 * publisher (lambdas/events/) reads the stream and puts these on the bus.
 *
 * An event carries ids, the type, the category, the channel, the status and reasons, never what the message says, to
 * whom (an address, a number, a token) or the payload. Its `event_id` is derived from what changed, so the same change
 * read twice (a stream batch retried) is the same event, and a consumer deduplicates on it.
 */
import { CHANNELS, type Channel } from '../../channels/registry.js';
import { derivedUuid } from './derived-id.js';
import type { ChannelState, NotificationRecord } from './notification.js';
import { PROVIDER_OUTCOMES, type ProviderEvent, type ProviderOutcome } from './provider-outcome.js';

/** The version of the events' shape (docs/events/): a change a consumer could trip on makes a new one. */
export const EVENT_SCHEMA_VERSION = '1';

/** What the platform names itself as on the bus: a rule matches its events with `source`. */
export const EVENT_SOURCE = 'notification-platform';

/** The notification as a whole: accepted, scheduled, cancelled, folded into a digest, a broadcast fanned out. */
export const NOTIFICATION_EVENT_TYPES = [
  'notification.accepted',
  'notification.scheduled',
  'notification.cancelled',
  'notification.digested',
  'notification.fanned_out',
] as const;

/**
 * One channel's message: decided (queued, deferred, skipped; throttled is a skip for a frequency cap, named apart
 * because a producer watches for it), sent or failed by the worker, cancelled, and what the provider said after.
 */
export const MESSAGE_EVENT_TYPES = [
  'message.queued',
  'message.deferred',
  'message.skipped',
  'message.throttled',
  'message.sent',
  'message.failed',
  'message.cancelled',
  ...PROVIDER_OUTCOMES.map((outcome) => `message.${outcome}` as const),
] as const;

export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];
export type MessageEventType = (typeof MESSAGE_EVENT_TYPES)[number];
export type StateEventType = NotificationEventType | MessageEventType;
export const STATE_EVENT_TYPES: readonly StateEventType[] = [...NOTIFICATION_EVENT_TYPES, ...MESSAGE_EVENT_TYPES];

/** An event's detail: what the bus carries and a webhook delivers. */
export interface StateEvent {
  readonly schema_version: typeof EVENT_SCHEMA_VERSION;
  readonly event_id: string;
  readonly event_type: StateEventType;
  /** When the change happened (the record's own time for it), ISO 8601. */
  readonly occurred_at: string;
  readonly notification_id: string;
  readonly producer: string;
  readonly notification_type: string;
  /** Absent on records made before notifications kept their category. */
  readonly category?: string;
  readonly critical: boolean;
  /** A notification the platform made of others: a digest (its members name it as digest_id), or a broadcast. */
  readonly kind?: 'digest' | 'broadcast';
  /** The person; absent for a broadcast (its topic says) and once the person was erased. */
  readonly user_id?: string;
  readonly topic?: string;
  readonly broadcast_id?: string;
  readonly digest_id?: string;
  /** A message event's channel. */
  readonly channel?: Channel;
  /** The notification's status (notification events) or the channel's (message events). */
  readonly status: string;
  /** Why: a skip's, a failure's or a cancel's reason. */
  readonly reason?: string;
  /** A scheduled notification's time, or when a deferred message will go out. */
  readonly send_at?: string;
  readonly not_before?: string;
  readonly provider_message_id?: string;
  /** What the provider said with its event: a bounce's type and sub-type, an error code; never an address. */
  readonly provider_detail?: Readonly<Record<string, string>>;
}

/** What an event says of its change, beside what every event of the record says: at least the status. */
type EventParts = Partial<StateEvent> & Pick<StateEvent, 'status'>;

/** A channel's statuses before its provider took the message. */
const BEFORE_THE_SEND: ReadonlySet<string> = new Set(['queued', 'deferred', 'sending']);

/** Statuses of the worker's own passage that a producer has no use for: `sending` is a claim held. */
const UNPUBLISHED_CHANNEL_STATUSES: ReadonlySet<string> = new Set(['sending', ...PROVIDER_OUTCOMES]);

/**
 * The events one write made, in the order they happened: `before` undefined for a new record, `after` undefined for a
 * removed one (its time to live: nothing happened to the notification). `changedAt` is when the write was made, for a
 * change whose record keeps no time of its own.
 */
export function stateEventsOf(
  before: NotificationRecord | undefined,
  after: NotificationRecord | undefined,
  changedAt: string,
): StateEvent[] {
  if (!after) return [];
  const events: StateEvent[] = [];
  const emit = (type: StateEventType, at: string, parts: EventParts, discriminator = '') =>
    events.push(eventOf(after, type, at, parts, discriminator));

  if (!before) {
    emit('notification.accepted', after.created_at, { status: after.status ?? 'queued' });
    if (after.status === 'scheduled') emit('notification.scheduled', after.created_at, { status: 'scheduled' });
  }
  if (before && before.status !== after.status) {
    switch (after.status) {
      case 'cancelled':
        emit('notification.cancelled', after.cancelled_at ?? changedAt, {
          status: 'cancelled',
          ...(after.cancel_reason ? { reason: after.cancel_reason } : {}),
        });
        break;
      case 'digested':
        emit('notification.digested', changedAt, { status: 'digested' });
        break;
      case 'fanned_out':
        emit('notification.fanned_out', changedAt, { status: 'fanned_out' });
        break;
    }
  }
  for (const channel of CHANNELS) {
    const was = before?.channels[channel];
    const is = after.channels[channel];
    if (!is) continue;
    if (is.status !== was?.status && !UNPUBLISHED_CHANNEL_STATUSES.has(is.status))
      emit(messageEventType(is), is.updated_at, { channel, ...channelParts(is) }, is.status);
    const reported = (is.events ?? []).slice(was?.events?.length ?? 0);
    // A provider's report says when it happened by the provider's clock, which may run behind the one that recorded the
    // send: a report is never placed before the message's state before it, so that a message's events keep their order.
    const notBefore = was?.updated_at;
    const atOrAfterThen = (at: string) => (notBefore !== undefined && at < notBefore ? notBefore : at);
    // The provider's report can overtake the worker's own record of the send, which then stays unwritten (a status
    // never moves back): the provider spoke of a message it took, so it was sent, at the latest when it reported.
    const first = reported[0];
    if (first && (was === undefined || BEFORE_THE_SEND.has(was.status)))
      emit(
        'message.sent',
        atOrAfterThen(first.at),
        {
          channel,
          status: 'sent',
          ...(is.provider_message_id ? { provider_message_id: is.provider_message_id } : {}),
        },
        'sent',
      );
    for (const providerEvent of reported)
      emit(
        `message.${providerEvent.status}`,
        atOrAfterThen(providerEvent.at),
        { channel, ...providerParts(providerEvent, is) },
        `${providerEvent.status}@${providerEvent.at}`,
      );
  }
  return events.sort((left, right) => left.occurred_at.localeCompare(right.occurred_at));
}

function messageEventType(state: ChannelState): MessageEventType {
  if (state.status === 'skipped' && state.reason === 'throttled') return 'message.throttled';
  return `message.${state.status as Exclude<ChannelState['status'], 'sending' | ProviderOutcome>}`;
}

function channelParts(state: ChannelState): EventParts {
  return {
    status: state.status,
    ...(state.reason ? { reason: state.reason } : {}),
    ...(state.not_before ? { not_before: state.not_before } : {}),
    ...(state.status === 'sent' && state.provider_message_id ? { provider_message_id: state.provider_message_id } : {}),
  };
}

function providerParts(event: ProviderEvent, state: ChannelState): EventParts {
  return {
    status: event.status,
    ...(state.provider_message_id ? { provider_message_id: state.provider_message_id } : {}),
    ...(event.detail && Object.keys(event.detail).length > 0 ? { provider_detail: event.detail } : {}),
  };
}

function eventOf(
  record: NotificationRecord,
  type: StateEventType,
  at: string,
  parts: EventParts,
  discriminator: string,
): StateEvent {
  return {
    schema_version: EVENT_SCHEMA_VERSION,
    event_id: eventId(record.notification_id, type, parts.channel, at, discriminator),
    event_type: type,
    occurred_at: at,
    notification_id: record.notification_id,
    producer: record.producer,
    notification_type: record.type,
    ...(record.category ? { category: record.category } : {}),
    critical: record.critical,
    ...(record.kind ? { kind: record.kind } : {}),
    ...(record.user_id ? { user_id: record.user_id } : {}),
    ...(record.topic ? { topic: record.topic } : {}),
    ...(record.broadcast_id ? { broadcast_id: record.broadcast_id } : {}),
    ...(record.digest_id ? { digest_id: record.digest_id } : {}),
    ...(type === 'notification.scheduled' && record.send_at ? { send_at: record.send_at } : {}),
    ...parts,
  };
}

/**
 * The same change always has the same id: the notification, what happened, on which channel, when, and what tells two
 * such apart (a provider's event, a status).
 */
export function eventId(
  notificationId: string,
  type: StateEventType,
  channel: Channel | undefined,
  at: string,
  discriminator: string,
): string {
  return derivedUuid([notificationId, type, channel ?? '', at, discriminator].join('\n'));
}
