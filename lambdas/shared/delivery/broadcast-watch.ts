import type { BroadcastOutcome, BroadcastProgressStore } from '../adapters/broadcast-progress.js';
import { logger } from '../observability.js';

/** How long a worker trusts what it read of a broadcast's status: a cancel stops its jobs within this. */
const STATUS_TTL_MS = 2_000;

/**
 * What a channel worker asks of a broadcast its job belongs to: whether it was cancelled (read at most every two
 * seconds per broadcast and worker, not per job), and its count of each job's outcome.
 */
export class BroadcastWatch {
  private readonly reads = new Map<string, { cancelled: Promise<boolean>; readAt: number }>();

  constructor(
    private readonly progress: Pick<BroadcastProgressStore, 'isCancelled' | 'countOutcome'>,
    private readonly now: () => number = Date.now,
  ) {}

  async cancelled(broadcastId: string): Promise<boolean> {
    const cached = this.reads.get(broadcastId);
    if (cached && this.now() - cached.readAt < STATUS_TTL_MS) return cached.cancelled;
    const cancelled = this.progress.isCancelled(broadcastId);
    this.reads.set(broadcastId, { cancelled, readAt: this.now() });
    // A failed read is not remembered: the next job reads again.
    cancelled.catch(() => this.reads.delete(broadcastId));
    return cancelled;
  }

  /** Counts the outcome; a count that fails leaves the progress short, never the job undone. */
  async countOutcome(broadcastId: string, outcome: BroadcastOutcome, at: Date): Promise<void> {
    await this.progress.countOutcome(broadcastId, outcome, at.toISOString()).catch((error: Error) => {
      logger.warn("could not count the job in its broadcast's progress", { error: error.name });
    });
  }
}
