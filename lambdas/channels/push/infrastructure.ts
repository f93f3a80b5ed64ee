import { Arn, ArnFormat, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { ChannelInfrastructure } from '../../../lib/channel-infrastructure.js';
import type { PlatformSettings } from '../../../lib/settings.js';
import { allowAttributeUpdates, allowTableActions } from '../../../lib/table-access.js';
import { ENV } from '../../shared/platform/environment.js';

/** The push worker publishes to the person's devices, and forgets a device whose endpoint is gone. */
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
};

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
