import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Channel } from '../lambdas/channels/registry.js';
import { NOTIFICATION_KEY_PREFIX } from '../lambdas/shared/adapters/notifications-store.js';
import { bulkLanePace } from '../lambdas/shared/domain/bulk-lane.js';
import {
  BULK_QUEUE_URL_VARIABLE,
  DEAD_LETTER_QUEUE_URL_VARIABLE,
  ENV,
  QUEUE_URL_VARIABLE,
} from '../lambdas/shared/platform/environment.js';
import {
  CHANNEL_QUEUES,
  HANDLER_MODULES,
  JOB_RETENTION_DAYS,
  maxReceiveCount,
  visibilityTimeoutSeconds,
} from '../lambdas/shared/platform/resources.js';
import type { ChannelInfrastructure } from './channel-infrastructure.js';
import { ChannelQueue } from './channel-queue.js';
import { NotificationFunction } from './notification-function.js';
import type { NotificationTables } from './notification-tables.js';
import type { PlatformKeys } from './platform-keys.js';
import { categoryCatalogue, type PlatformSettings } from './settings.js';
import { allowTableActions, allowTableActionsOnKeys } from './table-access.js';

export interface NotificationChannelProps {
  readonly channel: Channel;
  readonly throughput: PlatformSettings['channels'][Channel];
  readonly tables: NotificationTables;
  readonly alarmThresholds: Pick<PlatformSettings['alarms'], 'oldestJobAgeSeconds' | 'workerErrorsPerFiveMinutes'>;
  /** Where the channel's alarms go. */
  readonly alarmAction: IAlarmAction;
  /** The channel's own part: its provider's variables and permissions. */
  readonly infrastructure: ChannelInfrastructure;
  readonly settings: PlatformSettings;
  readonly consentKeys: PlatformKeys;
  /** The peppers of the suppression list's keys, which the worker reads beside its claim. */
  readonly suppressionKeys: PlatformKeys;
}

/**
 * One channel end to end: its queue and DLQ, its bulk lane (a broadcast's jobs, on a queue of their own that redrives
 * to the same DLQ), its worker fed by an SQS event source from each, and its alarms. The worker reserves both event
 * sources' maximum concurrency, so a channel that backs up can neither starve the others of Lambda capacity nor be
 * starved by them, and a broadcast draining takes only the bulk lane's share.
 */
