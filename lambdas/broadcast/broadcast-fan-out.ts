import type { BroadcastProgressStore, FanOutState } from '../shared/adapters/broadcast-progress.js';
import type { FanOutMessage, FanOutQueue } from '../shared/adapters/fan-out-queue.js';
import {
  NOTIFICATION_RETENTION_SECONDS,
  type NotificationItem,
  type NotificationsStore,
} from '../shared/adapters/notifications-store.js';
import type { TemplatesStore } from '../shared/adapters/templates-store.js';
import type { TopicsStore } from '../shared/adapters/topics-store.js';
import type { UsersStore } from '../shared/adapters/users-store.js';
import {
  ChannelDispatch,
  type DispatchDependencies,
  jobsFor,
  type QueuedJob,
} from '../shared/dispatch/channel-dispatch.js';
import { FAN_OUT_CHUNK_SIZE, fanOutComplete, recipientNotificationId, tallyChunk } from '../shared/domain/broadcast.js';
import { inParallel } from '../shared/in-parallel.js';
import { logger } from '../shared/observability.js';

export interface FanOutDependencies extends DispatchDependencies {
  readonly users: Pick<UsersStore, 'findFresh' | 'findManyFresh'>;
  readonly templates: Pick<TemplatesStore, 'find'>;
  readonly notifications: Pick<NotificationsStore, 'find' | 'createOnce' | 'recordEnqueueOutcome'>;
  readonly topics: Pick<TopicsStore, 'subscribersPage'>;
  readonly progress: Pick<
    BroadcastProgressStore,
    'fanOutState' | 'countChunk' | 'markNextQueued' | 'markFannedOut' | 'findRecorded'
  >;
  readonly fanOutQueue: Pick<FanOutQueue, 'send'>;
  readonly clock?: () => Date;
  /** Subscribers a chunk dispatches (FAN_OUT_CHUNK_SIZE). */
  readonly chunkSize?: number;
}

/** Recipients of a chunk decided and recorded at once: each is a few sequential calls, and DynamoDB takes many. */
const RECIPIENTS_IN_FLIGHT = 50;

/** What became of a chunk: fanned out (with how many recipients it recorded now), or nothing to do. */
export type FanOutOutcome =
  | {
      readonly outcome: 'fanned_out';
      readonly recipients: number;
      readonly recordedNow: number;
      readonly last: boolean;
    }
  | { readonly outcome: 'cancelled' | 'missing' | 'not_started' | 'duplicate' };

/**
 * Fans a broadcast out, one chunk of its topic's subscribers per message: the chunk first queues the next (so the
 * chunks follow one another without a coordinator), then hands each recipient to the one dispatch step
 * (ChannelDispatch), which decides their channels on their own preferences, consent, suppression, quiet hours and
 * frequency caps. A recipient's notification has an id derived from the broadcast and the person, created only if
 * absent, so a chunk fanned out twice (a redelivery, a worker killed half-way) dispatches no one twice; the jobs of a
 * recipient recorded by an attempt that died are queued again, and the workers' delivery claims send each once.
 */
export class BroadcastFanOut {
  private readonly clock: () => Date;
  private readonly dispatch: ChannelDispatch;

  constructor(private readonly deps: FanOutDependencies) {
    this.clock = deps.clock ?? (() => new Date());
    this.dispatch = new ChannelDispatch(deps);
  }

