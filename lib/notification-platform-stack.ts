import { Arn, ArnFormat, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { EmailIdentity } from 'aws-cdk-lib/aws-ses';
import type { Construct, IConstruct } from 'constructs';
import { ENV, QUEUE_URL_VARIABLE } from '../lambdas/shared/environment.js';
import type { PlatformSettings } from './config/platform-settings.js';
import { NotificationApi } from './notification-api.js';
import { NotificationChannel } from './notification-channel.js';
import { NotificationFunction, type NotificationFunctionProps } from './notification-function.js';
import { NotificationTables } from './notification-tables.js';
import { CHANNELS, type Channel } from './platform-config.js';
import { PlatformOperations } from './platform-operations.js';
import { PreferencesCache } from './preferences-cache.js';

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
    const sender = EmailIdentity.fromEmailIdentityName(this, 'Sender', settings.email.sender);
    sender.grantSendEmail(email.worker);
    if (settings.email.configurationSet) {
      email.worker.addToRolePolicy(
        new PolicyStatement({
          actions: ['ses:SendEmail'],
          resources: [
            this.formatArn({
              service: 'ses',
              resource: 'configuration-set',
              resourceName: settings.email.configurationSet,
            }),
          ],
        }),
      );
    }
    this.twilioSecret?.grantRead(sms.worker);

    this.tables.devices.grantReadWriteData(push.worker);
    this.tables.users.grantWriteData(push.worker);
    const endpoints = this.pushEndpointArns(settings);
    if (endpoints.length > 0) {
      push.worker.addToRolePolicy(
        new PolicyStatement({ actions: ['sns:Publish', 'sns:DeleteEndpoint'], resources: endpoints }),
      );
      acknowledgeEndpointWildcards(push.worker, endpoints);
    }
  }

  private apiFunctions(settings: PlatformSettings) {
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
    if (cache) cache.grantRead(ingest);
    else this.tables.users.grantReadData(ingest);
    this.tables.templates.grantReadData(ingest);
    this.tables.notifications.grantReadWriteData(ingest);
    for (const channel of CHANNELS) this.channels[channel].queue.queue.grantSendMessages(ingest);

    const notificationStatus = fn('NotificationStatus', 'notification-status/handler.ts', {
      description: 'Shows a notification and the status of each channel',
    });
    this.tables.notifications.grantReadData(notificationStatus);

    const preferences = fn('Preferences', 'preferences/handler.ts', { description: 'Reads and saves preferences' });
    this.tables.users.grantReadWriteData(preferences);

    const contacts = fn('Contacts', 'contacts/handler.ts', { description: 'Saves contacts' });
    this.tables.users.grantWriteData(contacts);

    const devices = fn('Devices', 'devices/handler.ts', {
      description: 'Registers and removes push devices',
      environment: {
        ...(settings.push.apnsPlatformApplicationArn
          ? { [ENV.apnsPlatformApplicationArn]: settings.push.apnsPlatformApplicationArn }
          : {}),
        ...(settings.push.fcmPlatformApplicationArn
          ? { [ENV.fcmPlatformApplicationArn]: settings.push.fcmPlatformApplicationArn }
          : {}),
      },
    });
    this.tables.devices.grantReadWriteData(devices);
    this.tables.users.grantWriteData(devices);
    const applications = [settings.push.apnsPlatformApplicationArn, settings.push.fcmPlatformApplicationArn].filter(
      (arn): arn is string => arn !== undefined,
    );
    if (applications.length > 0) {
      devices.addToRolePolicy(
        new PolicyStatement({ actions: ['sns:CreatePlatformEndpoint'], resources: applications }),
      );
      const endpoints = this.pushEndpointArns(settings);
      devices.addToRolePolicy(
        new PolicyStatement({
          actions: ['sns:GetEndpointAttributes', 'sns:SetEndpointAttributes', 'sns:DeleteEndpoint'],
          resources: endpoints,
        }),
      );
      acknowledgeEndpointWildcards(devices, endpoints);
    }

    const templates = fn('Templates', 'templates/handler.ts', { description: 'Reads and saves templates' });
    this.tables.templates.grantReadWriteData(templates);

    return { ingest, notificationStatus, preferences, contacts, devices, templates };
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