export class NotificationChannel extends Construct {
  public readonly channel: Channel;
  public readonly queue: ChannelQueue;
  /** The bulk lane: its worker invocations pace themselves below the provider's rate (domain/bulk-lane.ts). */
  public readonly bulkQueue: sqs.Queue;
  public readonly worker: NotificationFunction;
  public readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: NotificationChannelProps) {
    super(scope, id);
    const { channel, throughput, tables } = props;
    const settings = CHANNEL_QUEUES[channel];
    this.channel = channel;
    this.queue = new ChannelQueue(this, 'Jobs', { channel, settings });
    this.bulkQueue = new sqs.Queue(this, 'BulkJobs', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(settings)),
      retentionPeriod: Duration.days(JOB_RETENTION_DAYS),
      deadLetterQueue: { queue: this.queue.deadLetterQueue, maxReceiveCount: maxReceiveCount(settings) },
    });
    const bulk = bulkLanePace(throughput.bulk, settings.workerTimeoutSeconds);

    this.worker = new NotificationFunction(this, 'Worker', {
      handlerModule: HANDLER_MODULES.worker(channel),
      serviceName: `${channel}-worker`,
      description: `Delivers ${channel} jobs`,
      rendersTemplates: true,
      timeout: Duration.seconds(settings.workerTimeoutSeconds),
      ...(throughput.reserveConcurrency
        ? { reservedConcurrentExecutions: throughput.maxConcurrency + throughput.bulk.maxConcurrency }
        : {}),
      environment: {
        [ENV.channel]: channel,
        [ENV.deliveryAttempts]: String(settings.deliveryAttempts),
        [ENV.claimLeaseSeconds]: String(settings.claimLeaseSeconds),
        [QUEUE_URL_VARIABLE[channel]]: this.queue.queue.queueUrl,
        [DEAD_LETTER_QUEUE_URL_VARIABLE[channel]]: this.queue.deadLetterQueue.queueUrl,
        [BULK_QUEUE_URL_VARIABLE[channel]]: this.bulkQueue.queueUrl,
        [ENV.bulkSendsPerSecond]: String(bulk.sendsPerSecondPerInvocation),
        [ENV.usersTable]: tables.users.tableName,
        [ENV.templatesTable]: tables.templates.tableName,
        [ENV.notificationsTable]: tables.notifications.tableName,
        [ENV.suppressionsTable]: tables.suppressions.tableName,
        [ENV.categories]: JSON.stringify(categoryCatalogue(props.settings)),
      },
    });
    const context = {
      settings: props.settings,
      tables,
      consentKeys: props.consentKeys,
      suppressionKeys: props.suppressionKeys,
    };
    props.infrastructure.equipWorker(this.worker, context);
    props.infrastructure.addFeedback?.(this, {
      ...context,
      worker: this.worker,
      alarmAction: props.alarmAction,
    });
    // The mapping is built here rather than by SqsEventSource, whose grant adds sqs:GetQueueUrl, which nothing calls.
    const mapping = this.worker.addEventSourceMapping('Jobs', {
      eventSourceArn: this.queue.queue.queueArn,
      batchSize: throughput.batchSize,
      maxBatchingWindow:
        throughput.batchingWindowSeconds > 0 ? Duration.seconds(throughput.batchingWindowSeconds) : undefined,
      maxConcurrency: throughput.maxConcurrency,
      reportBatchItemFailures: true,
    });
    const bulkMapping = this.worker.addEventSourceMapping('BulkJobs', {
      eventSourceArn: this.bulkQueue.queueArn,
      batchSize: bulk.batchSize,
      maxConcurrency: throughput.bulk.maxConcurrency,
      reportBatchItemFailures: true,
    });
    // Lambda's poller receives, deletes and reads the queue's attributes; the worker hides a job for its backoff
    // (ChangeMessageVisibility), sends a job back to its own queue (not due yet, or deferred again by quiet hours),
    // and moves a job it gives up to the DLQ, saying why.
    this.worker.addToRolePolicy(
      new PolicyStatement({
        actions: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ChangeMessageVisibility',
          'sqs:SendMessage',
        ],
        resources: [this.queue.queue.queueArn, this.bulkQueue.queueArn],
      }),
    );
    this.worker.addToRolePolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.deadLetterQueue.queueArn] }),
    );
    // Lambda checks the role when it creates the mapping: the policy must exist first.
    if (this.worker.role) {
      mapping.node.addDependency(this.worker.role);
      bulkMapping.node.addDependency(this.worker.role);
    }
    // The user read fresh, the template; the claim taken (PutItem), then completed or released and the status
    // recorded (UpdateItem).
    allowTableActions(this.worker, tables.users, 'GetItem');
    allowTableActions(this.worker, tables.templates, 'GetItem');
    allowTableActions(this.worker, tables.notifications, 'PutItem', 'UpdateItem');
    // Whether a broadcast was cancelled, and each job's outcome counted: small items beside the broadcast's record.
    allowTableActionsOnKeys(this.worker, tables.notifications, [NOTIFICATION_KEY_PREFIX], 'GetItem');
    // Whether the address became suppressed since the job was queued: one GetItem beside the claim (a BatchGetItem of
    // two keys while a rotation of the peppers is being re-keyed).
    allowTableActions(this.worker, tables.suppressions, 'GetItem', 'BatchGetItem');
    props.suppressionKeys.allowRead(this.worker);

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
