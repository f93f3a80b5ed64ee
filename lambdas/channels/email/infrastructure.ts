import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ConfigurationSet,
  ConfigurationSetEventDestination,
  EmailSendingEvent,
  EventDestination,
  type IConfigurationSet,
} from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import type { ChannelInfrastructure, FeedbackContext } from '../../../lib/channel-infrastructure.js';
import { addFeedbackPath } from '../../../lib/feedback-path.js';
import { allowAttributeUpdates, allowTableActions, allowTableActionsOnKeys } from '../../../lib/table-access.js';
import { NOTIFICATION_KEY_PREFIX } from '../../shared/adapters/notifications-store.js';
import { LINK_GENERATION_ATTRIBUTES } from '../../shared/adapters/users-store.js';
import { ENV } from '../../shared/platform/environment.js';
import { EMAIL_VARIABLES } from './channel.js';

/** Below what SES reviews an account at (5% bounces, 0.1% complaints), so that a team hears of it first. */
const REPUTATION_ALARMS = { bounceRate: 0.04, complaintRate: 0.0008 };

/**
 * The email worker sends through SES, from the configured identity, in a configuration set whose events (delivery,
 * bounces, complaints, rejections, delays) come back through SNS to the feedback function.
 */
export const infrastructure: ChannelInfrastructure = {
  equipWorker(worker, { settings: { email }, consentKeys, tables }) {
    worker.addEnvironment(EMAIL_VARIABLES.sender, email.sender);
    if (email.unsubscribeMailto) worker.addEnvironment(EMAIL_VARIABLES.unsubscribeMailto, email.unsubscribeMailto);
    // It signs the unsubscribe links of the emails a person may leave, under the person's link generation, which it
    // makes with their first link (and may write nothing else of theirs).
    consentKeys.allowRead(worker);
    allowAttributeUpdates(worker, tables.users, LINK_GENERATION_ATTRIBUTES);
  },

  addFeedback(scope, context) {
    const configurationSet = configurationSetOf(scope, context);
    const { worker } = context;
    worker.addEnvironment(EMAIL_VARIABLES.configurationSet, configurationSet.configurationSetName);
    // SendRawEmail alone (the message is MIME, for its List-Unsubscribe header): EmailIdentity.grantSendEmail would add
    // SendEmail, which nothing here calls.
    const stack = Stack.of(scope);
    worker.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendRawEmail'],
        resources: [
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: context.settings.email.sender }),
          stack.formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: configurationSet.configurationSetName,
          }),
        ],
      }),
    );

    const { topic, feedback } = addFeedbackPath(scope, {
      channel: 'email',
      publisher: new ServicePrincipal('ses.amazonaws.com'),
      keyDescription: 'Encrypts the SES events of the email channel',
      functionDescription: 'Records what SES says of each email: delivery, bounces, complaints; suppresses addresses',
      environment: {
        [ENV.notificationsTable]: context.tables.notifications.tableName,
        [ENV.suppressionsTable]: context.tables.suppressions.tableName,
      },
    });
    new ConfigurationSetEventDestination(scope, 'FeedbackDestination', {
      configurationSet,
      destination: EventDestination.snsTopic(topic),
      events: [
        EmailSendingEvent.DELIVERY,
        EmailSendingEvent.BOUNCE,
        EmailSendingEvent.COMPLAINT,
        EmailSendingEvent.REJECT,
        EmailSendingEvent.DELIVERY_DELAY,
        EmailSendingEvent.RENDERING_FAILURE,
      ],
    });

    // The email's status and events (UpdateItem, on notification items only), the suppression list (UpdateItem only:
    // suppress, count), keyed under the suppression keys' peppers.
    allowTableActionsOnKeys(feedback, context.tables.notifications, [NOTIFICATION_KEY_PREFIX], 'UpdateItem');
    allowTableActions(feedback, context.tables.suppressions, 'UpdateItem');
    context.suppressionKeys.allowRead(feedback);

    reputationAlarms(scope, context);
  },
};

/** The configured configuration set, or one of the platform's own. */
function configurationSetOf(scope: Construct, { settings }: FeedbackContext): IConfigurationSet {
  if (settings.email.configurationSet)
    return ConfigurationSet.fromConfigurationSetName(scope, 'ConfigurationSet', settings.email.configurationSet);
  return new ConfigurationSet(scope, 'ConfigurationSet', { reputationMetrics: true });
}

/** The account's bounce and complaint rates, below the thresholds at which SES reviews and then pauses it. */
function reputationAlarms(scope: Construct, { alarmAction }: FeedbackContext): void {
  const rate = (metricName: string) =>
    new Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: Duration.hours(1) });
  const alarms = [
    new Alarm(scope, 'BounceRate', {
      alarmDescription: `SES bounce rate above ${REPUTATION_ALARMS.bounceRate * 100}%: SES reviews an account at 5%`,
      metric: rate('Reputation.BounceRate'),
      threshold: REPUTATION_ALARMS.bounceRate,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.IGNORE,
    }),
    new Alarm(scope, 'ComplaintRate', {
      alarmDescription: `SES complaint rate above ${REPUTATION_ALARMS.complaintRate * 100}%: SES reviews an account at 0.1%`,
      metric: rate('Reputation.ComplaintRate'),
      threshold: REPUTATION_ALARMS.complaintRate,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.IGNORE,
    }),
  ];
  for (const alarm of alarms) alarm.addAlarmAction(alarmAction);
}
