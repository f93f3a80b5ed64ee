import { CHANNELS, type Channel } from '../channels/registry.js';
import type { BroadcastProgressStore } from '../shared/adapters/broadcast-progress.js';
import type { DeliveryClaims } from '../shared/adapters/delivery-claims.js';
import type { DigestWindows } from '../shared/adapters/digest-windows.js';
import type { NotificationItem, NotificationsStore } from '../shared/adapters/notifications-store.js';
import { NOTIFICATION_RETENTION_SECONDS } from '../shared/adapters/notifications-store.js';
import { type TemplatesStore, templateChannels } from '../shared/adapters/templates-store.js';
import type { ChannelStatus } from '../shared/domain/notification.js';
import type { Producer } from '../shared/domain/producer.js';
import { ApiError, notFound } from '../shared/http/api-error.js';
import { logger } from '../shared/observability.js';

export interface CancellationDependencies {
  readonly notifications: Pick<
    NotificationsStore,
    | 'find'
    | 'cancelScheduled'
    | 'cancelDigested'
    | 'recordChannelState'
    | 'recordCancelled'
    | 'notificationIdsUnderCancelKey'
  >;
  readonly claims: Pick<DeliveryClaims, 'cancel'>;
  readonly broadcasts: Pick<BroadcastProgressStore, 'cancel' | 'countOutcome'>;
  readonly digests: Pick<DigestWindows, 'excludeMember'>;
  readonly templates: Pick<TemplatesStore, 'find'>;
  readonly clock?: () => Date;
}

/** The answer to a cancel: the channels it stopped, and where each other channel stands. */
export interface CancelledNotification {
  readonly notification_id: string;
  /** `cancelled` when nothing of it will go out now; `partly_cancelled` when some channel went out or is going. */
  readonly status: 'cancelled' | 'partly_cancelled';
  readonly cancelled: readonly Channel[];
  readonly not_cancelled: Partial<Record<Channel, ChannelStatus>>;
}

/** Channel states whose job has not been sent and may yet be stopped. */
const PENDING: ReadonlySet<ChannelStatus> = new Set(['queued', 'deferred']);

/** Channel states that never went out: nothing to stop, and nothing that went. */
const NEVER_SENT: ReadonlySet<ChannelStatus> = new Set(['skipped', 'failed']);

/** At most this many notifications under one cancel key are cancelled at once. */
const CANCEL_KEY_PARALLELISM = 10;

/**
 * Takes back a producer's notification. One still `scheduled` is cancelled by one conditional write on its status,
 * the same the dispatch makes (either it is cancelled or it went out). One already dispatched is cancelled on each
 * channel whose job has not been sent, by one conditional write on that channel's delivery claim, the one the worker
 * needs before it sends; a channel sent, or being sent, stays as it is.
 */
export class NotificationCancellation {
  private readonly clock: () => Date;

  constructor(private readonly deps: CancellationDependencies) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async cancel(notificationId: string, producer: Producer): Promise<CancelledNotification> {
    const item = await this.deps.notifications.find(notificationId);
    // Another producer's notification is answered exactly as one that does not exist.
    if (!item || item.producer !== producer.name) throw notFound(`notification ${notificationId}`);
    return this.cancelItem(item);
  }

  /** Cancels every pending notification of the producer's under `cancelKey`; answers how many it stopped. */
  async cancelByKey(cancelKey: string, producer: Producer): Promise<{ cancel_key: string; cancelled: number }> {
    let cancelled = 0;
    for await (const ids of this.deps.notifications.notificationIdsUnderCancelKey(producer.name, cancelKey)) {
      for (let start = 0; start < ids.length; start += CANCEL_KEY_PARALLELISM) {
        const answers = await Promise.all(
          ids.slice(start, start + CANCEL_KEY_PARALLELISM).map(async (id) => {
            const item = await this.deps.notifications.find(id);
            if (!item || item.producer !== producer.name || item.status === 'cancelled') return false;
            const answer = await this.cancelItem(item).catch((error: Error) => {
              if (error instanceof ApiError && error.statusCode === 409) return undefined;
              throw error;
            });
            return answer !== undefined && answer.cancelled.length > 0;
          }),
        );
        cancelled += answers.filter(Boolean).length;
      }
    }
    logger.info('cancelled by key', { cancelled });
    return { cancel_key: cancelKey, cancelled };
  }

  private async cancelItem(item: NotificationItem): Promise<CancelledNotification> {
    const now = this.clock().toISOString();
    if (item.status === 'scheduled') {
      const cancelled = await this.deps.notifications.cancelScheduled(item.notification_id, now);
      if (cancelled) {
        logger.info('scheduled notification cancelled');
        return {
          notification_id: item.notification_id,
          status: 'cancelled',
          cancelled: await this.channelsAskedFor(item),
          not_cancelled: {},
        };
      }
      // The dispatch's write came first: it went out, and its channels are cancelled where they still can be.
      const dispatched = await this.deps.notifications.find(item.notification_id);
      if (!dispatched) throw notFound(`notification ${item.notification_id}`);
      return this.cancelItem(dispatched);
    }
    if (item.kind === 'broadcast') return this.cancelBroadcast(item, now);
    if (item.status === 'digested' || item.status === 'digesting') return this.cancelMember(item, now);
    if (item.status === 'cancelled' && Object.keys(item.channels).length === 0) {
      return { notification_id: item.notification_id, status: 'cancelled', cancelled: [], not_cancelled: {} };
    }
    return this.cancelChannels(item, now);
  }

