import type { Channel } from '../../channels/registry.js';
import type { ChannelQueues } from '../adapters/channel-queues.js';
import type { FrequencyCounters } from '../adapters/frequency-counters.js';
import type { NotificationItem, NotificationsStore } from '../adapters/notifications-store.js';
import type { SuppressionList } from '../adapters/suppression-list.js';
import { type TemplateItem, templateChannels } from '../adapters/templates-store.js';
import {
  addressesOf,
  preferencesOf,
  reachabilityOf,
  type UserItem,
  type UsersStore,
  unsubscribesOf,
} from '../adapters/users-store.js';
import { type CategoryCatalogue, categoryOf } from '../domain/categories.js';
import {
  type ChannelDecision,
  channelsToSend,
  notificationStatus,
  resolveChannels,
  type SkipReason,
  withSuppressions,
} from '../domain/channel-resolution.js';
import { capsFor, type FrequencyCap } from '../domain/frequency-caps.js';
import { type AcceptedNotification, type ChannelState, channelStateOf } from '../domain/notification.js';
import { delaySecondsUntil } from '../domain/quiet-hours.js';
import { ApiError } from '../http/api-error.js';
import { logger } from '../observability.js';
import type { ChannelJob } from '../schemas/channel-job.js';
import type { NotificationRequest } from '../schemas/notification-request.js';

/** Skips that the user item decides, and that a stale read of it could decide wrongly. */
const USER_DECIDED: ReadonlySet<SkipReason> = new Set([
  'opted_out',
  'category_opted_out',
  'unsubscribed',
  'no_contact',
]);

export interface DispatchDependencies {
  readonly users: Pick<UsersStore, 'findFresh'>;
  readonly suppressions: Pick<SuppressionList, 'screen'>;
  readonly categories: CategoryCatalogue;
  readonly queues: Pick<ChannelQueues, 'send'>;
  readonly notifications: Pick<NotificationsStore, 'recordEnqueueOutcome'>;
  readonly frequencyCounters: Pick<FrequencyCounters, 'take' | 'giveBack'>;
}

/**
 * What a notification asks for, wherever it comes from: a request now, a scheduled one's stored request, or one
 * recipient of a broadcast.
 */
export type DispatchRequest = { readonly user_id: string } & Pick<NotificationRequest, 'payload' | 'channels'>;

/** The notification as recorded, which every job carries. */
export type DispatchedNotification = Pick<
  NotificationItem,
  'notification_id' | 'type' | 'producer' | 'critical' | 'created_at' | 'broadcast_id'
>;

/** A slot a plan took under a frequency cap: given back when the plan is not carried out. */
export interface TakenSlot {
  readonly channel: Channel;
  readonly cap: FrequencyCap;
  readonly at: number;
}

/** The decision for each channel, the answer and record it makes, and the jobs it queues. */
export interface DispatchPlan {
  readonly decisions: Partial<Record<Channel, ChannelDecision>>;
  /** The frequency-cap slots it took (withinCaps), for giveBack when its record is not written. */
  readonly slots: readonly TakenSlot[];
  readonly answer: AcceptedNotification & { readonly status: 'queued' | 'suppressed' };
  readonly channels: NotificationItem['channels'];
  readonly jobs: readonly QueuedJob[];
}

export interface QueuedJob {
  readonly job: ChannelJob;
  readonly delaySeconds: number;
  readonly decided: ChannelState;
  /** The suppression keys of the address the channel was decided on, when they are known (not on a resume). */
  readonly addressKeys?: readonly string[];
}

/**
 * The one dispatch step: decides each channel (preferences, consent, contacts, suppression, quiet hours), gives the
 * record and the answer that decision makes, and queues one job per channel it sends on. Ingest uses it for a send due
 * now, the scheduler for one due later (scheduled, or a long deferral); there is no other implementation of the
 * decision. Recording is the caller's, because each records differently (a new item, with or without its
 * Idempotency-Key; a scheduled item's one conditional write), and always before the jobs are queued.
 */
export class ChannelDispatch {
  constructor(private readonly deps: DispatchDependencies) {}

