import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Channel } from '../domain/channel.js';
import type { ChannelJob } from '../schemas/channel-job.js';

/** Puts each channel's jobs on that channel's own queue, so one slow provider never holds up another. */
export class ChannelQueues {
  constructor(
    private readonly queueUrls: Readonly<Record<Channel, string>>,
    private readonly client: SQSClient,
  ) {}

  /** `delaySeconds` at most 900 (SQS's limit); longer waits hop through the worker. */
  async send(job: ChannelJob, delaySeconds = 0): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrls[job.channel],
        MessageBody: JSON.stringify(job),
        DelaySeconds: delaySeconds > 0 ? delaySeconds : undefined,
        // Ids only, so a queue can be inspected without reading bodies.
        MessageAttributes: {
          notification_id: { DataType: 'String', StringValue: job.notification_id },
          type: { DataType: 'String', StringValue: job.type },
          producer: { DataType: 'String', StringValue: job.producer },
        },
      }),
    );
  }
}
