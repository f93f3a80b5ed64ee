import type { Channel } from '../channels/registry.js';
import type { DeferredJobs } from '../shared/adapters/deferred-jobs.js';
import type { FanOutQueue } from '../shared/adapters/fan-out-queue.js';
import type { NotificationItem, NotificationsStore } from '../shared/adapters/notifications-store.js';
import type { TemplatesStore } from '../shared/adapters/templates-store.js';
import {
  ChannelDispatch,
  type DispatchDependencies,
  type DispatchRequest,
  jobsFor,
} from '../shared/dispatch/channel-dispatch.js';
import type { DigestCollector } from '../shared/dispatch/digest-collector.js';
import { mustArrive } from '../shared/domain/categories.js';
import { digestPayload } from '../shared/domain/digest.js';
import { delaySecondsUntil } from '../shared/domain/quiet-hours.js';
import { secondsUntil } from '../shared/domain/schedule.js';
import { logger } from '../shared/observability.js';

export interface ScheduledDispatchDependencies extends DispatchDependencies {
  readonly templates: Pick<TemplatesStore, 'find'>;
  readonly notifications: Pick<
    NotificationsStore,
    | 'find'
    | 'markDispatched'
    | 'markJobsQueued'
    | 'cancelScheduled'
    | 'recordEnqueueOutcome'
    | 'startDigesting'
    | 'markDigested'
  >;
  /** Where a scheduled notification of a digest type goes at its time. */
  readonly digests: Pick<DigestCollector, 'collect'>;
  /** Where a scheduled broadcast's fan-out starts, at its time. */
  readonly fanOutQueue: Pick<FanOutQueue, 'start'>;
  /** Channel jobs set aside for a long quiet-hours wait, put back on their queues when due. */
  readonly deferredJobs: Pick<DeferredJobs, 'find'>;
  readonly clock?: () => Date;
}

/** Attempts at a digest's dispatch while members keep joining it: each join is progress, never a loop. */
const DIGEST_ATTEMPTS = 10;

/**
 * What became of one firing: `dispatched` (decided and queued now), `requeued` (this message's own earlier attempt
 * had recorded the dispatch and not finished queuing), `not_due` (early: it waits `waitSeconds` more), or nothing to
 * do: `cancelled`, `duplicate` (another firing dispatched it), `missing` (no such record).
 */
export type DispatchOutcome =
  | {
      readonly outcome: 'dispatched' | 'requeued' | 'cancelled' | 'duplicate' | 'missing' | 'digested' | 'released';
    }
  | { readonly outcome: 'not_due'; readonly waitSeconds: number };

/**
 * Dispatches a scheduled notification when its time has come, through the one dispatch step (ChannelDispatch), the
 * person's preferences, consent, suppression and quiet hours decided now. Exactly once however often the scheduler
 * fires: the decision is recorded by one conditional write on the record's `scheduled` status, naming the message
 * that made it; a cancel makes the other write on the same condition, so either it is cancelled or it goes out.
 */
export class ScheduledDispatch {
  private readonly clock: () => Date;
  private readonly dispatch: ChannelDispatch;

  constructor(private readonly deps: ScheduledDispatchDependencies) {
    this.clock = deps.clock ?? (() => new Date());
    this.dispatch = new ChannelDispatch(deps);
  }

  /** `messageId` names the firing: SQS keeps a message's id across its redeliveries. */
  async fire(notificationId: string, messageId: string): Promise<DispatchOutcome> {
    for (let attempt = 0; attempt < DIGEST_ATTEMPTS; attempt++) {
      const item = await this.deps.notifications.find(notificationId);
      if (!item) return { outcome: 'missing' };
      if (item.status === 'digesting') return this.joinDigest(item);
      if (item.status !== 'scheduled') return this.afterDispatch(item, messageId);
      const now = this.clock();
      // A full digest goes at once, whatever its window says.
      const full = item.kind === 'digest' && (item.member_count ?? 0) >= (item.max_items ?? Number.POSITIVE_INFINITY);
      const wait = item.send_at && !full ? secondsUntil(new Date(item.send_at), now) : 0;
      if (wait > 0) return { outcome: 'not_due', waitSeconds: wait };
      if (item.kind === 'broadcast') {
        // Its recipients are decided by the fan-out, each at their turn: the same write starts it, once.
        const started = await this.deps.notifications.markDispatched(notificationId, {
          status: 'fanning_out',
          channels: {},
          dispatchedBy: messageId,
          at: now.toISOString(),
        });
        if (!started) continue;
        return this.startFanOut(notificationId);
      }

      const request = requestOf(item);
      const template = request ? await this.deps.templates.find(item.type) : undefined;
      if (!request || !template) {
        // The person was erased meanwhile (their record keeps no request), or the type lost its template.
        const reason = request ? 'template_missing' : 'recipient_erased';
        const cancelled = await this.deps.notifications.cancelScheduled(notificationId, now.toISOString(), reason);
        logger.info('scheduled notification cannot go out', { reason });
        return cancelled ? { outcome: 'cancelled' } : this.afterDispatch(await this.reread(notificationId), messageId);
      }
      if (item.kind !== 'digest' && template.digest && !mustArrive(template, this.deps.categories)) {
        // A member of a digest type, due now: it joins its person's digest rather than going alone.
        if (!(await this.deps.notifications.startDigesting(notificationId))) continue;
        return this.joinDigest({ ...item, status: 'digesting' });
      }
      const payload = item.kind === 'digest' ? digestPayloadOf(item) : request.payload;
      if (item.kind === 'digest' && payload.count === 0) {
        await this.deps.notifications.cancelScheduled(notificationId, now.toISOString(), 'every_member_cancelled');
        continue;
      }
      const user = await this.deps.users.findFresh(request.user_id);
      const plan = await this.dispatch.plan(item, { ...request, payload }, template, user, now);
      const won = await this.deps.notifications.markDispatched(notificationId, {
        status: plan.answer.status,
        channels: plan.channels,
        dispatchedBy: messageId,
        at: now.toISOString(),
        ...(item.kind === 'digest' ? { digestVersion: item.digest_version } : {}),
      });
      if (!won) {
        // Cancelled, dispatched by another firing, or a digest whose members changed since it was read: this plan is
        // not carried out, and the frequency-cap slots it took go back.
        await this.dispatch.giveBack(plan, request.user_id);
        continue;
      }
      await this.dispatch.enqueue(notificationId, plan.jobs, undefined, 'the dispatch queue retries');
      // Every job is on its queue: a later firing of the same message (SQS delivers at least once) has nothing to do.
      await this.deps.notifications.markJobsQueued(notificationId).catch((error: Error) => {
        logger.warn('could not record that the jobs are queued; a redelivery queues them again', { error: error.name });
      });
      return { outcome: 'dispatched' };
    }
    throw new Error('a digest kept changing while it was dispatched; the dispatch queue retries');
  }

