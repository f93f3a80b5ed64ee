import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { NotificationApi } from './notification-api.js';
import type { NotificationChannel } from './notification-channel.js';
import type { PlatformSettings } from './settings.js';
import { resourceName } from './stage.js';

export interface PlatformOperationsProps {
  /** The deployment stage (lib/stage.ts), which names the topic and the dashboard. */
  readonly stage: string;
  readonly alarms: PlatformSettings['alarms'];
}

/** Where alarms go (an encrypted SNS topic), the API's own alarm, and one dashboard for the whole platform. */
export class PlatformOperations extends Construct {
  public readonly topic: Topic;
  public readonly alarmAction: SnsAction;
  private readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PlatformOperationsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Alarms', {
      displayName: `Notification platform (${props.stage}) alarms`,
      enforceSSL: true,
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
    });
    if (props.alarms.notifyEmail) this.topic.addSubscription(new EmailSubscription(props.alarms.notifyEmail));
    this.alarmAction = new SnsAction(this.topic);
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: resourceName(props.stage) });
  }

  watchApi(api: NotificationApi, threshold: number): void {
    // The producers' API, and the keyless routes' own when they have one.
    api.metricServerErrors().forEach((metric, index) => {
      const alarm = new Alarm(this, index === 0 ? 'Api5xx' : 'PublicApi5xx', {
        alarmDescription: index === 0 ? 'the API answers 5xx' : "the API of recipients' links and webhooks answers 5xx",
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(this.alarmAction);
    });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'API requests, 4xx, 5xx',
        left: [api.api.metricCount(), api.api.metricClientError(), api.api.metricServerError()],
        width: 12,
      }),
      new GraphWidget({
        title: 'API latency (p50, p99)',
        left: [api.api.metricLatency({ statistic: 'p50' }), api.api.metricLatency({ statistic: 'p99' })],
        width: 12,
      }),
    );
  }

  /** Per channel: jobs waiting and the oldest one's age; sent, failed and retried; the worker's duration. */
  watchChannel(channel: NotificationChannel): void {
    const delivery = (metricName: string): IMetric =>
      new Metric({
        namespace: 'NotificationPlatform',
        metricName,
        dimensionsMap: { service: `${channel.channel}-worker` },
        statistic: 'Sum',
        period: Duration.minutes(1),
      });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${channel.channel}: queued jobs and dead letters`,
        left: [
          channel.queue.queue.metricApproximateNumberOfMessagesVisible(),
          channel.queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible(),
        ],
        right: [channel.queue.queue.metricApproximateAgeOfOldestMessage()],
        width: 8,
      }),
      new GraphWidget({
        title: `${channel.channel}: sent, failed, retried`,
        left: [delivery('Delivered'), delivery('PermanentFailures'), delivery('TransientFailures')],
        width: 8,
      }),
      new GraphWidget({
        title: `${channel.channel}: worker duration (p50, p99) and errors`,
        left: [
          channel.worker.metricDuration({ statistic: 'p50' }),
          channel.worker.metricDuration({ statistic: 'p99' }),
        ],
        right: [channel.worker.metricErrors()],
        width: 8,
      }),
    );
  }
}
