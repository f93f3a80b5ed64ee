import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { DEAD_LETTER_QUEUE_URL_VARIABLE, ENV, QUEUE_URL_VARIABLE } from '../lambdas/shared/environment.js';
import { ChannelQueue } from './channel-queue.js';
import type { PlatformSettings } from './config/platform-settings.js';
import { NotificationFunction } from './notification-function.js';
import type { NotificationTables } from './notification-tables.js';
import { CHANNEL_QUEUES, type Channel } from './platform-config.js';

export interface NotificationChannelProps {
  readonly channel: Channel;
  readonly throughput: PlatformSettings['channels'][Channel];
  readonly tables: NotificationTables;
  readonly alarmThresholds: Pick<PlatformSettings['alarms'], 'oldestJobAgeSeconds' | 'workerErrorsPerFiveMinutes'>;
  /** Where the channel's alarms go. */
  readonly alarmAction: IAlarmAction;
  /** Provider settings for the worker (sender, secret ARN, platform applications). */
  readonly environment?: Record<string, string>;
}

/**
 * One channel end to end: its queue and DLQ, its worker fed by an SQS event source, and its alarms.
 * The worker's reserved concurrency equals the event source's maximum concurrency, so a channel that backs
 * up can neither starve the others of Lambda capacity nor be starved by them.
 */
export class NotificationChannel extends Construct {
  public readonly channel: Channel;
  public readonly queue: ChannelQueue;
  public readonly worker: NotificationFunction;
  public readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: NotificationChannelProps) {
    super(scope, id);
    const { channel, throughput, tables } = props;
    const settings = CHANNEL_QUEUES[channel];
    this.channel = channel;
    this.queue = new ChannelQueue(this, 'Jobs', { channel, settings });

    this.worker = new NotificationFunction(this, 'Worker', {
      handlerModule: `${channel}-worker/handler.ts`,
      serviceName: `${channel}-worker`,
      description: `Delivers ${channel} jobs`,
      timeout: Duration.seconds(settings.workerTimeoutSeconds),
      reservedConcurrentExecutions: throughput.maxConcurrency,
      environment: {
        [ENV.channel]: channel,
        [ENV.deliveryAttempts]: String(settings.deliveryAttempts),
        [QUEUE_URL_VARIABLE[channel]]: this.queue.queue.queueUrl,
        [DEAD_LETTER_QUEUE_URL_VARIABLE[channel]]: this.queue.deadLetterQueue.queueUrl,
        [ENV.usersTable]: tables.users.tableName,
        [ENV.templatesTable]: tables.templates.tableName,
        [ENV.notificationsTable]: tables.notifications.tableName,
        ...props.environment,
      },
    });
    this.worker.addEventSource(
      new SqsEventSource(this.queue.queue, {
        batchSize: throughput.batchSize,
        maxBatchingWindow:
          throughput.batchingWindowSeconds > 0 ? Duration.seconds(throughput.batchingWindowSeconds) : undefined,
        maxConcurrency: throughput.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    // Sending a job back (not due yet, or deferred again by quiet hours) is a send to its own queue.
    this.queue.queue.grantSendMessages(this.worker);
    // A job given up after its last attempt is moved to the DLQ by the worker, which says why.
    this.queue.deadLetterQueue.grantSendMessages(this.worker);
    tables.users.grantReadData(this.worker);
    tables.templates.grantReadData(this.worker);
    tables.notifications.grantReadWriteData(this.worker);

    this.alarms = [
      new Alarm(this, 'DeadLetters', {
        alarmDescription: `${channel} jobs are in the dead-letter queue: inspect, fix, then redrive`,
        metric: this.queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'OldestJobAge', {
        alarmDescription: `${channel} jobs wait longer than ${props.alarmThresholds.oldestJobAgeSeconds}s`,
        metric: this.queue.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1) }),
        threshold: props.alarmThresholds.oldestJobAgeSeconds,
        evaluationPeriods: 5,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'WorkerErrors', {
        alarmDescription: `the ${channel} worker fails`,
        metric: this.worker.metricErrors({ period: Duration.minutes(5) }),
        threshold: props.alarmThresholds.workerErrorsPerFiveMinutes,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const alarm of this.alarms) alarm.addAlarmAction(props.alarmAction);
  }
}
