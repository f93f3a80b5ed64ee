import { SendMessageCommand, type SendMessageRequest, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { Channel } from '../../channels/registry.js';
import type { ChannelJob } from '../schemas/channel-job.js';

/**
 * The message attribute that carries the suppression keys of the address a job is for (domain/address-key.ts:
 * peppered, so they name neither the address nor the person), comma-separated, when the sender knew the address: the
 * worker then reads the suppression list at once, beside the user and its claim, instead of after the user. An
 * attribute rather than a field of the job, so that a worker of an earlier release, whose job schema is strict, still
 * takes the job during a deploy.
 */
export const ADDRESS_KEY_ATTRIBUTE = 'address_key';

/** The address keys a received job carries, if its sender knew the address. */
export function addressKeysOf(record: Pick<SQSRecord, 'messageAttributes'>): string[] | undefined {
  const value = record.messageAttributes?.[ADDRESS_KEY_ATTRIBUTE]?.stringValue;
  return value ? value.split(',') : undefined;
}

/**
 * The message attribute that marks a job of a channel's bulk lane (a broadcast's), whose worker paces itself below the
 * provider's rate and moves it back onto the same lane.
 */
export const LANE_ATTRIBUTE = 'lane';

/** Whether a received job came through its channel's bulk lane. */
export function inBulkLane(record: Pick<SQSRecord, 'messageAttributes'>): boolean {
  return record.messageAttributes?.[LANE_ATTRIBUTE]?.stringValue === 'bulk';
}

/**
 * Puts each channel's jobs on that channel's own queue, so one slow provider never holds up another; a broadcast's
 * jobs on the channel's bulk lane, so that a broadcast draining never holds up a password reset.
 */
export class ChannelQueues {
  constructor(
    /** Every channel's queue for ingest; a worker knows only its own. */
    private readonly queueUrls: Readonly<Partial<Record<Channel, string>>>,
    private readonly client: SQSClient,
    /** The bulk lanes, for whoever queues a broadcast's jobs. */
    private readonly bulkQueueUrls: Readonly<Partial<Record<Channel, string>>> = {},
  ) {}

  /** `delaySeconds` at most 900 (SQS's limit); longer waits hop through the worker. */
  async send(job: ChannelJob, delaySeconds = 0, addressKeys?: readonly string[]): Promise<void> {
    await this.client.send(new SendMessageCommand(this.message(job, delaySeconds, addressKeys)));
  }

  /** The message `send` sends, on the queue it goes to (coalesced-channel-queues.ts sends several in one call). */
  message(job: ChannelJob, delaySeconds = 0, addressKeys?: readonly string[]): SendMessageRequest {
    const bulk = job.broadcast_id !== undefined;
    const queueUrl = (bulk ? this.bulkQueueUrls : this.queueUrls)[job.channel];
    if (!queueUrl) throw new Error(`no ${bulk ? 'bulk lane' : 'queue'} is known here for ${job.channel} jobs`);
    return {
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(job),
      DelaySeconds: delaySeconds > 0 ? delaySeconds : undefined,
      // Ids only, so a queue can be inspected without reading bodies.
      MessageAttributes: {
        notification_id: { DataType: 'String', StringValue: job.notification_id },
        type: { DataType: 'String', StringValue: job.type },
        producer: { DataType: 'String', StringValue: job.producer },
        ...(bulk ? { [LANE_ATTRIBUTE]: { DataType: 'String', StringValue: 'bulk' } } : {}),
        ...(addressKeys?.length
          ? { [ADDRESS_KEY_ATTRIBUTE]: { DataType: 'String', StringValue: addressKeys.join(',') } }
          : {}),
      },
    };
  }
}
