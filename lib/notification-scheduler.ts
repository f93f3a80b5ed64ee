import { Duration } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHANNELS, type Channel } from '../lambdas/channels/registry.js';
import { DIGEST_KEY_PREFIX } from '../lambdas/shared/adapters/digest-windows.js';
import { COUNTER_KEY_PREFIX } from '../lambdas/shared/adapters/frequency-counters.js';
import { NOTIFICATION_KEY_PREFIX } from '../lambdas/shared/adapters/notifications-store.js';
import { DUE_DRAIN_INTERVAL_SECONDS } from '../lambdas/shared/domain/schedule.js';
import { BULK_QUEUE_URL_VARIABLE, ENV, QUEUE_URL_VARIABLE } from '../lambdas/shared/platform/environment.js';
import {
  HANDLER_MODULES,
  JOB_RETENTION_DAYS,
  NOTIFICATIONS_BY_DUE_TIME_INDEX,
  SCHEDULED_DISPATCH,
  VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
} from '../lambdas/shared/platform/resources.js';
import type { WorkerContext } from './channel-infrastructure.js';
import type { NotificationChannel } from './notification-channel.js';
import { NotificationFunction } from './notification-function.js';
import { queueFedFunction } from './queue-fed-function.js';
import { allowIndexQuery, allowTableActions, allowTableActionsOnKeys } from './table-access.js';

export interface NotificationSchedulerProps {
  readonly context: WorkerContext;
  /** The channels whose queues a dispatch puts jobs on. */
  readonly channels: Readonly<Record<Channel, NotificationChannel>>;
  readonly categoriesVariable: string;
  readonly alarmAction: IAlarmAction;
}

/**
 * Scheduled sends (lambdas/scheduler/, domain/schedule.ts): the due drain, run every minute by an EventBridge rule,
 * moves what falls due from the notifications table's due-time index onto the dispatch queue with the rest of its wait
 * as the delay; the dispatch function decides and queues each through the one dispatch step. What the dispatch cannot
 * do after SCHEDULED_DISPATCH.maxReceiveCount receives rests in the dispatch DLQ, with an alarm.
 */
export class NotificationScheduler extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly dispatch: NotificationFunction;
  public readonly drain: NotificationFunction;

  constructor(scope: Construct, id: string, props: NotificationSchedulerProps) {
    super(scope, id);
    const { tables, suppressionKeys } = props.context;
    ({
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      fn: this.dispatch,
    } = queueFedFunction(this, {
      queue: {
        visibilityTimeoutSeconds: SCHEDULED_DISPATCH.timeoutSeconds * VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
        retentionDays: JOB_RETENTION_DAYS,
        maxReceiveCount: SCHEDULED_DISPATCH.maxReceiveCount,
      },
      functionId: 'Dispatch',
      function: {
        handlerModule: HANDLER_MODULES.scheduledDispatch,
        serviceName: 'scheduled-dispatch',
        description: 'Dispatches scheduled notifications when they fall due: decided then, queued per channel',
        timeout: Duration.seconds(SCHEDULED_DISPATCH.timeoutSeconds),
        environment: {
          [ENV.usersTable]: tables.users.tableName,
          [ENV.templatesTable]: tables.templates.tableName,
          [ENV.notificationsTable]: tables.notifications.tableName,
          [ENV.suppressionsTable]: tables.suppressions.tableName,
          [ENV.categories]: props.categoriesVariable,
          ...Object.fromEntries(
            CHANNELS.flatMap((channel) => [
              [QUEUE_URL_VARIABLE[channel], props.channels[channel].queue.queue.queueUrl],
              [BULK_QUEUE_URL_VARIABLE[channel], props.channels[channel].bulkQueue.queueUrl],
            ]),
          ),
        },
      },
      eventSourceId: 'Dispatches',
      batchSize: SCHEDULED_DISPATCH.batchSize,
      deadLetterAlarm: {
        id: 'Undispatched',
        description:
          'a scheduled notification could not be dispatched (its record says scheduled): look at the dispatch DLQ, ' +
          'then redrive it',
        action: props.alarmAction,
      },
    }));
    this.dispatch.addEnvironment(ENV.dispatchQueueUrl, this.queue.queueUrl);
    // The person as they are now, the template, the suppression list by the addresses' keys; the record read and its
    // one conditional write (and the enqueue outcome), notification items only.
    allowTableActions(this.dispatch, tables.users, 'GetItem');
    allowTableActions(this.dispatch, tables.templates, 'GetItem');
    allowTableActions(this.dispatch, tables.suppressions, 'GetItem', 'BatchGetItem');
    suppressionKeys.allowRead(this.dispatch);
    // A frequency cap's counters (adapters/frequency-counters.ts); a scheduled member's digest joined or opened, with
    // its window (adapters/digest-windows.ts).
    allowTableActionsOnKeys(
      this.dispatch,
      tables.notifications,
      [NOTIFICATION_KEY_PREFIX, COUNTER_KEY_PREFIX, DIGEST_KEY_PREFIX],
      'GetItem',
      'UpdateItem',
      'PutItem',
    );
    // Jobs onto the channels' queues (a broadcast's job set aside for quiet hours, onto its bulk lane); one that came
    // early back onto the dispatch queue.
    this.dispatch.addToRolePolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [
          ...CHANNELS.flatMap((channel) => [
            props.channels[channel].queue.queue.queueArn,
            props.channels[channel].bulkQueue.queueArn,
          ]),
          this.queue.queueArn,
        ],
      }),
    );

    this.drain = new NotificationFunction(this, 'DueDrain', {
      handlerModule: HANDLER_MODULES.dueDrain,
      serviceName: 'due-drain',
      description: 'Every minute: moves what falls due from the due-time index onto the dispatch queue',
      timeout: Duration.seconds(DUE_DRAIN_INTERVAL_SECONDS),
      environment: {
        [ENV.notificationsTable]: tables.notifications.tableName,
        [ENV.dispatchQueueUrl]: this.queue.queueUrl,
      },
    });
    // The due-time index read; each notification taken out of it once queued.
    allowIndexQuery(this.drain, tables.notifications, NOTIFICATIONS_BY_DUE_TIME_INDEX);
    allowTableActionsOnKeys(this.drain, tables.notifications, [NOTIFICATION_KEY_PREFIX], 'UpdateItem');
    this.drain.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
    new Rule(this, 'EveryMinute', {
      description: 'Runs the due drain of scheduled notifications',
      schedule: Schedule.rate(Duration.seconds(DUE_DRAIN_INTERVAL_SECONDS)),
      targets: [new LambdaFunction(this.drain, { retryAttempts: 0 })],
    });
  }

  /** A function that schedules: it puts a send due within the lookahead straight onto the dispatch queue. */
  allowScheduling(fn: NotificationFunction): void {
    fn.addEnvironment(ENV.dispatchQueueUrl, this.queue.queueUrl);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
  }
}
