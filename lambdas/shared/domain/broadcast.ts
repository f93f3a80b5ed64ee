import { derivedUuid } from './derived-id.js';
import type { ChannelState } from './notification.js';

/**
 * Subscribers one fan-out message reads and dispatches: one page of the topic, its users read with one BatchGetItem
 * (at most 100 keys) and their records created in parallel within one function's timeout.
 */
export const FAN_OUT_CHUNK_SIZE = 100;

/**
 * The id of a broadcast's notification to one recipient: the same for the same broadcast and person, however often
 * their chunk is fanned out, so that the record's conditional creation makes each recipient's dispatch happen once.
 */
export function recipientNotificationId(broadcastId: string, userId: string): string {
  return derivedUuid(`${broadcastId}/${userId}`);
}

/** What a chunk adds to its broadcast's progress: people, channel jobs dispatched, channels skipped by reason. */
export interface ChunkTally {
  readonly recipients: number;
  readonly dispatched: number;
  readonly skipped: Readonly<Record<string, number>>;
}

/**
 * The tally of a chunk from its recipients' channels as first decided (a redelivered chunk finds some recipients
 * already recorded, whose channels may have moved on since: anything past the decision was dispatched).
 */
export function tallyChunk(
  recipients: readonly Readonly<Record<string, Pick<ChannelState, 'status' | 'reason'> | undefined>>[],
): ChunkTally {
  let dispatched = 0;
  const skipped: Record<string, number> = {};
  for (const channels of recipients) {
    for (const state of Object.values(channels)) {
      if (!state) continue;
      if (state.status === 'skipped') {
        const reason = state.reason ?? 'unknown';
        skipped[reason] = (skipped[reason] ?? 0) + 1;
      } else dispatched++;
    }
  }
  return { recipients: recipients.length, dispatched, skipped };
}

/** Where a broadcast stands, as GET /notifications/{id} shows it. */
export interface BroadcastProgress {
  /** People reached by the fan-out so far. */
  readonly recipients: number;
  /** Channel jobs queued (or deferred by quiet hours) for them. */
  readonly dispatched: number;
  /** Channels not sent on, by reason: at dispatch (opted out, no contact, ...) or at send time. */
  readonly skipped: Readonly<Record<string, number>>;
  readonly sent: number;
  readonly failed: number;
  /** Jobs stopped by a cancel of the broadcast before they were sent. */
  readonly cancelled: number;
  /** When the fan-out reached the topic's last subscriber. */
  readonly fanned_out_at?: string;
  /** When every dispatched job had its outcome (sent, failed, skipped or cancelled). */
  readonly finished_at?: string;
}

/** Whether every job of a broadcast has its outcome: the fan-out is over and each dispatched job settled. */
export function broadcastFinished(progress: {
  readonly fannedOut: boolean;
  readonly dispatched: number;
  readonly settled: number;
}): boolean {
  return progress.fannedOut && progress.settled >= progress.dispatched;
}

/** A fan-out's own count: chunks counted, the chunk that found no subscriber after it, the furthest chunk queued. */
export interface FanOutCount {
  readonly chunksCounted: number;
  readonly lastChunk?: number;
  readonly nextChunkQueued: number;
}

/**
 * Whether every chunk of a fan-out is counted. Chunks run side by side (each queues the next before its own work), so
 * the last may be counted before one earlier: the fan-out is over only when chunks 0 to the last are all counted. A
 * chunk queued by an attempt that died (its page full then, short now that people left the topic) is waited for too.
 */
export function fanOutComplete(count: FanOutCount): boolean {
  if (count.lastChunk === undefined) return false;
  return count.chunksCounted >= Math.max(count.lastChunk, count.nextChunkQueued) + 1;
}
