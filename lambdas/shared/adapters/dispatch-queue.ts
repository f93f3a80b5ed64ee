import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CHANNELS, type Channel } from '../../channels/registry.js';
import { MAX_DELAY_SECONDS } from '../domain/quiet-hours.js';
import { notificationIdSchema } from '../schemas/identifiers.js';
import * as z from '../schemas/zod.js';

/**
 * A message of the dispatch queue: which scheduled notification to dispatch (its record holds the rest), or, with a
 * channel, which of its channel jobs set aside for a long wait to put back on its queue (adapters/deferred-jobs.ts).
 */
export const dispatchMessageSchema = z.strictObject({
  notification_id: notificationIdSchema,
  channel: z.optional(z.enum(CHANNELS)),
});

export type DispatchMessage = z.infer<typeof dispatchMessageSchema>;

/** SQS takes at most ten messages a SendMessageBatch. */
const BATCH_LIMIT = 10;

/**
 * The queue scheduled notifications wait on for their last minutes (its DelaySeconds, up to 15 minutes, is the
 * precise part of the wait) and are dispatched from (lambdas/scheduler/).
 */
export class DispatchQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient,
  ) {}

  async send(notificationId: string, delaySeconds: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify({ notification_id: notificationId } satisfies DispatchMessage),
        DelaySeconds: clampDelay(delaySeconds),
      }),
    );
  }

  /** Sends many, ten to a request; answers which SQS took (by their index in `due`). */
  async sendAll(
    due: readonly { notificationId: string; channel?: Channel; delaySeconds: number }[],
  ): Promise<Set<number>> {
    const taken = new Set<number>();
    for (let start = 0; start < due.length; start += BATCH_LIMIT) {
      const chunk = due.slice(start, start + BATCH_LIMIT);
      const answer = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map(({ notificationId, channel, delaySeconds }, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify({
              notification_id: notificationId,
              ...(channel ? { channel } : {}),
            } satisfies DispatchMessage),
            DelaySeconds: clampDelay(delaySeconds),
          })),
        }),
      );
      for (const entry of answer.Successful ?? []) taken.add(start + Number(entry.Id));
    }
    return taken;
  }
}

function clampDelay(seconds: number): number | undefined {
  const whole = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(seconds)));
  return whole > 0 ? whole : undefined;
}
