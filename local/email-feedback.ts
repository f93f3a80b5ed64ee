/**
 * The email channel's feedback path in the emulator, as the stack builds it in AWS: a configuration set whose SES
 * events go to the channel's feedback path (feedback-path.ts), read by its feedback function.
 * LocalStack publishes Send and Delivery events this way; the mailbox simulator (ses-mailbox-simulator.ts) adds the
 * bounces and complaints SES's simulator addresses produce in AWS.
 */
import {
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  DeleteConfigurationSetCommand,
  type SESClient,
} from '@aws-sdk/client-ses';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_RESOURCE_NAMES } from '../lambdas/shared/platform/resources.js';
import { type FeedbackPath, provisionFeedbackPath, removeFeedbackPath } from './feedback-path.js';

export interface EmailFeedbackResources extends FeedbackPath {
  readonly configurationSet: string;
}

export async function provisionEmailFeedback(
  clients: { readonly ses: SESClient; readonly sns: SNSClient; readonly sqs: SQSClient },
  prefix: string,
): Promise<EmailFeedbackResources> {
  const path = await provisionFeedbackPath(clients, LOCAL_RESOURCE_NAMES.feedback(prefix, 'email'));
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
          SNSDestination: { TopicARN: path.topicArn },
        },
      }),
    ),
  );
  return { ...path, configurationSet };
}

export async function removeEmailFeedback(
  clients: { readonly ses: SESClient; readonly sns: SNSClient; readonly sqs: SQSClient },
  resources: EmailFeedbackResources,
): Promise<void> {
  await Promise.all([
    clients.ses.send(new DeleteConfigurationSetCommand({ ConfigurationSetName: resources.configurationSet })),
    removeFeedbackPath(clients, resources),
  ]);
}

/** A configuration set or destination from an earlier run of the local platform is kept. */
async function alreadyThere(creation: Promise<unknown>): Promise<void> {
  try {
    await creation;
  } catch (error) {
    if (!/AlreadyExists/.test((error as Error).name)) throw error;
  }
}
