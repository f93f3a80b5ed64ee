import type { DispatchQueue } from '../shared/adapters/dispatch-queue.js';
import type { FanOutQueue } from '../shared/adapters/fan-out-queue.js';
import type { IdempotencyItem, IdempotencyKeys } from '../shared/adapters/idempotency-keys.js';
import {
  dueIndexEntry,
  NOTIFICATION_RETENTION_SECONDS,
  type NotificationItem,
  type NotificationsStore,
} from '../shared/adapters/notifications-store.js';
import type { TemplateItem, TemplatesStore } from '../shared/adapters/templates-store.js';
import type { TopicsStore } from '../shared/adapters/topics-store.js';
import type { UsersStore } from '../shared/adapters/users-store.js';
import {
  ChannelDispatch,
  type DispatchDependencies,
  type DispatchPlan,
  jobsFor,
  type QueuedJob,
} from '../shared/dispatch/channel-dispatch.js';
import type { DigestCollector } from '../shared/dispatch/digest-collector.js';
import { ScheduleHandOff } from '../shared/dispatch/schedule-hand-off.js';
import { type CategoryCatalogue, categoryOf, mustArrive } from '../shared/domain/categories.js';
import type { AcceptedNotification } from '../shared/domain/notification.js';
import type { Producer } from '../shared/domain/producer.js';
import { requestFingerprint } from '../shared/domain/request-fingerprint.js';
import { DEFAULT_MAX_SCHEDULE_DAYS, scheduleProblem } from '../shared/domain/schedule.js';
import { mayManageTopic } from '../shared/domain/topic-ownership.js';
import { ApiError, invalidRequest } from '../shared/http/api-error.js';
import { notTopicOwner } from '../shared/http/producer.js';
import { logger } from '../shared/observability.js';
import { OPERATIONS } from '../shared/platform/operations.js';
import type { NotificationRequest } from '../shared/schemas/notification-request.js';

/** How long a request holds its Idempotency-Key before a retry may take the work over: past the function's timeout. */
export const IDEMPOTENCY_LEASE_MS = 15_000;
const DUPLICATE_WAIT = { attempts: 15, intervalMs: 200 };

export interface IntakeDependencies extends DispatchDependencies {
  readonly users: Pick<UsersStore, 'find' | 'findFresh'>;
  readonly templates: Pick<TemplatesStore, 'find'>;
  readonly notifications: Pick<
    NotificationsStore,
    'create' | 'find' | 'recordEnqueueOutcome' | 'enterDueIndex' | 'markDigested'
  >;
  readonly idempotencyKeys: Pick<
    IdempotencyKeys,
    'reserveWhileCreating' | 'findReservation' | 'takeOver' | 'complete' | 'release'
  >;
  /** Where a send due within the lookahead waits for its time (domain/schedule.ts). */
  readonly dispatchQueue: Pick<DispatchQueue, 'send'>;
  /** A broadcast's topic, whose owner alone may send to it. */
  readonly topics: Pick<TopicsStore, 'owner'>;
  /** Where a broadcast's fan-out starts (lambdas/broadcast/). */
  readonly fanOutQueue: Pick<FanOutQueue, 'start'>;
  /** Where a notification of a digest type goes instead of out (dispatch/digest-collector.ts). */
  readonly digests: Pick<DigestCollector, 'collect'>;
  /** How many days ahead send_at may be. */
  readonly maxScheduleDays?: number;
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
 * Accepts a producer's notification. One due now is dispatched at once (ChannelDispatch: decided, recorded, one job
 * per channel queued), and "queued" is answered only when SQS took every job. One with `send_at` is recorded as
 * `scheduled` and left to wait for its time (domain/schedule.ts), to be decided then. With an Idempotency-Key, a retry
 * replays the first answer or finishes what a failed attempt left undone.
 */
export class NotificationIntake {
  private readonly clock: () => Date;
  private readonly newId: () => string;
  private readonly duplicateWait: { readonly attempts: number; readonly intervalMs: number };
  private readonly dispatch: ChannelDispatch;
  private readonly handOff: ScheduleHandOff;

  constructor(private readonly deps: IntakeDependencies) {
    this.clock = deps.clock ?? (() => new Date());
    this.newId = deps.newId ?? (() => crypto.randomUUID());
    this.duplicateWait = deps.duplicateWait ?? DUPLICATE_WAIT;
    this.dispatch = new ChannelDispatch(deps);
    this.handOff = new ScheduleHandOff({ ...deps, clock: this.clock });
  }