  async fanOut(message: FanOutMessage): Promise<FanOutOutcome> {
    const broadcast = await this.deps.notifications.find(message.broadcast_id);
    if (broadcast?.kind !== 'broadcast' || !broadcast.topic) return { outcome: 'missing' };
    if (broadcast.status === 'cancelled') return { outcome: 'cancelled' };
    if (broadcast.status !== 'fanning_out' && broadcast.status !== 'fanned_out') return { outcome: 'not_started' };
    const now = this.clock();
    const state = await this.deps.progress.fanOutState(broadcast.notification_id, message.chunk);
    if (state.chunkCounted) {
      // Done before (it is counted only once every recipient's jobs are queued, and after the next chunk is): a late
      // redelivery of it would only put jobs on the bulk lane again, where they would take the paced rate for nothing.
      // The attempt that counted it may have died before it marked the fan-out over.
      await this.markFannedOutIfComplete(broadcast.notification_id, state, now);
      return { outcome: 'duplicate' };
    }
    const template = await this.deps.templates.find(broadcast.type);
    if (!template) throw new Error('a broadcast of a type without a template; the fan-out queue retries');

    const page = await this.deps.topics.subscribersPage(broadcast.topic, {
      after: message.after,
      limit: this.deps.chunkSize ?? FAN_OUT_CHUNK_SIZE,
    });
    if (page.last !== undefined && state.nextChunkQueued <= message.chunk) {
      // The next chunk first: one attempt that dies below does not hold up the rest of the topic.
      await this.deps.fanOutQueue.send({
        broadcast_id: broadcast.notification_id,
        chunk: message.chunk + 1,
        after: page.last,
      });
      await this.deps.progress
        .markNextQueued(broadcast.notification_id, message.chunk, now.toISOString())
        .catch((error: Error) => {
          logger.warn('could not record that the next chunk is queued; a redelivery queues it again', {
            error: error.name,
          });
        });
    }

    const ids = new Map(
      page.userIds.map((userId) => [userId, recipientNotificationId(broadcast.notification_id, userId)]),
    );
    const recorded = await this.deps.progress.findRecorded([...ids.values()]);
    const newcomers = page.userIds.filter((userId) => !recorded.has(ids.get(userId) ?? ''));
    const users = await this.deps.users.findManyFresh(newcomers);
    let recordedNow = 0;
    const recipients: NotificationItem[] = [];
    await inParallel(page.userIds, RECIPIENTS_IN_FLIGHT, async (userId) => {
      const notificationId = ids.get(userId) ?? '';
      const earlier = recorded.get(notificationId);
      if (earlier) {
        // Recorded by an attempt at this chunk that may have died before queuing its jobs: queue what is still due.
        recipients.push(earlier);
        await this.requeue(broadcast, earlier, now);
        return;
      }
      const record = recipientRecord(broadcast, notificationId, userId, now);
      const request = { user_id: userId, ...broadcastRequest(broadcast) };
      const plan = await this.dispatch.plan(record, request, template, users.get(userId), now, 'consistent');
      const item: NotificationItem = { ...record, status: plan.answer.status, channels: plan.channels };
      if (await this.deps.notifications.createOnce(item)) {
        recordedNow++;
        recipients.push(item);
        await this.dispatch.enqueue(notificationId, plan.jobs, undefined, 'the fan-out queue retries the chunk');
        return;
      }
      // Another attempt at this chunk recorded them a moment ago: theirs is the decision, and its slots are taken.
      await this.dispatch.giveBack(plan, userId);
      const theirs = await this.deps.notifications.find(notificationId);
      if (!theirs) throw new Error('a recipient recorded by another attempt is not found');
      recipients.push(theirs);
      await this.requeue(broadcast, theirs, now);
    });

    const last = page.last === undefined;
    const tally = tallyChunk(recipients.map((recipient) => recipient.channels));
    await this.deps.progress.countChunk(broadcast.notification_id, message.chunk, tally, {
      last,
      at: now.toISOString(),
    });
    // Read after this chunk's count: of two chunks counted at once, the later read sees both.
    const counted = await this.deps.progress.fanOutState(broadcast.notification_id, message.chunk);
    await this.markFannedOutIfComplete(broadcast.notification_id, counted, now);
    return { outcome: 'fanned_out', recipients: page.userIds.length, recordedNow, last };
  }

  private async markFannedOutIfComplete(broadcastId: string, state: FanOutState, now: Date): Promise<void> {
    if (fanOutComplete(state)) await this.deps.progress.markFannedOut(broadcastId, state.dispatched, now.toISOString());
  }

  /** A recipient's jobs whose channel is still waiting to be sent, queued again (its worker's claim sends it once). */
  private async requeue(broadcast: NotificationItem, recipient: NotificationItem, now: Date): Promise<void> {
    if (!recipient.user_id) return;
    const waiting: QueuedJob[] = jobsFor(
      recipient,
      { user_id: recipient.user_id, ...broadcastRequest(broadcast) },
      recipient.channels,
      now,
    );
    await this.dispatch.enqueue(recipient.notification_id, waiting, undefined, 'the fan-out queue retries the chunk');
  }
}

/** What each recipient's notification asks for: the broadcast's payload and channels. */
function broadcastRequest(broadcast: NotificationItem): NonNullable<NotificationItem['request']> {
  return broadcast.request ?? { payload: {} };
}

/** A recipient's notification before its channels are decided: the broadcast's type, producer and criticality. */
function recipientRecord(
  broadcast: NotificationItem,
  notificationId: string,
  userId: string,
  now: Date,
): NotificationItem {
  return {
    notification_id: notificationId,
    user_id: userId,
    type: broadcast.type,
    producer: broadcast.producer,
    critical: broadcast.critical,
    ...(broadcast.category ? { category: broadcast.category } : {}),
    created_at: now.toISOString(),
    channels: {},
    broadcast_id: broadcast.notification_id,
    expires_at: Math.floor(now.getTime() / 1000) + NOTIFICATION_RETENTION_SECONDS,
  };
}
