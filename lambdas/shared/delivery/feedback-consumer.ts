/**
 * The shell of a channel's feedback function: it reads the provider's events from the channel's feedback queue (SNS,
 * delivered raw), one record at a time with partial batch responses, so that one event's failure is retried alone.
 * What is no event of the provider's is never acted on: a message that cannot be read at all is set aside in the
 * feedback DLQ at once (for a person to look at, not retried); one that is an event but says nothing to act on is
 * dropped. Both are counted and logged by their reason, never their content.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { Channel } from '../../channels/registry.js';
import { sqsClient } from '../aws/sqs.js';
import { countWith, logger } from '../observability.js';
import { FEEDBACK_DEAD_LETTER_QUEUE_URL_VARIABLE, requiredEnv } from '../platform/environment.js';
import { queueRecordsHandler } from './record-handler.js';

export interface FeedbackConsumer<Feedback> {
  readonly channel: Channel;
  /** The event a message carries, or why there is none to act on. */
  readonly parse: (body: string) => Feedback | string;
  /** The reasons that mean the message could not be read at all: it goes to the DLQ. */
  readonly unreadable: readonly string[];
  readonly act: (feedback: Feedback) => Promise<void>;
}

export function feedbackHandler<Feedback>(consumer: FeedbackConsumer<Feedback>) {
  const deadLetterQueueUrl = requiredEnv(FEEDBACK_DEAD_LETTER_QUEUE_URL_VARIABLE[consumer.channel]);

  async function handle(record: SQSRecord): Promise<void> {
    const feedback = consumer.parse(record.body);
    if (typeof feedback !== 'string') return consumer.act(feedback);
    const unreadable = consumer.unreadable.includes(feedback);
    if (unreadable) {
      await sqsClient.send(
        new SendMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MessageBody: record.body,
          MessageAttributes: { reason: { DataType: 'String', StringValue: feedback } },
        }),
      );
    }
    logger.warn(unreadable ? 'feedback set aside in the DLQ' : 'feedback dropped', {
      reason: feedback,
      message_id: record.messageId,
    });
    countWith(unreadable ? 'FeedbackSetAside' : 'FeedbackDropped', { reason: feedback });
  }

  return queueRecordsHandler(handle);
}