  async accept(submission: Submission): Promise<AcceptedNotification> {
    const { request, producer } = submission;
    const now = this.clock();
    const sendAt = request.send_at === undefined ? undefined : new Date(request.send_at);
    if (sendAt) {
      const problem = scheduleProblem(sendAt, now, this.deps.maxScheduleDays ?? DEFAULT_MAX_SCHEDULE_DAYS);
      if (problem) throw invalidRequest([{ field: 'send_at', message: problem }]);
    }
    if (request.topic !== undefined) return this.acceptBroadcast(submission, request.topic, sendAt, now);
    const userId = request.user_id;
    if (userId === undefined) throw invalidRequest([{ field: 'user_id', message: 'give user_id or topic' }]);
    // A scheduled send is decided at its time, so only its template is read now (it must exist).
    const [user, template] = await Promise.all([
      sendAt ? undefined : this.deps.users.find(userId),
      this.deps.templates.find(request.type),
    ]);
    if (!template) throw unknownType(request.type);

    const notificationId = this.newId();
    logger.appendKeys({ notification_id: notificationId });
    const record: NotificationItem = {
      ...recordOf(notificationId, request, producer, template, now, this.deps.categories),
      user_id: userId,
    };
    const digest = mustArrive(template, this.deps.categories) ? undefined : template.digest;
    if (digest && !sendAt) {
      // It goes in its person's digest, which is dispatched when its window closes.
      const item: NotificationItem = { ...record, status: 'digesting', request: requestPart(request) };
      const answer: AcceptedNotification = { notification_id: notificationId, status: 'digested', channels: {} };
      return this.record(submission, item, answer, []);
    }
    if (sendAt) return this.recordScheduled(submission, record, sendAt, now);

    const plan = await this.dispatch.plan(record, { ...request, user_id: userId }, template, user, now);
    const item: NotificationItem = { ...record, status: plan.answer.status, channels: plan.channels };
    return this.record(submission, item, plan.answer, plan.jobs, plan);
  }

  /** Records the notification (with its key's reservation, when it has one), then queues its jobs or its dispatch. */
  private async record(
    submission: Submission,
    item: NotificationItem,
    answer: AcceptedNotification,
    jobs: readonly QueuedJob[],
    plan?: Pick<DispatchPlan, 'slots'>,
  ): Promise<AcceptedNotification> {
    const { request, producer, idempotencyKey } = submission;
    if (!idempotencyKey) {
      await this.deps.notifications.create(item);
      await this.queue(item, jobs, undefined, 'retry with an Idempotency-Key to make retries safe');
      return answer;
    }
    const fingerprint = requestFingerprint(request);
    const reservation = await this.deps.idempotencyKeys.reserveWhileCreating(item, {
      producer: producer.name,
      key: idempotencyKey,
      fingerprint,
      response: answer,
      leaseUntil: this.clock().getTime() + IDEMPOTENCY_LEASE_MS,
    });
    if (!reservation.reserved) {
      // A retry of a request made before: this one is not carried out, and its frequency-cap slots go back.
      if (plan && request.user_id) await this.dispatch.giveBack(plan, request.user_id);
      logger.appendKeys({ notification_id: reservation.existing.notification_id });
      return this.replay(submission, fingerprint, reservation.existing);
    }
    await this.queueUnderKey(submission, item, jobs);
    return answer;
  }

  /** The jobs of a notification dispatched now, or the dispatch of a scheduled one due within the lookahead. */
  private async queue(
    item: NotificationItem,
    jobs: readonly QueuedJob[],
    previous: NotificationItem | undefined,
    retryAdvice: string,
  ): Promise<void> {
    if (item.status === 'scheduled') return this.handOff.handOff(item, retryAdvice);
    if (item.status === 'fanning_out') return this.startFanOut(item.notification_id, retryAdvice);
    if (item.status === 'digesting') return this.joinDigest(item, retryAdvice);
    return this.dispatch.enqueue(item.notification_id, jobs, previous, retryAdvice);
  }

  /**
   * A broadcast to a topic the producer owns: recorded as `fanning_out` (or `scheduled`, to fan out at its time), the
   * answer given at once, its recipients dispatched by the fan-out (lambdas/broadcast/), each on their own choices.
   */
  private async acceptBroadcast(
    submission: Submission,
    topic: string,
    sendAt: Date | undefined,
    now: Date,
  ): Promise<AcceptedNotification> {
    const { request, producer } = submission;
    const [owner, template] = await Promise.all([
      this.deps.topics.owner(topic),
      this.deps.templates.find(request.type),
    ]);
    if (!template) throw unknownType(request.type);
    if (owner === undefined) {
      throw new ApiError(422, 'unknown_topic', `no one was ever subscribed to the topic "${topic}"`, [
        { field: 'topic', message: `has no subscribers; add them with PUT /v1${OPERATIONS.subscribeToTopic.path}` },
      ]);
    }
    if (!mayManageTopic(owner, producer)) throw notTopicOwner(topic);
    const notificationId = this.newId();
    logger.appendKeys({ notification_id: notificationId, topic });
    const record: NotificationItem = {
      ...recordOf(notificationId, request, producer, template, now, this.deps.categories),
      kind: 'broadcast',
      topic,
      request: requestPart(request),
    };
    if (sendAt) return this.recordScheduled(submission, record, sendAt, now);
    const answer: AcceptedNotification = { notification_id: notificationId, status: 'fanning_out', channels: {} };
    return this.record(submission, { ...record, status: 'fanning_out' }, answer, []);
  }

