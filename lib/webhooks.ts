import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../lambdas/shared/domain/state-events.js';
import { DELIVERY_LANES, type DeliveryLane } from '../lambdas/shared/domain/webhooks.js';
import { ENV } from '../lambdas/shared/platform/environment.js';
import {
  DEAD_LETTER_RETENTION_DAYS,
  HANDLER_MODULES,
  JOB_RETENTION_DAYS,
  VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
  WEBHOOKS,
} from '../lambdas/shared/platform/resources.js';
import { NotificationFunction } from './notification-function.js';
import { queueFedFunction } from './queue-fed-function.js';
import { allowTableActions } from './table-access.js';

export interface WebhooksProps {
  readonly bus: IEventBus;
  readonly table: ITableV2;
  readonly alarmAction: IAlarmAction;
}

/**
 * Signed webhooks (docs/events.md#webhooks): a rule on the bus feeds every state event to a queue; the fan-out makes one
 * delivery job per endpoint that wants it, on the endpoint's lane; the delivery function signs and posts each, from
 * either lane, and queues a retry on the slow lane. Each lane has its own concurrency, so an endpoint that times out
 * (its deliveries on the slow lane after its first failure) cannot hold the prompt lane's.
 */
export class Webhooks extends Construct {
  public readonly fanOut: NotificationFunction;
  public readonly delivery: NotificationFunction;
  public readonly lanes: Readonly<Record<DeliveryLane, sqs.Queue>>;

  constructor(scope: Construct, id: string, props: WebhooksProps) {
    super(scope, id);
    const deadLetterQueue = new sqs.Queue(this, 'DeliveriesDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS),
    });
    const lane = (name: DeliveryLane) =>
      new sqs.Queue(this, name === 'prompt' ? 'PromptDeliveries' : 'SlowDeliveries', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: Duration.seconds(WEBHOOKS.delivery.timeoutSeconds * VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT),
        retentionPeriod: Duration.days(JOB_RETENTION_DAYS),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: WEBHOOKS.delivery.maxReceiveCount },
      });
    this.lanes = { prompt: lane('prompt'), slow: lane('slow') };
    const laneVariables = {
      [ENV.webhooksTable]: props.table.tableName,
      [ENV.webhookPromptQueueUrl]: this.lanes.prompt.queueUrl,
      [ENV.webhookSlowQueueUrl]: this.lanes.slow.queueUrl,
    };

    const { queue: events, fn: fanOut } = queueFedFunction(this, {
      queue: {
        visibilityTimeoutSeconds: WEBHOOKS.fanOut.timeoutSeconds * VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
        retentionDays: JOB_RETENTION_DAYS,
        maxReceiveCount: WEBHOOKS.fanOut.maxReceiveCount,
      },
      functionId: 'FanOut',
      function: {
        handlerModule: HANDLER_MODULES.webhookFanOut,
        serviceName: 'webhook-fan-out',
        description: "Makes each state event a delivery job for each of its producer's webhook endpoints that want it",
        timeout: Duration.seconds(WEBHOOKS.fanOut.timeoutSeconds),
        environment: laneVariables,
      },
      eventSourceId: 'Events',
      batchSize: WEBHOOKS.fanOut.batchSize,
      deadLetterAlarm: {
        id: 'EventsNotFannedOut',
        description:
          "state events could not be fanned out to webhooks: look at the webhook fan-out's logs, then redrive its DLQ",
        action: props.alarmAction,
      },
    });
    this.fanOut = fanOut;
    new Rule(this, 'EveryStateEvent', {
      eventBus: props.bus,
      description: 'Every state event, for the webhook fan-out',
      eventPattern: { source: [EVENT_SOURCE] },
      targets: [new SqsQueue(events)],
    });
    // A producer's endpoints, read with one Query; the jobs go onto either lane.
    allowTableActions(fanOut, props.table, 'Query');
    fanOut.addToRolePolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: DELIVERY_LANES.map((name) => this.lanes[name].queueArn),
      }),
    );

    this.delivery = new NotificationFunction(this, 'Delivery', {
      handlerModule: HANDLER_MODULES.webhookDelivery,
      serviceName: 'webhook-delivery',
      description: 'Signs each webhook delivery and posts it to its endpoint; a failed one is retried on the slow lane',
      timeout: Duration.seconds(WEBHOOKS.delivery.timeoutSeconds),
      environment: laneVariables,
    });
    for (const name of DELIVERY_LANES) {
      const mapping = this.delivery.addEventSourceMapping(name === 'prompt' ? 'PromptLane' : 'SlowLane', {
        eventSourceArn: this.lanes[name].queueArn,
        batchSize: WEBHOOKS.delivery.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: WEBHOOKS.maxConcurrency[name],
      });
      if (this.delivery.role) mapping.node.addDependency(this.delivery.role);
    }
    this.delivery.addToRolePolicy(
      new PolicyStatement({
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
        resources: DELIVERY_LANES.map((name) => this.lanes[name].queueArn),
      }),
    );
    // A retry goes onto the slow lane.
    this.delivery.addToRolePolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.lanes.slow.queueArn] }),
    );
    // The endpoint read, its health written; each attempt put for its producer to read.
    allowTableActions(this.delivery, props.table, 'GetItem', 'UpdateItem', 'PutItem');
    new Alarm(this, 'DeliveriesDeadLettered', {
      alarmDescription:
        'webhook deliveries rest in their DLQ: the delivery function failed on them again and again (not an ' +
        "endpoint's failure, which is retried and recorded): look at its logs",
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(props.alarmAction);
  }
}
