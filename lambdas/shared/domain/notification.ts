import type { Channel } from '../../channels/registry.js';
import type { ChannelDecision, SkipReason } from './channel-resolution.js';
import type { ProviderEvent, ProviderOutcome } from './provider-outcome.js';

/**
 * Where one channel of a notification stands. Ingest sets queued, deferred and skipped; the channel worker sending,
 * sent and failed; the provider's events the rest (provider-outcome.ts), only ever forward.
 */
export type ChannelStatus =
  | 'queued'
  | 'deferred'
  | 'skipped'
  | 'sending'
  | 'sent'
  | 'failed'
  | 'cancelled'
  | ProviderOutcome;

/**
 * Where a notification as a whole stands: `scheduled` until its time, then `queued` (some channel's job is on its
 * queue) or `suppressed` (none was sent on), or `cancelled` before it went out. A member of a digest is `digesting`
 * while it joins one and `digested` once in it (its digest, a notification of its own, says what went out). A
 * broadcast is `fanning_out` while its recipients are dispatched, chunk by chunk, and `fanned_out` once all were.
 */
export type NotificationStatus =
  | 'scheduled'
  | 'queued'
  | 'suppressed'
  | 'cancelled'
  | 'digesting'
  | 'digested'
  | 'fanning_out'
  | 'fanned_out';

export interface ChannelState {
  readonly status: ChannelStatus;
  readonly reason?: SkipReason | string;
  readonly not_before?: string;
  readonly provider_message_id?: string;
  /** The template locale the message was written in (e.g. de), when not the default content. */
  readonly locale?: string;
  readonly updated_at: string;
  /** What the provider said after the send, in the order it arrived. */
  readonly events?: readonly ProviderEvent[];
}

/** The answer to an accepted POST /v1/notifications, and what an idempotent retry gets again. */
export interface AcceptedNotification {
  readonly notification_id: string;
  readonly status: 'queued' | 'suppressed' | 'scheduled' | 'digested' | 'fanning_out';
  /** A scheduled one's time; its channels are decided then, so the answer names none. */
  readonly send_at?: string;
  readonly channels: Partial<
    Record<Channel, { status: 'queued' | 'deferred' | 'skipped'; reason?: string; not_before?: string }>
  >;
}

export function channelStateOf(decision: ChannelDecision, now: Date): ChannelState {
  const updated_at = now.toISOString();
  switch (decision.status) {
    case 'queued':
      return { status: 'queued', updated_at };
    case 'deferred':
      return { status: 'deferred', not_before: decision.notBefore.toISOString(), updated_at };
    case 'skipped':
      return { status: 'skipped', reason: decision.reason, updated_at };
  }
}

/**
 * A notification's record, as far as the domain reads it: who, what, where it stands, and each channel's state. The
 * notifications table's item (adapters/notifications-store.ts NotificationItem) is this and what the platform keeps
 * for itself beside it; the table's stream gives the state events this (domain/state-events.ts).
 */
export interface NotificationRecord {
  readonly notification_id: string;
  /** Absent once the person was erased. */
  readonly user_id?: string;
  readonly type: string;
  readonly producer: string;
  readonly critical: boolean;
  /** The type's category when it was accepted (absent on records made before records kept it), for its events. */
  readonly category?: string;
  readonly created_at: string;
  /** Absent on records made before notifications had one: their channels tell. */
  readonly status?: NotificationStatus;
  /** A scheduled notification: when it is due. */
  readonly send_at?: string;
  readonly cancelled_at?: string;
  /** Why the platform cancelled a scheduled notification itself (recipient_erased, template_missing). */
  readonly cancel_reason?: string;
  /** A member of a digest: the digest that carries it (a notification of its own). */
  readonly digest_id?: string;
  /** A digest's own record, or a broadcast's. */
  readonly kind?: 'digest' | 'broadcast';
  /** A broadcast: the topic whose subscribers it goes to. */
  readonly topic?: string;
  /** One recipient of a broadcast: the broadcast that made it. */
  readonly broadcast_id?: string;
  readonly channels: Readonly<Partial<Record<Channel, ChannelState>>>;
}