  /**
   * A broadcast under way: one write stops its fan-out and every recipient's job not sent yet (their workers read it);
   * what was sent stays sent, and the answer is then `partly_cancelled`.
   */
  private async cancelBroadcast(item: NotificationItem, now: string): Promise<CancelledNotification> {
    const cancelled = await this.deps.broadcasts.cancel(item.notification_id, now);
    if (!cancelled) throw new ApiError(409, 'already_sent', 'nothing is left to cancel: every recipient was reached');
    logger.info('broadcast cancelled', { sent: cancelled.sent });
    return {
      notification_id: item.notification_id,
      status: cancelled.sent > 0 ? 'partly_cancelled' : 'cancelled',
      cancelled: await this.channelsAskedFor(item),
      not_cancelled: {},
    };
  }

  private async countInBroadcast(broadcastId: string, now: string): Promise<void> {
    await this.deps.broadcasts.countOutcome(broadcastId, 'cancelled', now).catch((error: Error) => {
      logger.warn("could not count the cancel in its broadcast's progress", { error: error.name });
    });
  }

  private async cancelChannels(item: NotificationItem, now: string): Promise<CancelledNotification> {
    const expiresAt = Math.floor(new Date(item.created_at).getTime() / 1000) + NOTIFICATION_RETENTION_SECONDS;
    const entries = CHANNELS.flatMap((channel) => {
      const state = item.channels[channel];
      return state ? [[channel, state] as const] : [];
    });
    const outcomes = await Promise.all(
      entries.map(async ([channel, state]) => {
        if (state.status === 'cancelled') return { channel, cancelled: true, already: true };
        if (NEVER_SENT.has(state.status)) return undefined;
        if (!PENDING.has(state.status)) return { channel, cancelled: false, status: state.status };
        const cancelled = await this.deps.claims.cancel(item.notification_id, channel, expiresAt);
        if (cancelled) {
          await this.deps.notifications.recordChannelState(item.notification_id, channel, {
            status: 'cancelled',
            updated_at: now,
          });
          // One recipient of a broadcast: its job will never reach a worker's count, so the cancel counts it (after
          // the state above, so that a retry finds it cancelled and counts it no more).
          if (item.broadcast_id) await this.countInBroadcast(item.broadcast_id, now);
        }
        // A claim already held: an attempt is sending it now, or has.
        return { channel, cancelled, status: cancelled ? undefined : ('sending' as ChannelStatus) };
      }),
    );
    const considered = outcomes.filter((outcome) => outcome !== undefined);
    const stopped = considered.filter((outcome) => outcome.cancelled && !outcome.already).map(({ channel }) => channel);
    const notCancelled = Object.fromEntries(
      considered.flatMap((outcome) => (outcome.cancelled ? [] : [[outcome.channel, outcome.status]])),
    ) as Partial<Record<Channel, ChannelStatus>>;
    const everCancelled = considered.some((outcome) => outcome.cancelled);
    if (!everCancelled) {
      const states = Object.entries(notCancelled).map(([channel, status]) => `${channel}: ${status}`);
      throw new ApiError(
        409,
        'already_sent',
        `nothing is left to cancel: ${states.length > 0 ? states.join(', ') : 'it was sent on no channel'}`,
      );
    }
    const whole = Object.keys(notCancelled).length === 0;
    if (stopped.length > 0) await this.deps.notifications.recordCancelled(item.notification_id, now, whole);
    return {
      notification_id: item.notification_id,
      status: whole ? 'cancelled' : 'partly_cancelled',
      cancelled: considered.filter((outcome) => outcome.cancelled).map(({ channel }) => channel),
      not_cancelled: notCancelled,
    };
  }

  /**
   * A member of a digest that has not gone: left out of it, by one conditional write on the digest (the one its
   * dispatch makes conditional on what it read). One whose digest went out was sent in it.
   */
  private async cancelMember(item: NotificationItem, now: string): Promise<CancelledNotification> {
    if (item.status === 'digesting' || !item.digest_id)
      throw new ApiError(
        409,
        'digest_in_progress',
        'the notification is joining its digest; retry shortly',
        undefined,
        1,
      );
    if (!(await this.deps.digests.excludeMember(item.digest_id, item.notification_id)))
      throw new ApiError(409, 'already_sent', `nothing is left to cancel: it went out in digest ${item.digest_id}`);
    await this.deps.notifications.cancelDigested(item.notification_id, now);
    logger.info('digest member cancelled', { digest_id: item.digest_id });
    return {
      notification_id: item.notification_id,
      status: 'cancelled',
      cancelled: await this.channelsAskedFor(item),
      not_cancelled: {},
    };
  }

  /** The channels a scheduled notification would have been decided on: those asked for, else its template's. */
  private async channelsAskedFor(item: NotificationItem): Promise<Channel[]> {
    if (item.request?.channels) return [...item.request.channels];
    const template = await this.deps.templates.find(item.type);
    return template ? templateChannels(template) : [];
  }
}
