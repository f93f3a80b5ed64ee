import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import type { Channel } from '../../channels/registry.js';
import type { BroadcastOutcome } from '../adapters/broadcast-progress.js';
import { addressKeysOf, type ChannelQueues } from '../adapters/channel-queues.js';
import type { DeferredJobs } from '../adapters/deferred-jobs.js';
import type { DeliveryClaims } from '../adapters/delivery-claims.js';
import { NOTIFICATION_RETENTION_SECONDS, type NotificationsStore } from '../adapters/notifications-store.js';
import type { SuppressionList } from '../adapters/suppression-list.js';
import { type TemplatesStore, templateChannels } from '../adapters/templates-store.js';
import {
  addressesOf,
  preferencesOf,
  reachabilityOf,
  type UsersStore,
  unsubscribesOf,
} from '../adapters/users-store.js';
import { type CategoryCatalogue, categoryOf } from '../domain/categories.js';
import { resolveChannels } from '../domain/channel-resolution.js';
import type { ChannelState } from '../domain/notification.js';
import { delaySecondsUntil } from '../domain/quiet-hours.js';
import { retryDelaySeconds } from '../domain/retry-policy.js';
import { dueWithinLookahead, secondsUntil } from '../domain/schedule.js';
import { logger, metrics } from '../observability.js';
import { type ChannelJob, channelJobSchema } from '../schemas/channel-job.js';
import type { BroadcastWatch } from './broadcast-watch.js';
import type { ChannelDeliverer } from './channel-deliverer.js';

export interface WorkerDependencies {
  readonly deliverer: ChannelDeliverer;
  readonly users: Pick<UsersStore, 'findFresh'>;
  readonly templates: Pick<TemplatesStore, 'find'>;
  readonly notifications: Pick<NotificationsStore, 'recordChannelState'>;
  readonly claims: Pick<DeliveryClaims, 'claim' | 'complete' | 'release'>;
  readonly queues: Pick<ChannelQueues, 'send'>;
  /** Where a job waits that must wait beyond the dispatch lookahead (a long quiet-hours window). */
  readonly deferredJobs: Pick<DeferredJobs, 'setAside'>;
  readonly suppressions: Pick<SuppressionList, 'anySuppressed' | 'lookupKeysOf'>;
  readonly categories: CategoryCatalogue;
  /** A broadcast's job: whether the broadcast was cancelled, and its progress, counted. */
  readonly broadcasts: Pick<BroadcastWatch, 'cancelled' | 'countOutcome'>;
  /** Hides the record for this many seconds before SQS offers it again. */
  readonly retryLater: (record: SQSRecord, delaySeconds: number) => Promise<void>;
  /** Moves the record's job to the channel's DLQ, with the reason it was given up. */
  readonly deadLetter: (record: SQSRecord, reason: string) => Promise<void>;
  /** Receives after which a job that still fails is given up. */
  readonly deliveryAttempts: number;
  /** Backoff of the first retry; see retryDelaySeconds. */
  readonly retryBaseSeconds?: number;
  readonly clock?: () => Date;
  readonly random?: () => number;
}

/** A record the batch processor reports as failed: SQS offers it again after its visibility timeout. */
export class DeliveryDeferred extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'DeliveryDeferred';
  }
}

/**
 * Delivers one job, at least once and never twice: the job must be due, still wanted by the user, and
 * claimed for (notification, channel) before the provider is called. Resolves when the record is done
 * with (sent, failed for good, skipped, deferred again, or already delivered); throws to have it retried.
 */
export class ChannelWorker {
  private readonly channel: Channel;
  private readonly clock: () => Date;
  private readonly random: () => number;

  constructor(private readonly deps: WorkerDependencies) {
    this.channel = deps.deliverer.channel;
    this.clock = deps.clock ?? (() => new Date());
    this.random = deps.random ?? Math.random;
  }