  /**
   * A channel job set aside until the end of a long quiet-hours window, due now: back on its channel's queue, whose
   * worker decides it again (and sends it once, by its claim, however often this fires).
   */
  async release(notificationId: string, channel: Channel): Promise<DispatchOutcome> {
    const deferred = await this.deps.deferredJobs.find(notificationId, channel);
    if (!deferred) return { outcome: 'missing' };
    const notBefore = deferred.job.not_before ? new Date(deferred.job.not_before) : this.clock();
    await this.deps.queues.send(deferred.job, delaySecondsUntil(notBefore, this.clock()), deferred.addressKeys);
    return { outcome: 'released' };
  }

  /** A scheduled member of a digest type, at its time (or again, after a firing that died half-way). */
  private async joinDigest(item: NotificationItem): Promise<DispatchOutcome> {
    const template = await this.deps.templates.find(item.type);
    const request = requestOf(item);
    if (!template?.digest || !request) throw new Error('a digest member without its digest');
    const digestId = await this.deps.digests.collect(
      { ...item, user_id: request.user_id, request },
      template.digest,
      'the dispatch queue retries',
    );
    await this.deps.notifications.markDigested(item.notification_id, digestId);
    return { outcome: 'digested' };
  }

  /** A record no longer scheduled: cancelled, dispatched by another firing, or by this one before a failure. */
  private async afterDispatch(item: NotificationItem, messageId: string): Promise<DispatchOutcome> {
    if (item.status === 'cancelled') return { outcome: 'cancelled' };
    if (item.dispatched_by !== messageId || item.jobs_queued_at !== undefined) return { outcome: 'duplicate' };
    if (item.kind === 'broadcast') return this.startFanOut(item.notification_id, 'requeued');
    const recorded = requestOf(item);
    if (!recorded) return { outcome: 'cancelled' };
    const request = item.kind === 'digest' ? { ...recorded, payload: digestPayloadOf(item) } : recorded;
    // This firing recorded the dispatch and then failed to queue every job: queue those not known to be on their
    // queue, the refused ones (recorded as failed) included; their worker decides quiet hours again. A job queued
    // twice is sent once: the workers' delivery claims.
    const channels = Object.fromEntries(
      Object.entries(item.channels).map(([channel, state]) => [
        channel,
        state?.status === 'failed' && state.reason === 'enqueue_failed' ? { status: 'queued' } : state,
      ]),
    );
    const jobs = jobsFor(item, request, channels, this.clock()).filter(
      ({ job }) => item.channels[job.channel]?.enqueued_at === undefined,
    );
    await this.dispatch.enqueue(item.notification_id, jobs, item, 'the dispatch queue retries');
    return { outcome: 'requeued' };
  }

  /** A broadcast's first chunk onto the fan-out queue; the fan-out counts a chunk started twice once. */
  private async startFanOut(
    broadcastId: string,
    outcome: 'dispatched' | 'requeued' = 'dispatched',
  ): Promise<DispatchOutcome> {
    await this.deps.fanOutQueue.start(broadcastId);
    await this.deps.notifications.markJobsQueued(broadcastId).catch((error: Error) => {
      logger.warn('could not record that the fan-out started; a redelivery starts it again', { error: error.name });
    });
    return { outcome };
  }

  private async reread(notificationId: string): Promise<NotificationItem> {
    const item = await this.deps.notifications.find(notificationId);
    if (!item) throw new Error('a scheduled notification vanished while it was dispatched');
    return item;
  }
}

/** What a digest renders with: its members' payloads, less those cancelled, oldest first. */
function digestPayloadOf(item: NotificationItem): { items: Record<string, unknown>[]; count: number } {
  return digestPayload(item.members ?? [], item.cancelled_members ?? new Set());
}

/** What a scheduled record asks for, or undefined when its person was erased. */
function requestOf(item: NotificationItem): DispatchRequest | undefined {
  if (!item.user_id || !item.request) return undefined;
  return { user_id: item.user_id, ...item.request };
}
