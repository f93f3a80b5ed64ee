import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  type SendMessageRequest,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type DataLoader from 'dataloader';
import type { ChannelJob } from '../schemas/channel-job.js';
import type { ChannelQueues } from './channel-queues.js';
import { coalescer } from './coalescing.js';

/** SQS takes at most ten messages a SendMessageBatch (a job is at most about 17 KiB: ten stay under its 256 KiB). */
const SEND_BATCH_LIMIT = 10;

/**
 * ChannelQueues for one request that sends many notifications (a batch): the jobs sent within a short window go out
 * as one SendMessageBatch per queue, ten at most. Each job still succeeds or fails on its own: an entry SQS refused, or
 * a whole call that failed, rejects only the sends it carried, as the SendMessage of a single send would. Which queue a
 * job goes to, and what its message carries, stays ChannelQueues' (`message`).
 */
export class CoalescedChannelQueues implements Pick<ChannelQueues, 'send'> {
  private readonly byQueue = new Map<string, DataLoader<SendMessageRequest, void>>();

  constructor(
    private readonly queues: Pick<ChannelQueues, 'message'>,
    private readonly client: Pick<SQSClient, 'send'>,
    private readonly windowMs?: number,
  ) {}

  async send(job: ChannelJob, delaySeconds = 0, addressKeys?: readonly string[]): Promise<void> {
    const message = this.queues.message(job, delaySeconds, addressKeys);
    await this.loaderFor(message.QueueUrl ?? '').load(message);
  }

  private loaderFor(queueUrl: string): DataLoader<SendMessageRequest, void> {
    let loader = this.byQueue.get(queueUrl);
    if (!loader) {
      loader = coalescer((messages) => this.sendBatch(queueUrl, messages), {
        maxBatchSize: SEND_BATCH_LIMIT,
        windowMs: this.windowMs,
      });
      this.byQueue.set(queueUrl, loader);
    }
    return loader;
  }

  /** One SendMessageBatch: each message's outcome, by its place in the batch. */
  private async sendBatch(queueUrl: string, messages: readonly SendMessageRequest[]): Promise<(undefined | Error)[]> {
    const answer = await this.client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map(({ QueueUrl: _queue, ...message }, index) => ({ Id: String(index), ...message })),
      }),
    );
    const failed = new Map((answer.Failed ?? []).map((entry) => [entry.Id, entry]));
    const sent = new Set((answer.Successful ?? []).map((entry) => entry.Id));
    return messages.map((_, index) => {
      const refusal = failed.get(String(index));
      if (refusal) return refusedEntry(refusal);
      return sent.has(String(index)) ? undefined : new Error('SQS answered nothing for this message');
    });
  }
}

/** An entry SQS refused, as the error its SendMessage would have thrown (by its code: messages never reach logs). */
function refusedEntry(entry: BatchResultErrorEntry): Error {
  const error = new Error(`SQS refused the message (${entry.Code})`);
  error.name = entry.Code ?? 'SendMessageBatchEntryFailed';
  // A fault of SQS's own may pass with a retry; one of the sender's will not.
  return Object.assign(error, { $fault: entry.SenderFault ? 'client' : 'server', $retryable: !entry.SenderFault });
}