  async handle(record: SQSRecord): Promise<void> {
    const job = this.parse(record);
    if (typeof job === 'string') {
      // No receive can make it a job: it goes to the DLQ at once, with why, instead of cycling to the redrive limit.
      await this.deps.deadLetter(record, `poison: ${job}`);
      return;
    }
    logger.appendKeys({ notification_id: job.notification_id, type: job.type, user_id: job.user_id });
    const now = this.clock();

    const expectedKeys = addressKeysOf(record);
    if (job.not_before && new Date(job.not_before) > now) {
      await this.sendBack(job, new Date(job.not_before), now, expectedKeys);
      return;
    }

    // The claim is taken while the user and the template are read, and the suppression list is read for the
    // address ingest sent the job to (its keys ride with the job): one round trip before the provider is called,
    // not two or three. A job that turns out skipped or deferred gives its claim back or completes it.
    const [user, template, claim, expectedSuppressed, broadcastCancelled] = await Promise.all([
      this.deps.users.findFresh(job.user_id),
      this.deps.templates.find(job.type),
      this.deps.claims.claim(job.notification_id, this.channel, expiresAt(job)),
      expectedKeys ? this.deps.suppressions.anySuppressed(expectedKeys) : undefined,
      job.broadcast_id ? this.deps.broadcasts.cancelled(job.broadcast_id) : false,
    ]);
    if (claim.outcome === 'completed') {
      logger.info('already done; acknowledging the duplicate');
      metrics.addMetric('DuplicateDeliveriesAvoided', MetricUnit.Count, 1);
      return;
    }
    if (claim.outcome === 'cancelled') {
      // The producer took it back before any attempt sent it: the cancel's conditional write on the claim decided.
      logger.info('cancelled before it was sent');
      metrics.addMetric('CancelledBeforeSending', MetricUnit.Count, 1);
      await this.record(job, { status: 'cancelled' }).catch((error: Error) => {
        logger.warn('cancelled, but the status could not be recorded', { error: error.name });
      });
      return;
    }
    if (claim.outcome === 'held_by_another') {
      // Another worker is sending it right now, or died doing so: look again when its lease has run out.
      const wait = Math.max(1, Math.ceil((claim.leaseUntil - now.getTime()) / 1000));
      await this.deps.retryLater(record, wait);
      throw new DeliveryDeferred('claimed by another attempt');
    }
    const { token } = claim;
    if (broadcastCancelled) {
      // The producer cancelled the broadcast: every recipient's job not sent yet stops here.
      await this.finish(job, token, { status: 'cancelled' });
      return;
    }
    if (!template) {
      await this.finish(job, token, { status: 'failed', reason: 'template_missing' });
      return;
    }
    // The user may have opted out, lost a contact or entered quiet hours since the job was queued.
    const decision = resolveChannels({
      requested: [this.channel],
      templateChannels: templateChannels(template),
      critical: job.critical,
      category: categoryOf(template, this.deps.categories),
      catalogue: this.deps.categories,
      unsubscribed: unsubscribesOf(user),
      preferences: preferencesOf(user),
      reachability: reachabilityOf(user),
      now,
    })[this.channel];
    if (decision?.status === 'skipped') {
      await this.finish(job, token, { status: 'skipped', reason: decision.reason });
      return;
    }
    // An address suppressed since the job was queued (a bounce, a complaint) is not sent to. The read made beside the
    // claim answers for the address the user still has; an address changed since ingest is read now.
    const address = addressesOf(user)[this.channel];
    const keys = address ? await this.deps.suppressions.lookupKeysOf(this.channel, address) : undefined;
    const suppressed =
      keys === undefined
        ? false
        : keys.join(',') === expectedKeys?.join(',')
          ? expectedSuppressed
          : await this.deps.suppressions.anySuppressed(keys);
    if (suppressed) {
      await this.finish(job, token, { status: 'skipped', reason: 'suppressed' });
      metrics.addMetric('SuppressedSkips', MetricUnit.Count, 1);
      return;
    }
    if (decision?.status === 'deferred') {
      await this.deps.claims.release(job.notification_id, this.channel, token);
      await this.record(job, { status: 'deferred', not_before: decision.notBefore.toISOString() });
      await this.sendBack({ ...job, not_before: decision.notBefore.toISOString() }, decision.notBefore, now, keys);
      return;
    }

    const result = await this.deps.deliverer.deliver(job, user ?? { user_id: job.user_id }, template);
    if (result.kind === 'sent') {
      await this.finish(job, token, {
        status: 'sent',
        provider_message_id: result.providerMessageId,
        ...(result.locale ? { locale: result.locale } : {}),
      });
      metrics.addMetric('Delivered', MetricUnit.Count, 1);
      return;
    }
    if (result.kind === 'permanent') {
      await this.finish(job, token, { status: 'failed', reason: result.reason });
      logger.warn('delivery failed for good', { reason: result.reason });
      metrics.addMetric('PermanentFailures', MetricUnit.Count, 1);
      return;
    }

    await this.deps.claims.release(job.notification_id, this.channel, token).catch((error: Error) => {
      logger.warn('could not release the claim; it expires by itself', { error: error.name });
    });
    const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
    metrics.addMetric('TransientFailures', MetricUnit.Count, 1);
    if (receiveCount >= this.deps.deliveryAttempts) {
      // Given up: the status says why, then the job rests in the DLQ for a redrive. In that order, so that a job
      // in the DLQ always has its reason; a failed move leaves the record to be retried.
      const reason = `dead_lettered_after_${receiveCount}_attempts:${result.reason}`;
      await this.record(job, { status: 'failed', reason });
      await this.deps.deadLetter(record, reason);
      if (job.broadcast_id) await this.deps.broadcasts.countOutcome(job.broadcast_id, 'failed', this.clock());
      logger.error('giving up: the job is moved to the dead-letter queue', { reason: result.reason, receiveCount });
      metrics.addMetric('DeadLettered', MetricUnit.Count, 1);
      return;
    }
    const delay = retryDelaySeconds(receiveCount, this.random, result.retryAfterSeconds, this.deps.retryBaseSeconds);
    logger.warn('delivery failed; retrying later', { reason: result.reason, receiveCount, delaySeconds: delay });
    await this.deps.retryLater(record, delay);
    throw new DeliveryDeferred(result.reason);
  }

