import { Duration } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHANNELS, type Channel } from '../lambdas/channels/registry.js';
import { COUNTER_KEY_PREFIX } from '../lambdas/shared/adapters/frequency-counters.js';
import { NOTIFICATION_KEY_PREFIX } from '../lambdas/shared/adapters/notifications-store.js';
import { BULK_QUEUE_URL_VARIABLE, ENV } from '../lambdas/shared/platform/environment.js';
import {
  BROADCAST_FAN_OUT,
  HANDLER_MODULES,
  JOB_RETENTION_DAYS,
  VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
} from '../lambdas/shared/platform/resources.js';
import type { WorkerContext } from './channel-infrastructure.js';
import type { NotificationChannel } from './notification-channel.js';
import type { NotificationFunction } from './notification-function.js';
import { queueFedFunction } from './queue-fed-function.js';
import { allowTableActions, allowTableActionsOnKeys } from './table-access.js';

export interface BroadcastFanOutProps {
  readonly context: WorkerContext;
  /** The channels whose bulk lanes a broadcast's jobs go on. */
  readonly channels: Readonly<Record<Channel, NotificationChannel>>;
  readonly categoriesVariable: string;
  readonly alarmAction: IAlarmAction;
}

/**
 * Broadcasts (lambdas/broadcast/): the fan-out queue, one message per chunk of a topic's subscribers, and the function
 * that dispatches each chunk's recipients through the one dispatch step onto the channels' bulk lanes. A chunk it
 * cannot fan out after BROADCAST_FAN_OUT.maxReceiveCount receives rests in the fan-out DLQ, with an alarm.
 */
export class BroadcastFanOut extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly fanOut: NotificationFunction;

  constructor(scope: Construct, id: string, props: BroadcastFanOutProps) {
    super(scope, id);
    const { tables, suppressionKeys } = props.context;
    const bulkLanes = CHANNELS.map((channel) => props.channels[channel].bulkQueue);
    ({
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      fn: this.fanOut,
    } = queueFedFunction(this, {
      queue: {
        visibilityTimeoutSeconds: BROADCAST_FAN_OUT.timeoutSeconds * VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
        retentionDays: JOB_RETENTION_DAYS,
        maxReceiveCount: BROADCAST_FAN_OUT.maxReceiveCount,
      },
      functionId: 'FanOut',
      function: {
        handlerModule: HANDLER_MODULES.broadcastFanOut,
        serviceName: 'broadcast-fan-out',
        description: "Fans broadcasts out, a chunk of the topic's subscribers at a time, onto the channels' bulk lanes",
        timeout: Duration.seconds(BROADCAST_FAN_OUT.timeoutSeconds),
        environment: {
          [ENV.usersTable]: tables.users.tableName,
          [ENV.templatesTable]: tables.templates.tableName,
          [ENV.notificationsTable]: tables.notifications.tableName,
          [ENV.suppressionsTable]: tables.suppressions.tableName,
          [ENV.topicsTable]: tables.topics.tableName,
          [ENV.categories]: props.categoriesVariable,
          ...Object.fromEntries(
            CHANNELS.map((channel) => [BULK_QUEUE_URL_VARIABLE[channel], props.channels[channel].bulkQueue.queueUrl]),
          ),
        },
      },
      eventSourceId: 'Chunks',
      batchSize: BROADCAST_FAN_OUT.batchSize,
      deadLetterAlarm: {
        id: 'Unfanned',
        description:
          'a chunk of a broadcast could not be fanned out: look at the fan-out DLQ, then redrive it (a chunk fanned ' +
          'out twice sends no one twice)',
        action: props.alarmAction,
      },
    }));
    this.fanOut.addEnvironment(ENV.fanOutQueueUrl, this.queue.queueUrl);
    // A page of the topic's subscribers; their people in one BatchGetItem; the template; the suppression list.
    allowTableActions(this.fanOut, tables.topics, 'Query');
    allowTableActions(this.fanOut, tables.users, 'BatchGetItem');
    allowTableActions(this.fanOut, tables.templates, 'GetItem');
    allowTableActions(this.fanOut, tables.suppressions, 'GetItem', 'BatchGetItem');
    suppressionKeys.allowRead(this.fanOut);
    // The broadcast and its progress read; each chunk counted once (a TransactWriteItems of its marker's PutItem and
    // the count's UpdateItem); its recipients' records read (BatchGetItem), created once (PutItem) and their enqueue
    // outcome; a frequency cap's counters.
    allowTableActionsOnKeys(
      this.fanOut,
      tables.notifications,
      [NOTIFICATION_KEY_PREFIX, COUNTER_KEY_PREFIX],
      'GetItem',
      'BatchGetItem',
      'PutItem',
      'UpdateItem',
    );
    // Jobs onto the bulk lanes (SendMessageBatch is authorized as SendMessage); the next chunk onto the fan-out queue.
    this.fanOut.addToRolePolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [...bulkLanes.map((queue) => queue.queueArn), this.queue.queueArn],
      }),
    );
  }

  /** A function that starts broadcasts (ingest; the scheduler's dispatch at a scheduled one's time). */
  allowStarting(fn: NotificationFunction): void {
    fn.addEnvironment(ENV.fanOutQueueUrl, this.queue.queueUrl);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
  }
}
