import type { DispatchQueue } from '../adapters/dispatch-queue.js';
import type { NotificationItem, NotificationsStore } from '../adapters/notifications-store.js';
import { secondsUntil } from '../domain/schedule.js';
import { ApiError } from '../http/api-error.js';
import { logger } from '../observability.js';

/**
 * How a recorded `scheduled` notification (a send_at, or a digest's window) starts to wait for its time
 * (domain/schedule.ts): one due within the lookahead goes onto the dispatch queue with its delay; one already in the
 * due-time index waits for the due drain. When the queue refuses, the index is the way round.
 */
export class ScheduleHandOff {
  constructor(
    private readonly deps: {
      readonly dispatchQueue: Pick<DispatchQueue, 'send'>;
      readonly notifications: Pick<NotificationsStore, 'enterDueIndex'>;
      readonly clock: () => Date;
    },
  ) {}

  async handOff(item: Pick<NotificationItem, 'notification_id' | 'send_at' | 'due_at'>, retryAdvice: string) {
    if (item.due_at !== undefined || item.send_at === undefined) return;
    await this.dueIn(
      item.notification_id,
      secondsUntil(new Date(item.send_at), this.deps.clock()),
      item.send_at,
      retryAdvice,
    );
  }

  /** Dispatches a digest now: it is full. Its window's own firing later finds it gone out. */
  async now(notificationId: string, retryAdvice: string): Promise<void> {
    await this.dueIn(notificationId, 0, this.deps.clock().toISOString(), retryAdvice);
  }

  private async dueIn(notificationId: string, seconds: number, sendAt: string, retryAdvice: string): Promise<void> {
    try {
      await this.deps.dispatchQueue.send(notificationId, seconds);
    } catch (error) {
      logger.warn('the dispatch queue refused; the notification waits in the due-time index', {
        error: (error as Error).name,
      });
      await this.deps.notifications.enterDueIndex(notificationId, sendAt).catch((indexError: Error) => {
        logger.warn('could not put the notification into the due-time index', { error: indexError.name });
        throw new ApiError(503, 'enqueue_failed', `could not schedule the notification; ${retryAdvice}`, undefined, 1);
      });
    }
  }
}
