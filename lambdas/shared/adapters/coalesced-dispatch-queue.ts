import { coalescer } from './coalescing.js';
import type { DispatchQueue } from './dispatch-queue.js';

/** SQS takes at most ten messages a SendMessageBatch. */
const SEND_BATCH_LIMIT = 10;

/**
 * The dispatch queue for one request that schedules many notifications (a batch): the scheduled sends handed off
 * within a short window go out as one SendMessageBatch of ten at most (DispatchQueue.sendAll). A message SQS did not
 * take, or a call that failed, rejects only its own send, which then waits in the due-time index as a single send's
 * would (dispatch/schedule-hand-off.ts).
 */
export class CoalescedDispatchQueue implements Pick<DispatchQueue, 'send'> {
  private readonly loader;

  constructor(queue: Pick<DispatchQueue, 'sendAll'>, windowMs?: number) {
    this.loader = coalescer<{ notificationId: string; delaySeconds: number }, void>(
      async (due) => {
        const taken = await queue.sendAll(due);
        return due.map((_, index) => (taken.has(index) ? undefined : new Error('SQS did not take the message')));
      },
      { maxBatchSize: SEND_BATCH_LIMIT, windowMs },
    );
  }

  async send(notificationId: string, delaySeconds: number): Promise<void> {
    await this.loader.load({ notificationId, delaySeconds });
  }
}
