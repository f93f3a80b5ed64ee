import { Arn, ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  type AwsSdkCall,
  Logging,
  PhysicalResourceId,
} from 'aws-cdk-lib/custom-resources';
import type { Construct, IConstruct } from 'constructs';
import type { ChannelInfrastructure, FeedbackContext } from '../../../lib/channel-infrastructure.js';
import { addFeedbackPath } from '../../../lib/feedback-path.js';
import type { PlatformSettings } from '../../../lib/settings.js';
import { allowAttributeUpdates, allowIndexQuery, allowTableActions } from '../../../lib/table-access.js';
import { ENV } from '../../shared/platform/environment.js';
import { DEVICES_BY_ENDPOINT_INDEX } from '../../shared/platform/resources.js';
import { PUSH_EVENT_ATTRIBUTES } from './feedback.js';

/** SNS itself publishes the platform applications' events. */
const SNS = new ServicePrincipal('sns.amazonaws.com');

/**
 * The push worker publishes to the person's devices, and forgets a device whose endpoint is gone; the platform
 * applications' events (a delivery that failed for good, an endpoint disabled or deleted) come back through SNS to
 * the feedback function, which forgets such a device at once.
 */
export const infrastructure: ChannelInfrastructure = {
  equipWorker(worker, { settings, tables }) {
    worker.addEnvironment(ENV.devicesTable, tables.devices.tableName);
    // The user's devices, and forgetting one whose endpoint is gone: the device item goes, and the user's list of
    // devices loses it (that list and its timestamp are all the push worker may change of a user).
    allowTableActions(worker, tables.devices, 'GetItem', 'BatchGetItem', 'DeleteItem');
    allowAttributeUpdates(worker, tables.users, ['user_id', 'device_ids', 'updated_at']);
    const endpoints = pushEndpointArns(settings);
    if (endpoints.length > 0) {
      worker.addToRolePolicy(
        new PolicyStatement({ actions: ['sns:Publish', 'sns:DeleteEndpoint'], resources: endpoints }),
      );
      acknowledgeEndpointWildcards(worker, endpoints);
    }
  },

  addFeedback(scope, context) {
    const { tables, settings } = context;
    const { topic, feedback } = addFeedbackPath(scope, {
      channel: 'push',
      publisher: SNS,
      keyDescription: "Encrypts the push applications' endpoint events",
      functionDescription: 'Forgets the push devices whose SNS endpoint was disabled or deleted',
      environment: { [ENV.devicesTable]: tables.devices.tableName, [ENV.usersTable]: tables.users.tableName },
    });
    topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [SNS],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
      }),
    );
    // The device by its endpoint (the index, then the item), and forgetting it as the worker does: the device item
    // goes, the user's list of devices loses it, and its endpoint is deleted.
    allowIndexQuery(feedback, tables.devices, DEVICES_BY_ENDPOINT_INDEX);
    allowTableActions(feedback, tables.devices, 'GetItem', 'DeleteItem');
    allowAttributeUpdates(feedback, tables.users, ['user_id', 'device_ids', 'updated_at']);
    const endpoints = pushEndpointArns(settings);
    if (endpoints.length > 0) {
      feedback.addToRolePolicy(
        new PolicyStatement({ actions: ['sns:GetEndpointAttributes', 'sns:DeleteEndpoint'], resources: endpoints }),
      );
      acknowledgeEndpointWildcards(feedback, endpoints);
    }
    sendApplicationEvents(scope, context, topic);
  },
};

/**
 * The configured applications are imported by ARN (their credentials never pass through the stack), so their event
 * attributes are set by SetPlatformApplicationAttributes: each event to the feedback topic, and cleared again when the
 * stack goes. One custom resource per application, allowed that one call on that one application.
 */
function sendApplicationEvents(scope: Construct, { settings }: FeedbackContext, topic: ITopic): void {
  const applications = [
    ['Apns', settings.push.apnsPlatformApplicationArn],
    ['Fcm', settings.push.fcmPlatformApplicationArn],
  ] as const;
  for (const [name, arn] of applications) {
    if (!arn) continue;
    const setEvents = (topicArn: string): AwsSdkCall => ({
      service: 'SNS',
      action: 'setPlatformApplicationAttributes',
      parameters: {
        PlatformApplicationArn: arn,
        Attributes: Object.fromEntries(PUSH_EVENT_ATTRIBUTES.map((attribute) => [attribute, topicArn])),
      },
      physicalResourceId: PhysicalResourceId.of(`${arn}/events`),
      logging: Logging.withDataHidden(),
    });
    const events = new AwsCustomResource(scope, `${name}ApplicationEvents`, {
      onUpdate: setEvents(topic.topicArn),
      // An empty value turns an event off; an application deleted meanwhile has nothing to turn off.
      onDelete: { ...setEvents(''), ignoreErrorCodesMatching: 'NotFound' },
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ['sns:SetPlatformApplicationAttributes'], resources: [arn] }),
      ]),
      installLatestAwsSdk: false,
    });
    Validations.of(events.grantPrincipal as unknown as IConstruct).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "The CDK's AWS custom resource function writes its own logs with Lambda's standard permission",
    });
  }
}

/** The endpoints SNS creates under the configured platform applications (app/GCM/name -> endpoint/GCM/name/*). */
export function pushEndpointArns(settings: PlatformSettings): string[] {
  return [settings.push.apnsPlatformApplicationArn, settings.push.fcmPlatformApplicationArn]
    .filter((arn): arn is string => arn !== undefined)
    .map((arn) => {
      const parts = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
      return Arn.format({ ...parts, resource: 'endpoint', resourceName: `${parts.resourceName}/*` });
    });
}

/** SNS creates one endpoint per device under its platform application: their ARNs cannot be known in advance. */
export function acknowledgeEndpointWildcards(fn: IConstruct, endpoints: readonly string[]): void {
  for (const endpoint of endpoints) {
    Validations.of(fn).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${endpoint}]`,
      reason: "Device endpoints are created at run time; the grant covers only the configured application's endpoints",
    });
  }
}