  /** The job, or why the body is not one of this channel's jobs. */
  private parse(record: SQSRecord): ChannelJob | string {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      return this.poison(record, 'the body is not JSON');
    }
    const parsed = channelJobSchema.safeParse(body);
    if (!parsed.success) {
      return this.poison(
        record,
        `not a channel job: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`,
      );
    }
    if (parsed.data.channel !== this.channel)
      return this.poison(record, `a ${parsed.data.channel} job on the ${this.channel} queue`);
    return parsed.data;
  }

  private poison(record: SQSRecord, reason: string): string {
    logger.error('poison message', {
      message_id: record.messageId,
      reason,
      receiveCount: record.attributes.ApproximateReceiveCount,
    });
    metrics.addMetric('PoisonMessages', MetricUnit.Count, 1);
    return reason;
  }

  /**
   * Not due yet: back on the queue for the rest of a short wait; a longer one is set aside in the due-time index, and
   * the scheduler puts it back on the queue when it falls due (domain/schedule.ts), instead of a hop every 15 minutes.
   */
  private async sendBack(job: ChannelJob, notBefore: Date, now: Date, addressKeys?: string[]): Promise<void> {
    if (!dueWithinLookahead(notBefore, now)) {
      await this.deps.deferredJobs.setAside(job, notBefore, addressKeys);
      logger.info('not due for a while; set aside until it is', { dueInSeconds: secondsUntil(notBefore, now) });
      return;
    }
    const delay = delaySecondsUntil(notBefore, now);
    await this.deps.queues.send(job, delay, addressKeys);
    logger.info('not due yet; sent back', { delaySeconds: delay });
  }

  /**
   * The job is done for good (sent, failed, skipped): the claim is completed and the status recorded, both at
   * once. Once the claim is completed no redelivery can act again; a status that could not be recorded is only
   * a stale status, so its failure does not fail the job. A claim that another attempt took over meanwhile (this
   * one outlived its lease) stays that attempt's to complete.
   */
  private async finish(job: ChannelJob, token: string, state: Omit<ChannelState, 'updated_at'>): Promise<void> {
    const [completed] = await Promise.all([
      this.deps.claims.complete(job.notification_id, this.channel, token),
      this.record(job, state).catch((error: Error) => {
        logger.warn('done, but the status could not be recorded', { status: state.status, error: error.name });
      }),
    ]);
    if (!completed) {
      logger.warn('done, but another attempt had taken the claim over', { status: state.status });
      metrics.addMetric('ClaimsTakenOver', MetricUnit.Count, 1);
      return;
    }
    // Counted by the attempt that completed the claim, so once.
    if (job.broadcast_id)
      await this.deps.broadcasts.countOutcome(job.broadcast_id, broadcastOutcome(state), this.clock());
  }

  private async record(job: ChannelJob, state: Omit<ChannelState, 'updated_at'>): Promise<void> {
    await this.deps.notifications.recordChannelState(job.notification_id, this.channel, {
      ...state,
      updated_at: this.clock().toISOString(),
    });
  }
}

/** What a job done for good counts as in its broadcast's progress. */
function broadcastOutcome(state: Omit<ChannelState, 'updated_at'>): BroadcastOutcome {
  if (state.status === 'sent' || state.status === 'cancelled') return state.status;
  if (state.status === 'skipped') return { skipped: state.reason ?? 'unknown' };
  return 'failed';
}

/** Claims live as long as the notification's record. */
function expiresAt(job: ChannelJob): number {
  return Math.floor(new Date(job.accepted_at).getTime() / 1000) + NOTIFICATION_RETENTION_SECONDS;
}