  /** A notification (or a broadcast) with `send_at`: recorded as `scheduled`, to be decided at its time. */
  private recordScheduled(
    submission: Submission,
    record: NotificationItem,
    sendAt: Date,
    now: Date,
  ): Promise<AcceptedNotification> {
    const item = { ...record, ...scheduledParts(record, submission.request, sendAt, now) };
    const answer: AcceptedNotification = {
      notification_id: record.notification_id,
      status: 'scheduled',
      send_at: item.send_at,
      channels: {},
    };
    return this.record(submission, item, answer, []);
  }

  /** A broadcast's first chunk onto the fan-out queue; a refusal is a 503, and a retry with its key starts it. */
  private async startFanOut(broadcastId: string, retryAdvice: string): Promise<void> {
    try {
      await this.deps.fanOutQueue.start(broadcastId);
    } catch (error) {
      logger.warn('SQS refused the fan-out', { error: (error as Error).name });
      throw new ApiError(503, 'enqueue_failed', `could not start the broadcast; ${retryAdvice}`, undefined, 1);
    }
  }

  /** A notification of a digest type joins its person's digest (or opens the next), then says which. */
  private async joinDigest(item: NotificationItem, retryAdvice: string): Promise<void> {
    const template = await this.deps.templates.find(item.type);
    if (!template?.digest || !item.user_id || !item.request) throw new Error('a digest member without its digest');
    const digestId = await this.deps.digests.collect(
      { ...item, user_id: item.user_id, request: item.request },
      template.digest,
      retryAdvice,
    );
    logger.appendKeys({ digest_id: digestId });
    // Cancelled meanwhile (it stays out of the digest, which leaves it out), or marked by an earlier attempt.
    await this.deps.notifications.markDigested(item.notification_id, digestId);
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

  /** Sends the jobs (or the dispatch) a failed or dead attempt did not get onto their queues, then completes. */
  private async resume(submission: Submission, reservation: IdempotencyItem): Promise<AcceptedNotification> {
    const item = await this.deps.notifications.find(reservation.notification_id);
    if (!item) throw new Error('an idempotency key reservation points at a notification that does not exist');
    logger.info('resuming an unfinished notification');
    const request = { ...submission.request, user_id: submission.request.user_id ?? '' };
    const pending = jobsFor(item, request, reservation.response.channels, this.clock()).filter(
      ({ job }) => item.channels[job.channel]?.enqueued_at === undefined,
    );
    await this.queueUnderKey(submission, item, pending, item);
    return reservation.response;
  }

  /** Queues the work of a request that holds its key's reservation, then completes or releases the reservation. */
  private async queueUnderKey(
    submission: Submission,
    item: NotificationItem,
    jobs: readonly QueuedJob[],
    previous?: NotificationItem,
  ): Promise<void> {
    const { producer, idempotencyKey = '' } = submission;
    try {
      await this.queue(item, jobs, previous, 'retry with the same Idempotency-Key to finish');
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
}

function unknownType(type: string): ApiError {
  return new ApiError(422, 'unknown_type', `no template is saved for type "${type}"`, [
    { field: 'type', message: `has no template; save one with PUT /v1${OPERATIONS.putTemplate.path}` },
  ]);
}

/** What every record of a notification holds, before its channels are decided (and its person, if it has one). */
function recordOf(
  notificationId: string,
  request: NotificationRequest,
  producer: Producer,
  template: TemplateItem,
  now: Date,
  categories: CategoryCatalogue,
): NotificationItem {
  return {
    notification_id: notificationId,
    type: request.type,
    producer: producer.name,
    critical: template.critical,
    category: categoryOf(template, categories),
    created_at: now.toISOString(),
    channels: {},
    expires_at: Math.floor(now.getTime() / 1000) + NOTIFICATION_RETENTION_SECONDS,
    ...(request.cancel_key ? { cancel_key: request.cancel_key } : {}),
  };
}

/**
 * What a scheduled record adds: its time, what it asks for (decided at that time), its place in the due-time index
 * when it is due beyond the lookahead, and a retention counted from its time rather than from now.
 */
function scheduledParts(
  record: NotificationItem,
  request: NotificationRequest,
  sendAt: Date,
  now: Date,
): Partial<NotificationItem> {
  return {
    status: 'scheduled',
    send_at: sendAt.toISOString(),
    request: requestPart(request),
    ...dueIndexEntry(record.notification_id, sendAt, now),
    expires_at: Math.floor(sendAt.getTime() / 1000) + NOTIFICATION_RETENTION_SECONDS,
  };
}

/** What a record keeps of the request to decide it later: its payload and the channels asked for. */
function requestPart(request: NotificationRequest): NonNullable<NotificationItem['request']> {
  return { payload: request.payload, ...(request.channels ? { channels: request.channels } : {}) };
}
