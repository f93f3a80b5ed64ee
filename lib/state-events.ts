import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { CfnEventBusPolicy, EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/platform/environment.js';
import { EVENT_PUBLISHER, HANDLER_MODULES } from '../lambdas/shared/platform/resources.js';
import { NotificationFunction } from './notification-function.js';

export interface StateEventsProps {
  /** The notifications table: its stream is what the events are read from. */
  readonly notifications: ITableV2;
  /** Accounts, besides the stack's, that may put rules of their own on the bus. */
  readonly subscriberAccounts: readonly string[];
  readonly alarmAction: IAlarmAction;
}

/** The events older than this in the stream mean the publisher is behind (the bus refusing it, or its errors). */
const BEHIND_AFTER = Duration.minutes(5);

/**
 * State events (docs/events.md): the stack's event bus, and the function that publishes every change of a
 * notification's state onto it from the notifications table's stream (lambdas/events/). The stream is read by Lambda at
 * no charge; the mapping retries a batch from the record the function answers as failed for as long as the stream
 * keeps records (24 hours), so a throttled bus delays events and loses none; an alarm says when it falls behind.
 */
export class StateEvents extends Construct {
  public readonly bus: EventBus;
  public readonly publisher: NotificationFunction;

  constructor(scope: Construct, id: string, props: StateEventsProps) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', {
      description: "Every change of a notification's state: accepted, scheduled, queued, sent, delivered, bounced, ...",
    });
    this.publisher = new NotificationFunction(this, 'Publisher', {
      handlerModule: HANDLER_MODULES.eventPublisher,
      serviceName: 'event-publisher',
      description: "Publishes each change of a notification's state from the notifications table's stream to the bus",
      timeout: Duration.seconds(EVENT_PUBLISHER.timeoutSeconds),
      environment: { [ENV.eventBusName]: this.bus.eventBusName },
    });
    this.publisher.addEventSource(
      new DynamoEventSource(props.notifications, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: EVENT_PUBLISHER.batchSize,
        reportBatchItemFailures: true,
        // Retried until the stream lets the record go: an event is late, never dropped, while the bus refuses.
        retryAttempts: -1,
        filters: [FilterCriteria.filter(EVENT_PUBLISHER.filter)],
      }),
    );
    this.publisher.addToRolePolicy(
      new PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
    );
    new Alarm(this, 'Behind', {
      alarmDescription:
        "state events are more than five minutes behind the notifications' changes: look at the publisher's logs " +
        '(the bus throttling it, or failing); the stream keeps changes for 24 hours',
      metric: this.publisher.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: BEHIND_AFTER.toMilliseconds(),
      evaluationPeriods: 5,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(props.alarmAction);
    if (props.subscriberAccounts.length > 0) this.allowSubscribers(props.subscriberAccounts);
  }

  /**
   * Lets each account manage rules of its own on the bus, and only those (events:creatorAccount), as EventBridge's
   * shared-bus pattern has it: it receives every event, through whatever targets its rules name.
   */
  private allowSubscribers(accounts: readonly string[]): void {
    new CfnEventBusPolicy(this, 'Subscribers', {
      eventBusName: this.bus.eventBusName,
      statementId: 'SubscriberAccountsManageTheirRules',
      statement: {
        Sid: 'SubscriberAccountsManageTheirRules',
        Effect: 'Allow',
        Principal: { AWS: accounts.map((account) => `arn:aws:iam::${account}:root`) },
        Action: [
          'events:PutRule',
          'events:PutTargets',
          'events:DeleteRule',
          'events:RemoveTargets',
          'events:DisableRule',
          'events:EnableRule',
          'events:DescribeRule',
        ],
        Resource: `arn:aws:events:${this.bus.env.region}:${this.bus.env.account}:rule/${this.bus.eventBusName}/*`,
        // IAM's policy variable, not a template's: each account may touch only the rules it created.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
        Condition: { StringEqualsIfExists: { 'events:creatorAccount': '${aws:PrincipalAccount}' } },
      },
    });
  }
}
