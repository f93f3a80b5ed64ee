import type { Channel } from '../channels/registry.js';
import type { ChannelQueues } from '../shared/adapters/channel-queues.js';
import type { IdempotencyItem, IdempotencyKeys } from '../shared/adapters/idempotency-keys.js';
import {
  NOTIFICATION_RETENTION_SECONDS,
  type NotificationItem,
  type NotificationsStore,
} from '../shared/adapters/notifications-store.js';
import type { SuppressionList } from '../shared/adapters/suppression-list.js';
import { type TemplatesStore, templateChannels } from '../shared/adapters/templates-store.js';
import {
  addressesOf,
  preferencesOf,
  reachabilityOf,
  type UserItem,
  type UsersStore,
  unsubscribesOf,
} from '../shared/adapters/users-store.js';
import { type CategoryCatalogue, categoryOf } from '../shared/domain/categories.js';
import {
  type ChannelDecision,
  channelsToSend,
  notificationStatus,
  resolveChannels,
  type SkipReason,
  withSuppressions,
} from '../shared/domain/channel-resolution.js';
import { type AcceptedNotification, type ChannelState, channelStateOf } from '../shared/domain/notification.js';
import type { Producer } from '../shared/domain/producer.js';
import { delaySecondsUntil } from '../shared/domain/quiet-hours.js';
import { requestFingerprint } from '../shared/domain/request-fingerprint.js';
import { ApiError } from '../shared/http/api-error.js';
import { logger } from '../shared/observability.js';
import { OPERATIONS } from '../shared/platform/operations.js';
import type { ChannelJob } from '../shared/schemas/channel-job.js';
import type { NotificationRequest } from '../shared/schemas/notification-request.js';

/** How long a request holds its Idempotency-Key before a retry may take the work over: past the function's timeout. */
export const IDEMPOTENCY_LEASE_MS = 15_000;
const DUPLICATE_WAIT = { attempts: 15, intervalMs: 200 };
/** Skips that the user item decides, and that a stale read of it could decide wrongly. */
const USER_DECIDED: ReadonlySet<SkipReason> = new Set([
  'opted_out',
  'category_opted_out',
  'unsubscribed',
  'no_contact',
]);

export interface IntakeDependencies {
  readonly users: Pick<UsersStore, 'find' | 'findFresh'>;
  readonly templates: Pick<TemplatesStore, 'find'>;
  readonly notifications: Pick<NotificationsStore, 'create' | 'find' | 'recordEnqueueOutcome'>;
  readonly idempotencyKeys: Pick<
    IdempotencyKeys,
    'reserveWhileCreating' | 'findReservation' | 'takeOver' | 'complete' | 'release'
  >;
  readonly queues: Pick<ChannelQueues, 'send'>;
  readonly suppressions: Pick<SuppressionList, 'screen'>;
  readonly categories: CategoryCatalogue;
  readonly clock?: () => Date;
  readonly newId?: () => string;
  /** How long a concurrent duplicate waits for the first request before answering 409. */
  readonly duplicateWait?: { readonly attempts: number; readonly intervalMs: number };
}

interface Submission {
  readonly request: NotificationRequest;
  readonly producer: Producer;
  readonly idempotencyKey?: string;
}

/**
 * Accepts a producer's notification: decides each channel from the user's preferences, records it, and
 * puts one job per channel on that channel's queue. "queued" is answered only when SQS took every job;
 * with an Idempotency-Key, a retry replays the first answer or finishes what a failed attempt left undone.
 */
export class NotificationIntake {
  private readonly clock: () => Date;
  private readonly newId: () => string;
  private readonly duplicateWait: { readonly attempts: number; readonly intervalMs: number };

  constructor(private readonly deps: IntakeDependencies) {
    this.clock = deps.clock ?? (() => new Date());
    this.newId = deps.newId ?? (() => crypto.randomUUID());
    this.duplicateWait = deps.duplicateWait ?? DUPLICATE_WAIT;
  }

  async accept(submission: Submission): Promise<AcceptedNotification> {
    const { request, producer, idempotencyKey } = submission;
    const [user, template] = await Promise.all([
      this.deps.users.find(request.user_id),
      this.deps.templates.find(request.type),
    ]);
    if (!template) {
      throw new ApiError(422, 'unknown_type', `no template is saved for type "${request.type}"`, [
        { field: 'type', message: `has no template; save one with PUT /v1${OPERATIONS.putTemplate.path}` },
      ]);
    }

    const now = this.clock();
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
      Object.values(decisions).some((decision) => decision?.status === 'skipped' && USER_DECIDED.has(decision.reason))
    ) {
      decidedOn = await this.deps.users.findFresh(request.user_id);
      decisions = decide(decidedOn);
    }
    const screened = await this.withoutSuppressed(decisions, decidedOn);
    decisions = screened.decisions;
    const notificationId = this.newId();
    logger.appendKeys({ notification_id: notificationId });
    const response = acceptedNotification(notificationId, decisions);
    const item: NotificationItem = {
      notification_id: notificationId,
      user_id: request.user_id,
      type: request.type,
      producer: producer.name,
      critical: template.critical,
      created_at: now.toISOString(),
      channels: Object.fromEntries(
        Object.entries(decisions).map(([channel, decision]) => [channel, channelStateOf(decision, now)]),
      ),
      expires_at: Math.floor(now.getTime() / 1000) + NOTIFICATION_RETENTION_SECONDS,
    };
    const jobs = jobsFor(item, request, response, now, screened.addressKeys);

    if (!idempotencyKey) {
      await this.deps.notifications.create(item);
      await this.enqueue(notificationId, jobs, undefined, 'retry with an Idempotency-Key to make retries safe');
      return response;
    }

