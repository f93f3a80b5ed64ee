import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, type ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { Channel } from '../lambdas/channels/registry.js';
import { FEEDBACK_DEAD_LETTER_QUEUE_URL_VARIABLE } from '../lambdas/shared/platform/environment.js';
import { HANDLER_MODULES } from '../lambdas/shared/platform/resources.js';
import { ChannelQueue } from './channel-queue.js';
import { NotificationFunction } from './notification-function.js';

export interface FeedbackPathProps {
  readonly channel: Channel;
  /** Who publishes the provider's events to the topic (SES, SNS itself), and may use its key to. */
  readonly publisher: ServicePrincipal;
  /** What the topic's key encrypts, and what the function does, for whoever reads the console. */
  readonly keyDescription: string;
  readonly functionDescription: string;
  readonly environment: Record<string, string>;
}

export interface FeedbackPath {
  readonly topic: Topic;
  readonly feedback: NotificationFunction;
}

/**
 * A channel's feedback path: its provider publishes events to an SNS topic (encrypted: the events name addresses and
 * endpoints), delivered raw to a queue with its DLQ, read by the channel's feedback function with partial batch
 * responses. An event that cannot be acted on is retried, then rests in the DLQ, as a job does; one that cannot even
 * be read is set aside there at once by the function. Resource ids are the channel's scope's: 'FeedbackKey',
 * 'FeedbackTopic', 'Feedback', 'FeedbackFunction'.
 */
export function addFeedbackPath(scope: Construct, props: FeedbackPathProps): FeedbackPath {
  // The key guards events in flight only (a topic stores nothing), so deleting the stack schedules it for deletion
  // after the shortest window rather than leaving it billed for good, as CDK's default (retain) would.
  const key = new Key(scope, 'FeedbackKey', {
    enableKeyRotation: true,
    description: props.keyDescription,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [props.publisher],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
  );
  const topic = new Topic(scope, 'FeedbackTopic', { masterKey: key, enforceSSL: true });
  const queue = new ChannelQueue(scope, 'Feedback', {
    channel: props.channel,
    settings: { workerTimeoutSeconds: 30, claimLeaseSeconds: 120, deliveryAttempts: 3 },
  });
  topic.addSubscription(new SqsSubscription(queue.queue, { rawMessageDelivery: true }));
  const feedback = new NotificationFunction(scope, 'FeedbackFunction', {
    handlerModule: HANDLER_MODULES.feedback(props.channel),
    serviceName: `${props.channel}-feedback`,
    description: props.functionDescription,
    timeout: Duration.seconds(30),
    environment: {
      ...props.environment,
      [FEEDBACK_DEAD_LETTER_QUEUE_URL_VARIABLE[props.channel]]: queue.deadLetterQueue.queueUrl,
    },
  });
  feedback.addEventSourceMapping('Events', {
    eventSourceArn: queue.queue.queueArn,
    batchSize: 10,
    reportBatchItemFailures: true,
  });
  feedback.addToRolePolicy(
    new PolicyStatement({
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      resources: [queue.queue.queueArn],
    }),
  );
  // What it cannot read, it sets aside in the DLQ.
  feedback.addToRolePolicy(
    new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.deadLetterQueue.queueArn] }),
  );
  return { topic, feedback };
}
