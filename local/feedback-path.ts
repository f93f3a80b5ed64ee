/**
 * A channel's feedback path in the emulator, as the stack builds it in AWS: an SNS topic the provider publishes its
 * events to, delivered raw to a feedback queue (with its DLQ) that the channel's feedback function reads
 * (runtime.ts feeds it as Lambda's event source would).
 */
import { CreateTopicCommand, DeleteTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface FeedbackPath {
  readonly topicArn: string;
  readonly queueUrl: string;
  readonly deadLetterUrl: string;
}

/** Receives after which a feedback event that cannot be acted on rests in the DLQ (as the stack sets it). */
const FEEDBACK_RECEIVES = 9;

/** The topic, queue and DLQ named `name`, `name` and `name-dlq` (LOCAL_RESOURCE_NAMES.feedback). */
export async function provisionFeedbackPath(
  clients: { readonly sns: SNSClient; readonly sqs: SQSClient },
  name: string,
): Promise<FeedbackPath> {
  const { TopicArn = '' } = await clients.sns.send(new CreateTopicCommand({ Name: name }));
  const deadLetter = await clients.sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const deadLetterUrl = deadLetter.QueueUrl ?? '';
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await queueArn(clients.sqs, deadLetterUrl),
          maxReceiveCount: FEEDBACK_RECEIVES,
        }),
      },
    }),
  );
  const queueUrl = queue.QueueUrl ?? '';
  await clients.sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: await queueArn(clients.sqs, queueUrl),
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  return { topicArn: TopicArn, queueUrl, deadLetterUrl };
}

export async function removeFeedbackPath(
  clients: { readonly sns: SNSClient; readonly sqs: SQSClient },
  path: FeedbackPath,
): Promise<void> {
  await Promise.all([
    clients.sns.send(new DeleteTopicCommand({ TopicArn: path.topicArn })),
    clients.sqs.send(new DeleteQueueCommand({ QueueUrl: path.queueUrl })),
    clients.sqs.send(new DeleteQueueCommand({ QueueUrl: path.deadLetterUrl })),
  ]);
}

async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn ?? '';
}
