import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MAX_DELAY_SECONDS } from '../domain/quiet-hours.js';
import { notificationIdSchema } from '../schemas/identifiers.js';
import * as z from '../schemas/zod.js';

/** A message of the dispatch queue: which scheduled notification to dispatch; its record holds the rest. */
export const dispatchMessageSchema = z.strictObject({ notification_id: notificationIdSchema });

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
        MessageBody: JSON.stringify({ notification_id: notificationId }),
        DelaySeconds: clampDelay(delaySeconds),
      }),
    );
  }

  /** Sends many, ten to a request; answers the ids SQS took. */
  async sendAll(due: readonly { notificationId: string; delaySeconds: number }[]): Promise<Set<string>> {
    const taken = new Set<string>();
    for (let start = 0; start < due.length; start += BATCH_LIMIT) {
      const chunk = due.slice(start, start + BATCH_LIMIT);
      const answer = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map(({ notificationId, delaySeconds }, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify({ notification_id: notificationId }),
            DelaySeconds: clampDelay(delaySeconds),
          })),
        }),
      );
      for (const entry of answer.Successful ?? []) {
        const sent = chunk[Number(entry.Id)];
        if (sent) taken.add(sent.notificationId);
      }
    }
    return taken;
  }
}

function clampDelay(seconds: number): number | undefined {
  const whole = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(seconds)));
  return whole > 0 ? whole : undefined;
}
