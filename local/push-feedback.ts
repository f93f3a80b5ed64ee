/**
 * The push channel's feedback path in the emulator, as the stack builds it in AWS: the platform applications send
 * their endpoint events to the channel's feedback path (feedback-path.ts), read by its feedback function.
 * LocalStack (4.13) takes the attributes but never publishes these events: tests publish SNS's JSON to the same topic.
 */
import { SetPlatformApplicationAttributesCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { PUSH_EVENT_ATTRIBUTES } from '../lambdas/channels/push/feedback.js';
import { LOCAL_RESOURCE_NAMES } from '../lambdas/shared/platform/resources.js';
import { type FeedbackPath, provisionFeedbackPath } from './feedback-path.js';

export async function provisionPushFeedback(
  clients: { readonly sns: SNSClient; readonly sqs: SQSClient },
  prefix: string,
  platformApplications: readonly string[],
): Promise<FeedbackPath> {
  const path = await provisionFeedbackPath(clients, LOCAL_RESOURCE_NAMES.feedback(prefix, 'push'));
  await Promise.all(
    platformApplications.map((PlatformApplicationArn) =>
      clients.sns.send(
        new SetPlatformApplicationAttributesCommand({
          PlatformApplicationArn,
          Attributes: Object.fromEntries(PUSH_EVENT_ATTRIBUTES.map((attribute) => [attribute, path.topicArn])),
        }),
      ),
    ),
  );
  return path;
}