    const fingerprint = requestFingerprint(request);
    const reservation = await this.deps.idempotencyKeys.reserveWhileCreating(item, {
      producer: producer.name,
      key: idempotencyKey,
      fingerprint,
      response,
      leaseUntil: now.getTime() + IDEMPOTENCY_LEASE_MS,
    });
    if (!reservation.reserved) {
      logger.appendKeys({ notification_id: reservation.existing.notification_id });
      return this.replay(submission, fingerprint, reservation.existing);
    }
    await this.enqueueUnderKey(submission, notificationId, jobs);
    return response;
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

  /** A request under a key already used: the first answer, the rest of its work, or a refusal. */
  private async replay(
    submission: Submission,
    fingerprint: string,
    first: IdempotencyItem,
  ): Promise<AcceptedNotification> {
    const { producer, idempotencyKey = '' } = submission;
    if (first.fingerprint !== fingerprint) {
      throw new ApiError(
        409,
        'idempotency_key_reused',
        'this Idempotency-Key was used in the last 24 hours for a different request',
        [{ field: 'Idempotency-Key', message: 'was used for a different request; use a new key' }],
      );
    }
    let reservation: IdempotencyItem | undefined = first;
    for (let attempt = 0; attempt <= this.duplicateWait.attempts && reservation; attempt++) {
      if (reservation.state === 'completed') return reservation.response;
      if (reservation.lease_until <= this.clock().getTime()) {
        const leaseUntil = this.clock().getTime() + IDEMPOTENCY_LEASE_MS;
        if (await this.deps.idempotencyKeys.takeOver(producer.name, idempotencyKey, reservation, leaseUntil)) {
          return this.resume(submission, reservation);
        }
      }
      // The first request (or another retry) is still at work: give it a moment to finish.
      await new Promise((resolve) => setTimeout(resolve, this.duplicateWait.intervalMs));
      reservation = await this.deps.idempotencyKeys.findReservation(producer.name, idempotencyKey);
    }
    throw new ApiError(
      409,
      'idempotency_key_in_use',
      'a request with this Idempotency-Key is still being processed; retry shortly',
      undefined,
      1,
    );
  }

  /** Sends the jobs a failed or dead attempt did not get onto their queues, then completes the reservation. */
  private async resume(submission: Submission, reservation: IdempotencyItem): Promise<AcceptedNotification> {
    const item = await this.deps.notifications.find(reservation.notification_id);
    if (!item) throw new Error('an idempotency key reservation points at a notification that does not exist');
    logger.info('resuming an unfinished notification');
    const pending = jobsFor(item, submission.request, reservation.response, this.clock()).filter(
      ({ job }) => item.channels[job.channel]?.enqueued_at === undefined,
    );
    await this.enqueueUnderKey(submission, item.notification_id, pending, item);
    return reservation.response;
  }

  /** Queues the jobs of a request that holds its key's reservation, then completes or releases the reservation. */
  private async enqueueUnderKey(
    submission: Submission,
    notificationId: string,
    jobs: readonly QueuedJob[],
    previous?: NotificationItem,
  ): Promise<void> {
    const { producer, idempotencyKey = '' } = submission;
    try {
      await this.enqueue(notificationId, jobs, previous, 'retry with the same Idempotency-Key to finish');
    } catch (error) {
      await this.deps.idempotencyKeys.release(producer.name, idempotencyKey).catch((releaseError: Error) => {
        // The lease then runs out by itself; the retry just waits for it.
        logger.warn('could not release the idempotency key reservation', { error: releaseError.name });
      });
      throw error;
    }
    try {
      await this.deps.idempotencyKeys.complete(producer.name, idempotencyKey);
    } catch (error) {
      // Every job is queued, so the answer is true. A retry after the lease would queue the jobs again,
      // and the workers' delivery claims keep those from being sent twice.
      logger.warn('could not mark the idempotency key reservation completed', { error: (error as Error).name });
    }
  }

  /**
   * Puts the jobs on their queues in parallel. When SQS refuses any, records which went through and which
   * did not, and answers 503: the producer's retry (same Idempotency-Key) sends only the missing ones.
   */
  private async enqueue(
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
}

interface QueuedJob {
  readonly job: ChannelJob;
  readonly delaySeconds: number;
  readonly decided: ChannelState;
  /** The suppression keys of the address the channel was decided on, when they are known (not on a resume). */
  readonly addressKeys?: readonly string[];
}

function acceptedNotification(
  notificationId: string,
  decisions: Partial<Record<Channel, ChannelDecision>>,
): AcceptedNotification {
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

/** One job per channel the answer queued or deferred, built the same way on the first attempt and on a resume. */
function jobsFor(
  item: NotificationItem,
  request: NotificationRequest,
  response: AcceptedNotification,
  now: Date,
  addressKeys: Partial<Record<Channel, readonly string[]>> = {},
): QueuedJob[] {
  const jobs: QueuedJob[] = [];
  for (const [channel, answer] of Object.entries(response.channels) as [
    Channel,
    AcceptedNotification['channels'][Channel],
  ][]) {
    if (!answer || answer.status === 'skipped') continue;
    const job: ChannelJob = {
      notification_id: item.notification_id,
      channel,
      user_id: request.user_id,
      type: item.type,
      producer: item.producer,
      critical: item.critical,
      payload: request.payload,
      accepted_at: item.created_at,
      not_before: answer.not_before,
    };
    const decided: ChannelState = { ...answer, updated_at: now.toISOString() } as ChannelState;
    const keys = addressKeys[channel];
    jobs.push({
      job,
      delaySeconds: answer.not_before ? delaySecondsUntil(new Date(answer.not_before), now) : 0,
      decided,
      ...(keys ? { addressKeys: keys } : {}),
    });
  }
  return jobs;
}
