import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { queueWithDeadLetter } from './channel-queue.js';
import { NotificationFunction, type NotificationFunctionProps } from './notification-function.js';

export interface QueueFedFunctionProps {
  readonly queue: Parameters<typeof queueWithDeadLetter>[1];
  /** The function's construct id, and what it is. */
  readonly functionId: string;
  readonly function: NotificationFunctionProps;
  /** The event source's id, and how many records an invocation takes. */
  readonly eventSourceId: string;
  readonly batchSize: number;
  /** The alarm on a message resting in the DLQ: its id, what to do about it, and where it goes. */
  readonly deadLetterAlarm: { readonly id: string; readonly description: string; readonly action: IAlarmAction };
}

/**
 * A function fed by a queue of its own (the scheduler's dispatch, the erasure's follow-up, the broadcasts' fan-out): the
 * queue and its DLQ, the function, its event source with partial batch responses, what Lambda's poller and the function
 * call on the queue (receive, delete, read its attributes, hide a record for its backoff), and an alarm on the DLQ.
 * Made in `scope` itself, so that a stack deployed before keeps the logical ids of its queues and functions.
 */
export function queueFedFunction(
  scope: Construct,
  props: QueueFedFunctionProps,
): { queue: sqs.Queue; deadLetterQueue: sqs.Queue; fn: NotificationFunction } {
  const { queue, deadLetterQueue } = queueWithDeadLetter(scope, props.queue);
  const fn = new NotificationFunction(scope, props.functionId, props.function);
  // The mapping is built here rather than by SqsEventSource, whose grant adds sqs:GetQueueUrl, which nothing calls.
  const mapping = fn.addEventSourceMapping(props.eventSourceId, {
    eventSourceArn: queue.queueArn,
    batchSize: props.batchSize,
    reportBatchItemFailures: true,
  });
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
      resources: [queue.queueArn],
    }),
  );
  // Lambda checks the role when it creates the mapping: the policy must exist first.
  if (fn.role) mapping.node.addDependency(fn.role);
  new Alarm(scope, props.deadLetterAlarm.id, {
    alarmDescription: props.deadLetterAlarm.description,
    metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  }).addAlarmAction(props.deadLetterAlarm.action);
  return { queue, deadLetterQueue, fn };
}
