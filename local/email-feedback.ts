/**
 * The email channel's feedback path in the emulator, as the stack builds it in AWS: a configuration set whose SES
 * events go to an SNS topic, delivered raw to a feedback queue (with its DLQ) that the feedback function reads.
 * LocalStack publishes Send and Delivery events this way; the mailbox simulator (ses-mailbox-simulator.ts) adds the
 * bounces and complaints SES's simulator addresses produce in AWS.
 */
import {
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  DeleteConfigurationSetCommand,
  type SESClient,
} from '@aws-sdk/client-ses';
import { CreateTopicCommand, DeleteTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface EmailFeedbackResources {
  readonly configurationSet: string;
  readonly topicArn: string;
  readonly queueUrl: string;
  readonly deadLetterUrl: string;
}

/** Receives after which a feedback event that cannot be recorded rests in the DLQ (as the stack sets it). */
const FEEDBACK_RECEIVES = 9;

export async function provisionEmailFeedback(
  clients: { readonly ses: SESClient; readonly sns: SNSClient; readonly sqs: SQSClient },
  prefix: string,
): Promise<EmailFeedbackResources> {
  const name = `${prefix}-email-feedback`;
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
  const configurationSet = `${prefix}-email`;
  await alreadyThere(
    clients.ses.send(new CreateConfigurationSetCommand({ ConfigurationSet: { Name: configurationSet } })),
  );
  await alreadyThere(
    clients.ses.send(
      new CreateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: configurationSet,
        EventDestination: {
          // LocalStack holds destination names in one namespace for every set.
          Name: `${configurationSet}-feedback`,
          // LocalStack fails every later SendEmail of the set when Enabled is left out.
          Enabled: true,
          MatchingEventTypes: ['delivery', 'bounce', 'complaint', 'reject', 'renderingFailure'],
          SNSDestination: { TopicARN: TopicArn },
        },
      }),
    ),
  );
  return { configurationSet, topicArn: TopicArn, queueUrl, deadLetterUrl };
}

export async function removeEmailFeedback(
  clients: { readonly ses: SESClient; readonly sns: SNSClient; readonly sqs: SQSClient },
  resources: EmailFeedbackResources,
): Promise<void> {
  await Promise.all([
    clients.ses.send(new DeleteConfigurationSetCommand({ ConfigurationSetName: resources.configurationSet })),
    clients.sns.send(new DeleteTopicCommand({ TopicArn: resources.topicArn })),
    clients.sqs.send(new DeleteQueueCommand({ QueueUrl: resources.queueUrl })),
    clients.sqs.send(new DeleteQueueCommand({ QueueUrl: resources.deadLetterUrl })),
  ]);
}

async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn ?? '';
}

/** A configuration set or destination from an earlier run of the local platform is kept. */
async function alreadyThere(creation: Promise<unknown>): Promise<void> {
  try {
    await creation;
  } catch (error) {
    if (!/AlreadyExists/.test((error as Error).name)) throw error;
  }
}
