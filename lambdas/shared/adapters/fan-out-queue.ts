import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { notificationIdSchema, userIdSchema } from '../schemas/identifiers.js';
import * as z from '../schemas/zod.js';

/**
 * A message of the fan-out queue: one chunk of a broadcast's recipients to dispatch, the topic's subscribers after
 * `after` (the last of the chunk before; none for the first). `chunk` numbers it from 0, so that a chunk fanned out
 * twice is counted once.
 */
export const fanOutMessageSchema = z.strictObject({
  broadcast_id: notificationIdSchema,
  chunk: z.int().check(z.gte(0)),
  after: z.optional(userIdSchema),
});

export type FanOutMessage = z.infer<typeof fanOutMessageSchema>;

/** The queue a broadcast's chunks go through, one message each, the next sent by the one before. */
export class FanOutQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient,
  ) {}

  async send(message: FanOutMessage): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        // Ids only, so a queue can be inspected without reading bodies.
        MessageAttributes: { notification_id: { DataType: 'String', StringValue: message.broadcast_id } },
      }),
    );
  }

  /** Starts a broadcast's fan-out: its first chunk. */
  async start(broadcastId: string): Promise<void> {
    await this.send({ broadcast_id: broadcastId, chunk: 0 });
  }
}
