/**
 * What rests in a channel's dead-letter queue, and moving it back. A job lands there after the redrive limit:
 * a provider that kept failing, or a body that is not a job. Its reason is the one the worker recorded on the
 * notification's status, so the operator sees why without reading the messages.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../lambdas/channels/registry.js';
import { NotificationsStore } from '../lambdas/shared/adapters/notifications-store.js';
import { channelJobSchema } from '../lambdas/shared/schemas/channel-job.js';
import type { ChannelQueueUrls } from '../local/provision.js';

export interface DeadLetterSummary {
  readonly channel: Channel;
  readonly count: number;
  /** When the oldest resting job was first sent; SQS keeps that time across the move to the DLQ. */
  readonly oldestSentAt?: Date;
  /** Jobs per reason, most frequent first. */
  readonly reasons: readonly { readonly reason: string; readonly count: number }[];
}

// Peeking hides each message for this long; they are all handed back at once when the peek ends.
const PEEK_VISIBILITY_SECONDS = 30;
const MAX_PEEKED = 1_000;

export class DeadLetters {
  private readonly notifications: NotificationsStore;

  constructor(
    private readonly sqs: SQSClient,
    documents: DynamoDBDocument,
    notificationsTable: string,
  ) {
    this.notifications = new NotificationsStore(notificationsTable, documents);
  }

  async summarize(channel: Channel, queues: ChannelQueueUrls): Promise<DeadLetterSummary> {
    const messages = await this.peek(queues.deadLetterUrl);
    const reasons = new Map<string, number>();
    for (const reason of await Promise.all(messages.map((message) => this.reasonOf(channel, message))))
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    const sentTimes = messages.map((message) => Number(message.Attributes?.SentTimestamp)).filter(Number.isFinite);
    return {
      channel,
      count: Math.max(messages.length, await this.approximateCount(queues.deadLetterUrl)),
      oldestSentAt: sentTimes.length > 0 ? new Date(Math.min(...sentTimes)) : undefined,
      reasons: [...reasons]
        .map(([reason, count]) => ({ reason, count }))
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    };
  }

  /**
   * Moves every resting job back to its channel's queue with SQS's own redrive (a message move task), and waits
   * for the task to finish. Returns how many moved.
   */
  async redrive(queues: ChannelQueueUrls, options: { timeoutMs?: number } = {}): Promise<number> {
    const sourceArn = await this.arnOf(queues.deadLetterUrl);
    const destinationArn = await this.arnOf(queues.url);
    await this.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }));
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const { Results = [] } = await this.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn }));
      const task = Results[0];
      if (task?.Status === 'COMPLETED') return task.ApproximateNumberOfMessagesMoved ?? 0;
      if (task?.Status === 'FAILED' || task?.Status === 'CANCELLED')
        throw new Error(`the redrive ${task.Status.toLowerCase()}: ${task.FailureReason ?? 'no reason given'}`);
      if (Date.now() > deadline) throw new Error('the redrive is still running; check it with `dlq list` later');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Receives what rests (without deleting it), then makes it visible again at once. */
  private async peek(queueUrl: string): Promise<Message[]> {
    const peeked: Message[] = [];
    try {
      while (peeked.length < MAX_PEEKED) {
        const { Messages = [] } = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['SentTimestamp'],
            MessageAttributeNames: ['dead_letter_reason'],
          }),
        );
        if (Messages.length === 0) break;
        peeked.push(...Messages);
      }
    } finally {
      for (let start = 0; start < peeked.length; start += 10) {
        await this.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: peeked.slice(start, start + 10).map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle ?? '',
              VisibilityTimeout: 0,
            })),
          }),
        );
      }
    }
    return peeked;
  }

  private async reasonOf(channel: Channel, message: Message): Promise<string> {
    // The worker that gave the job up attached its reason; SQS's backstop redrive attaches none.
    const attached = message.MessageAttributes?.dead_letter_reason?.StringValue;
    if (attached) return attached;
    let body: unknown;
    try {
      body = JSON.parse(message.Body ?? '');
    } catch {
      return 'poison: the body is not JSON';
    }
    const job = channelJobSchema.safeParse(body);
    if (!job.success) return 'poison: not a channel job';
    if (job.data.channel !== channel) return `poison: a ${job.data.channel} job on the ${channel} queue`;
    const notification = await this.notifications.find(job.data.notification_id);
    if (!notification) return 'the notification has expired';
    const state = notification.channels[channel];
    return state?.status === 'failed' && state.reason
      ? state.reason
      : `no verdict: moved by SQS after its receive limit (status ${state?.status ?? 'unknown'})`;
  }

  private async approximateCount(queueUrl: string): Promise<number> {
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  }

  private async arnOf(queueUrl: string): Promise<string> {
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    if (!Attributes?.QueueArn) throw new Error(`no ARN for ${queueUrl}`);
    return Attributes.QueueArn;
  }
}