  /**
   * Decides each channel for `request` at `now`, on `user` as first read (from the cache, on the hot path): a channel
   * skipped for what the user item says is confirmed on a consistent read first, unless `user` was read so.
   */
  async plan(
    notification: DispatchedNotification,
    request: DispatchRequest,
    template: TemplateItem,
    user: UserItem | undefined,
    now: Date,
    userRead: 'cached' | 'consistent' = 'cached',
  ): Promise<DispatchPlan> {
    const decide = (userItem: UserItem | undefined) =>
      resolveChannels({
        requested: request.channels,
        templateChannels: templateChannels(template),
        critical: template.critical,
        category: categoryOf(template, this.deps.categories),
        catalogue: this.deps.categories,
        unsubscribed: unsubscribesOf(userItem),
        preferences: preferencesOf(userItem),
        reachability: reachabilityOf(userItem),
        now,
      });
    let decidedOn = user;
    let decisions = decide(user);
    // The hot-path read may come from the cache (DAX, up to a minute old, misses included) or be eventually
    // consistent. A channel skipped for what the user item says (a contact set, a channel turned on a moment ago)
    // would be skipped for good, so that verdict is confirmed on a consistent read first.
    if (
      userRead === 'cached' &&
      Object.values(decisions).some((decision) => decision?.status === 'skipped' && USER_DECIDED.has(decision.reason))
    ) {
      decidedOn = await this.deps.users.findFresh(request.user_id);
      decisions = decide(decidedOn);
    }
    const screened = await this.withoutSuppressed(decisions, decidedOn);
    const capped = await this.withinCaps(screened.decisions, request.user_id, template, now);
    decisions = capped.decisions;
    const answer = acceptedNotification(notification.notification_id, decisions);
    const channels = Object.fromEntries(
      Object.entries(decisions).map(([channel, decision]) => [channel, channelStateOf(decision, now)]),
    );
    const jobs = jobsFor(notification, request, answer.channels, now, screened.addressKeys);
    return { decisions, slots: capped.slots, answer, channels, jobs };
  }

  /** Gives back the frequency-cap slots of a plan that will not be carried out (another firing recorded its own). */
  async giveBack(plan: Pick<DispatchPlan, 'slots'>, userId: string): Promise<void> {
    await Promise.all(
      plan.slots.map(({ channel, cap, at }) => this.deps.frequencyCounters.giveBack(userId, channel, cap, at)),
    );
  }

  /**
   * Puts the jobs on their queues in parallel. When SQS refuses any, records which went through and which did not,
   * and answers 503: a retry sends only the missing ones.
   */
  async enqueue(
    notificationId: string,
    jobs: readonly QueuedJob[],
    previous: NotificationItem | undefined,
    retryAdvice: string,
  ): Promise<void> {
    const results = await Promise.allSettled(
      jobs.map(({ job, delaySeconds, addressKeys }) => this.deps.queues.send(job, delaySeconds, addressKeys)),
    );
    const refused = jobs.filter((_, index) => results[index]?.status === 'rejected').map(({ job }) => job.channel);
    const resumed = previous !== undefined;
    if (refused.length === 0 && !resumed) return;

    const enqueued = jobs
      .filter((_, index) => results[index]?.status === 'fulfilled')
      .map(({ job, decided }) => ({
        channel: job.channel,
        restore: previous?.channels[job.channel]?.status === 'failed' ? decided : undefined,
      }));
    await this.deps.notifications.recordEnqueueOutcome(notificationId, { enqueued, refused }).catch((error: Error) => {
      logger.warn('could not record which jobs were queued', { error: error.name });
    });
    if (refused.length > 0) {
      const reasons = results.flatMap((result) =>
        result.status === 'rejected' ? [(result.reason as Error).name] : [],
      );
      logger.warn('SQS refused channel jobs', { refused, reasons });
      throw new ApiError(
        503,
        'enqueue_failed',
        `could not queue the ${refused.join(', ')} job; ${retryAdvice}`,
        undefined,
        1,
      );
    }
  }

