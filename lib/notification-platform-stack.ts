import { Arn, ArnFormat, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct, IConstruct } from 'constructs';
import { NOTIFICATIONS_BY_USER_INDEX } from '../lambdas/shared/adapters/notifications-store.js';
import { ENV, QUEUE_URL_VARIABLE } from '../lambdas/shared/environment.js';
import type { PlatformSettings } from './config/platform-settings.js';
import { type ApiFunctions, NotificationApi } from './notification-api.js';
import { NotificationChannel } from './notification-channel.js';
import { NotificationFunction, type NotificationFunctionProps } from './notification-function.js';
import { NotificationTables } from './notification-tables.js';
import { CHANNELS, type Channel } from './platform-config.js';
import { PlatformOperations } from './platform-operations.js';
import { PreferencesCache } from './preferences-cache.js';
import { allowAttributeUpdates, allowIndexQuery, allowTableActions } from './table-access.js';

export interface NotificationPlatformStackProps extends StackProps {
  /** The validated contents of platform.config.ts. */
  readonly settings: PlatformSettings;
  /**
   * Keep tables on stack deletion and turn on their deletion protection.
   * @default true in the "production" environment, false elsewhere
   */
  readonly protectData?: boolean;
  /**
   * AWS WAF in front of the API.
   * @default true
   */
  readonly firewall?: boolean;
}

/** The whole platform: the API and its functions, the tables, the preferences cache, three channels, operations. */
export class NotificationPlatformStack extends Stack {
  public readonly tables: NotificationTables;
  public readonly api: NotificationApi;
  public readonly channels: Readonly<Record<Channel, NotificationChannel>>;
  public readonly preferencesCache?: PreferencesCache;
  /** Where the SMS worker reads Twilio's credentials: created empty, or imported by ARN. */
  private twilioSecret?: ISecret;

