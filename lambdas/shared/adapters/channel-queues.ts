import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Channel } from '../../channels/registry.js';
import type { ChannelJob } from '../schemas/channel-job.js';

/** Puts each channel's jobs on that channel's own queue, so one slow provider never holds up another. */
export class ChannelQueues {
  constructor(
    /** Every channel's queue for ingest; a worker knows only its own. */
    private readonly queueUrls: Readonly<Partial<Record<Channel, string>>>,
    private readonly client: SQSClient,
  ) {}

  /** `delaySeconds` at most 900 (SQS's limit); longer waits hop through the worker. */
  async send(job: ChannelJob, delaySeconds = 0): Promise<void> {
    const queueUrl = this.queueUrls[job.channel];
    if (!queueUrl) throw new Error(`no queue is known here for ${job.channel} jobs`);
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
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