  /**
   * Skips, as `throttled`, every channel it would send on that is over a frequency cap of the type's or its category's
   * (frequency-caps.ts); on the others, the message takes its slot under each cap. Nothing is read when no cap applies.
   */
  private async withinCaps(
    decisions: Partial<Record<Channel, ChannelDecision>>,
    userId: string,
    template: TemplateItem,
    now: Date,
  ): Promise<{ decisions: Partial<Record<Channel, ChannelDecision>>; slots: TakenSlot[] }> {
    const category = categoryOf(template, this.deps.categories);
    const caps = capsFor(template, category, this.deps.categories.categories[category]);
    if (caps.length === 0) return { decisions, slots: [] };
    const at = now.getTime();
    const slots: TakenSlot[] = [];
    const throttled = await Promise.all(
      channelsToSend(decisions).map(async (channel) => {
        const taken: typeof caps = [];
        for (const cap of caps) {
          if (!(await this.deps.frequencyCounters.take(userId, channel, cap, at))) {
            // Over one cap: the slots it took under the others go back, since it will not be sent.
            await Promise.all(taken.map((held) => this.deps.frequencyCounters.giveBack(userId, channel, held, at)));
            return channel;
          }
          taken.push(cap);
        }
        slots.push(...taken.map((cap) => ({ channel, cap, at })));
        return undefined;
      }),
    );
    const over = new Set(throttled.filter((channel) => channel !== undefined));
    if (over.size > 0) logger.info('over a frequency cap', { channels: [...over] });
    const capped = Object.fromEntries(
      Object.entries(decisions).map(([channel, decision]) => [
        channel,
        over.has(channel as Channel) ? { status: 'skipped', reason: 'throttled' } : decision,
      ]),
    ) as Partial<Record<Channel, ChannelDecision>>;
    return { decisions: capped, slots };
  }

  /**
   * Skips, as `suppressed`, every channel it would send on whose address is on the suppression list (one read), and
   * answers the keys each address was looked up by, which its job carries to the worker.
   */
  private async withoutSuppressed(
    decisions: Partial<Record<Channel, ChannelDecision>>,
    user: UserItem | undefined,
  ): Promise<{
    decisions: Partial<Record<Channel, ChannelDecision>>;
    addressKeys: Partial<Record<Channel, string[]>>;
  }> {
    const addresses = addressesOf(user);
    const sending = Object.fromEntries(
      channelsToSend(decisions).flatMap((channel) => (addresses[channel] ? [[channel, addresses[channel]]] : [])),
    );
    if (Object.keys(sending).length === 0) return { decisions, addressKeys: {} };
    const { suppressed, keys } = await this.deps.suppressions.screen(sending);
    return { decisions: withSuppressions(decisions, suppressed), addressKeys: keys };
  }
}

function acceptedNotification(
  notificationId: string,
  decisions: Partial<Record<Channel, ChannelDecision>>,
): DispatchPlan['answer'] {
  const channels: AcceptedNotification['channels'] = {};
  for (const [channel, decision] of Object.entries(decisions) as [Channel, ChannelDecision][]) {
    channels[channel] =
      decision.status === 'skipped'
        ? { status: 'skipped', reason: decision.reason }
        : decision.status === 'deferred'
          ? { status: 'deferred', not_before: decision.notBefore.toISOString() }
          : { status: 'queued' };
  }
  return { notification_id: notificationId, status: notificationStatus(decisions), channels };
}

/**
 * One job per channel that was queued or deferred, built the same way on the first attempt and on a resume (from the
 * record's channels, or the first answer's).
 */
export function jobsFor(
  notification: DispatchedNotification,
  request: DispatchRequest,
  channels: Partial<Record<Channel, { readonly status: string; readonly not_before?: string }>>,
  now: Date,
  addressKeys: Partial<Record<Channel, readonly string[]>> = {},
): QueuedJob[] {
  const jobs: QueuedJob[] = [];
  for (const [channel, state] of Object.entries(channels) as [Channel, { status: string; not_before?: string }][]) {
    if (!state || (state.status !== 'queued' && state.status !== 'deferred')) continue;
    const job: ChannelJob = {
      notification_id: notification.notification_id,
      channel,
      user_id: request.user_id,
      type: notification.type,
      producer: notification.producer,
      critical: notification.critical,
      payload: request.payload,
      accepted_at: notification.created_at,
      not_before: state.not_before,
      ...(notification.broadcast_id ? { broadcast_id: notification.broadcast_id } : {}),
    };
    const decided = {
      status: state.status,
      ...(state.not_before ? { not_before: state.not_before } : {}),
      updated_at: now.toISOString(),
    } as ChannelState;
    const keys = addressKeys[channel];
    jobs.push({
      job,
      delaySeconds: state.not_before ? delaySecondsUntil(new Date(state.not_before), now) : 0,
      decided,
      ...(keys ? { addressKeys: keys } : {}),
    });
  }
  return jobs;
}