  constructor(scope: Construct, id: string, props: NotificationPlatformStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.tables = new NotificationTables(this, 'Tables', {
      protectData: props.protectData ?? settings.environment === 'production',
    });
    const operations = new PlatformOperations(this, 'Operations', {
      environment: settings.environment,
      alarms: settings.alarms,
    });
    if (settings.preferencesCache.enabled) {
      this.preferencesCache = new PreferencesCache(this, 'PreferencesCache', {
        settings: settings.preferencesCache,
        tables: this.tables,
      });
    }

    const channels = {} as Record<Channel, NotificationChannel>;
    for (const channel of CHANNELS) {
      channels[channel] = new NotificationChannel(this, `${capitalize(channel)}Channel`, {
        channel,
        throughput: settings.channels[channel],
        tables: this.tables,
        alarmThresholds: settings.alarms,
        alarmAction: operations.alarmAction,
        environment: this.providerEnvironment(channel, settings),
      });
      operations.watchChannel(channels[channel]);
    }
    this.channels = channels;
    this.grantProviders(settings);

    this.api = new NotificationApi(this, 'Api', {
      environment: settings.environment,
      producers: settings.producers,
      stageThrottle: settings.api,
      firewall: props.firewall,
      allowedSources: settings.api.allowedSources,
      requestsPerSourceIpPer5Minutes: settings.api.requestsPerSourceIpPer5Minutes,
    });
    this.api.route(this.apiFunctions(settings));
    operations.watchApi(this.api, settings.alarms.api5xxPerFiveMinutes);

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url });
    for (const channel of CHANNELS) {
      new CfnOutput(this, `${capitalize(channel)}QueueUrl`, { value: channels[channel].queue.queue.queueUrl });
      new CfnOutput(this, `${capitalize(channel)}DeadLetterQueueUrl`, {
        value: channels[channel].queue.deadLetterQueue.queueUrl,
      });
    }
    for (const [name, table] of Object.entries({
      Users: this.tables.users,
      Devices: this.tables.devices,
      Notifications: this.tables.notifications,
      Templates: this.tables.templates,
    })) {
      new CfnOutput(this, `${name}TableName`, { value: table.tableName });
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: operations.topic.topicArn });
  }

  private providerEnvironment(channel: Channel, settings: PlatformSettings): Record<string, string> {
    switch (channel) {
      case 'email':
        return {
          [ENV.sesSender]: settings.email.sender,
          ...(settings.email.configurationSet ? { [ENV.sesConfigurationSet]: settings.email.configurationSet } : {}),
        };
      case 'sms':
        this.twilioSecret = settings.sms.twilioSecretArn
          ? Secret.fromSecretCompleteArn(this, 'TwilioCredentials', settings.sms.twilioSecretArn)
          : this.createTwilioSecret();
        return { [ENV.twilioSecretArn]: this.twilioSecret.secretArn };
      case 'push':
        return { [ENV.devicesTable]: this.tables.devices.tableName };
    }
  }

  private createTwilioSecret(): Secret {
    const secret = new Secret(this, 'TwilioCredentials', {
      description:
        'Twilio credentials of the SMS worker, JSON {account_sid, auth_token, messaging_service_sid | from_number}',
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason: "Twilio's auth token is issued and rotated in Twilio's console, then stored here; AWS cannot rotate it",
    });
    return secret;
  }

  /** Each worker may use its own provider and nothing else. */
  private grantProviders(settings: PlatformSettings): void {
    const { email, sms, push } = this.channels;
    // SendEmail alone: EmailIdentity.grantSendEmail would add SendRawEmail, which nothing here calls.
    email.worker.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          this.formatArn({ service: 'ses', resource: 'identity', resourceName: settings.email.sender }),
          ...(settings.email.configurationSet
            ? [
                this.formatArn({
                  service: 'ses',
                  resource: 'configuration-set',
                  resourceName: settings.email.configurationSet,
                }),
              ]
            : []),
        ],
      }),
    );
    if (this.twilioSecret) {
      // Read, not described: grantRead would add secretsmanager:DescribeSecret, which the worker never calls.
      sms.worker.addToRolePolicy(
        new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.twilioSecret.secretArn] }),
      );
    }

    // The user's devices, and forgetting one whose endpoint is gone: the device item goes, and the user's list of
    // devices loses it (that list and its timestamp are all the push worker may change of a user).
    allowTableActions(push.worker, this.tables.devices, 'GetItem', 'BatchGetItem', 'DeleteItem');
    allowAttributeUpdates(push.worker, this.tables.users, ['user_id', 'device_ids', 'updated_at']);
    const endpoints = this.pushEndpointArns(settings);
    if (endpoints.length > 0) {
      push.worker.addToRolePolicy(
        new PolicyStatement({ actions: ['sns:Publish', 'sns:DeleteEndpoint'], resources: endpoints }),
      );
      acknowledgeEndpointWildcards(push.worker, endpoints);
    }
  }

  private apiFunctions(settings: PlatformSettings): ApiFunctions {
    const shared = {
      [ENV.producers]: this.api.producersVariable(settings.producers),
      [ENV.usersTable]: this.tables.users.tableName,
      [ENV.templatesTable]: this.tables.templates.tableName,
      [ENV.notificationsTable]: this.tables.notifications.tableName,
      [ENV.devicesTable]: this.tables.devices.tableName,
    };
    const fn = (id: string, handlerModule: string, extra: Partial<NotificationFunctionProps> = {}) =>
      new NotificationFunction(this, id, {
        handlerModule,
        serviceName: handlerModule.split('/')[0] ?? id,
        ...extra,
        environment: { ...shared, ...extra.environment },
      });
    const { users, devices: devicesTable, notifications, templates: templatesTable } = this.tables;

    const cache = this.preferencesCache;
    const ingest = fn('Ingest', 'ingest/handler.ts', {
      description: 'Accepts notifications and queues one job per channel',
      environment: {
        ...Object.fromEntries(
          CHANNELS.map((channel) => [QUEUE_URL_VARIABLE[channel], this.channels[channel].queue.queue.queueUrl]),
        ),
        ...(cache ? { [ENV.daxEndpoint]: cache.endpoint } : {}),
      },
      ...(cache ? { vpc: cache.vpc, securityGroups: [cache.clientSecurityGroup] } : {}),
    });
    cache?.grantRead(ingest);
    // GetItem on the table itself even with the cache: a skip is confirmed on a consistent read.
    allowTableActions(ingest, users, 'GetItem');
    allowTableActions(ingest, templatesTable, 'GetItem');
    // The notification (PutItem, or a TransactWriteItems of two Puts with its idempotency key), the key's claim read
    // and updated, the enqueue outcome.
    allowTableActions(ingest, notifications, 'GetItem', 'PutItem', 'UpdateItem');
    ingest.addToRolePolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: CHANNELS.map((channel) => this.channels[channel].queue.queue.queueArn),
      }),
    );

    const notificationStatus = fn('NotificationStatus', 'notification-status/handler.ts', {
      description: 'Shows a notification and the status of each channel',
    });
    allowTableActions(notificationStatus, notifications, 'GetItem');

    const preferences = fn('Preferences', 'preferences/handler.ts', { description: 'Reads and saves preferences' });
    allowTableActions(preferences, users, 'GetItem', 'UpdateItem');

    const contacts = fn('Contacts', 'contacts/handler.ts', { description: 'Saves contacts' });
    allowTableActions(contacts, users, 'UpdateItem');

    const devices = fn('Devices', 'devices/handler.ts', {
      description: 'Registers and removes push devices',
      environment: {
        [ENV.maxDevicesPerUser]: String(settings.push.maxDevicesPerUser),
        ...(settings.push.apnsPlatformApplicationArn
          ? { [ENV.apnsPlatformApplicationArn]: settings.push.apnsPlatformApplicationArn }
          : {}),
        ...(settings.push.fcmPlatformApplicationArn
          ? { [ENV.fcmPlatformApplicationArn]: settings.push.fcmPlatformApplicationArn }
          : {}),
      },
    });
    allowTableActions(devices, devicesTable, 'GetItem', 'BatchGetItem', 'PutItem', 'DeleteItem');
    allowTableActions(devices, users, 'GetItem', 'UpdateItem');
    const applications = [settings.push.apnsPlatformApplicationArn, settings.push.fcmPlatformApplicationArn].filter(
      (arn): arn is string => arn !== undefined,
    );
    const endpoints = this.pushEndpointArns(settings);
    if (applications.length > 0) {
      devices.addToRolePolicy(
        new PolicyStatement({ actions: ['sns:CreatePlatformEndpoint'], resources: applications }),
      );
      devices.addToRolePolicy(
        new PolicyStatement({
          actions: ['sns:GetEndpointAttributes', 'sns:SetEndpointAttributes', 'sns:DeleteEndpoint'],
          resources: endpoints,
        }),
      );
      acknowledgeEndpointWildcards(devices, endpoints);
    }

    const userErasure = fn('UserErasure', 'user-erasure/handler.ts', {
      description: 'Erases a person: devices, preferences, contacts, and their name on notification records',
      // Thousands of records are erased 16 at a time; a call cut short is finished by the next one.
      timeout: Duration.seconds(60),
    });
    allowTableActions(userErasure, devicesTable, 'GetItem', 'BatchGetItem', 'DeleteItem');
    allowTableActions(userErasure, users, 'GetItem', 'UpdateItem', 'DeleteItem');
    allowTableActions(userErasure, notifications, 'UpdateItem');
    allowIndexQuery(userErasure, notifications, NOTIFICATIONS_BY_USER_INDEX);
    if (endpoints.length > 0) {
      userErasure.addToRolePolicy(new PolicyStatement({ actions: ['sns:DeleteEndpoint'], resources: endpoints }));
      acknowledgeEndpointWildcards(userErasure, endpoints);
    }

    const templates = fn('Templates', 'templates/handler.ts', {
      description: 'Reads and saves templates',
      // A template is rendered once when saved, to refuse one that exceeds the render limits.
      rendersTemplates: true,
    });
    allowTableActions(templates, templatesTable, 'GetItem', 'UpdateItem');

    return { ingest, notificationStatus, preferences, contacts, devices, userErasure, templates };
  }

  /** The endpoints SNS creates under the configured platform applications (app/GCM/name -> endpoint/GCM/name/*). */
  private pushEndpointArns(settings: PlatformSettings): string[] {
    return [settings.push.apnsPlatformApplicationArn, settings.push.fcmPlatformApplicationArn]
      .filter((arn): arn is string => arn !== undefined)
      .map((arn) => {
        const parts = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
        return Arn.format({ ...parts, resource: 'endpoint', resourceName: `${parts.resourceName}/*` });
      });
  }
}

/** SNS creates one endpoint per device under its platform application: their ARNs cannot be known in advance. */
function acknowledgeEndpointWildcards(fn: IConstruct, endpoints: readonly string[]): void {
  for (const endpoint of endpoints) {
    Validations.of(fn).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${endpoint}]`,
      reason: "Device endpoints are created at run time; the grant covers only the configured application's endpoints",
    });
  }
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
