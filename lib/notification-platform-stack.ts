import { Annotations, Aspects, CfnOutput, Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { PUSH_VARIABLES } from '../lambdas/channels/push/channel.js';
import { acknowledgeEndpointWildcards, pushEndpointArns } from '../lambdas/channels/push/infrastructure.js';
import { CHANNELS, type Channel } from '../lambdas/channels/registry.js';
import { CANCEL_KEY_PREFIX, NOTIFICATION_KEY_PREFIX } from '../lambdas/shared/adapters/notifications-store.js';
import {
  CONSENT_ATTRIBUTES,
  PRODUCER_PREFERENCE_ATTRIBUTES,
  SWITCH_BACK_ON_ATTRIBUTES,
} from '../lambdas/shared/adapters/users-store.js';
import { RECEIPT_KEY_PREFIX } from '../lambdas/shared/adapters/webhook-receipts.js';
import { ENV, QUEUE_URL_VARIABLE } from '../lambdas/shared/platform/environment.js';
import type { ApiFunction } from '../lambdas/shared/platform/operations.js';
import {
  DAX_CLIENT_PACKAGE,
  HANDLER_MODULES,
  NOTIFICATIONS_BY_PRODUCER_INDEX,
  NOTIFICATIONS_BY_USER_INDEX,
  USERS_BY_PHONE_NUMBER_INDEX,
} from '../lambdas/shared/platform/resources.js';
import { BroadcastFanOut } from './broadcast-fan-out.js';
import type { ChannelInfrastructure } from './channel-infrastructure.js';
import { NotificationApi } from './notification-api.js';
import { NotificationChannel } from './notification-channel.js';
import { NotificationFunction, type NotificationFunctionProps } from './notification-function.js';
import { NotificationScheduler } from './notification-scheduler.js';
import { NotificationTables } from './notification-tables.js';
import { PersonErasure } from './person-erasure.js';
import { PlatformKeys } from './platform-keys.js';
import { PlatformOperations } from './platform-operations.js';
import { PreferencesCache } from './preferences-cache.js';
import { categoryCatalogue, linkLifetimesVariable, type PlatformSettings } from './settings.js';
import { PRODUCTION_STAGE } from './stage.js';
import { StateEvents } from './state-events.js';
import { allowAttributeUpdates, allowIndexQuery, allowTableActions, allowTableActionsOnKeys } from './table-access.js';
import { TemplateAcknowledgements } from './template-acknowledgements.js';
import { Webhooks } from './webhooks.js';

export interface NotificationPlatformStackProps extends StackProps {
  /** The stage this stack deploys (lib/stage.ts): its tags and its resources' names carry it. */
  readonly stage: string;
  /** The stage's settings file, validated. */
  readonly settings: PlatformSettings;
  /** Each channel's part of the stack, from its folder: `await loadChannelInfrastructure()`. */
  readonly channelInfrastructure: Readonly<Record<Channel, ChannelInfrastructure>>;
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
  /** The keys that sign recipients' links (unsubscribe, preference page). */
  public readonly consentKeys: PlatformKeys;
  /** The peppers that key addresses on the suppression list. */
  public readonly suppressionKeys: PlatformKeys;
  /** Erasing people, and making it again until it converges. */
  public erasure?: PersonErasure;
  public readonly scheduler: NotificationScheduler;
  public readonly broadcasts: BroadcastFanOut;
  /** Every change of a notification's state, on the stack's event bus. */
  public readonly stateEvents: StateEvents;
  /** The state events delivered to producers' endpoints, signed. */
  public readonly webhooks: Webhooks;

  constructor(scope: Construct, id: string, props: NotificationPlatformStackProps) {
    super(scope, id, props);
    const { settings, stage } = props;
    // On every resource that takes tags: a bill, a console search or an IAM condition can tell the stages apart.
    Tags.of(this).add('stage', stage);
    this.tables = new NotificationTables(this, 'Tables', {
      protectData: settings.protectData ?? stage === PRODUCTION_STAGE,
    });
    const operations = new PlatformOperations(this, 'Operations', {
      stage,
      alarms: settings.alarms,
    });
    if (settings.preferencesCache.enabled) {
      this.preferencesCache = new PreferencesCache(this, 'PreferencesCache', {
        settings: settings.preferencesCache,
        tables: this.tables,
      });
    }

    // The template linters' findings that do not apply here, acknowledged in the template with their reasons.
    Aspects.of(this).add(new TemplateAcknowledgements());
    this.consentKeys = new PlatformKeys(this, 'ConsentKeys', {
      description: "Signs recipients' links (unsubscribe, preference page): JSON {current, previous?}",
      arnVariable: ENV.consentKeysSecretArn,
      rotatedBy:
        'a rotation must keep the previous key valid for links already sent, which a rotation Lambda would have to ' +
        'know; it is a documented two-step procedure instead',
    });
    this.suppressionKeys = new PlatformKeys(this, 'SuppressionKeys', {
      description:
        'Peppers that key addresses on the suppression list: JSON {current, previous?: [...], rekeyed?}; npm run ' +
        'suppressions -- rotate replaces it',
      arnVariable: ENV.suppressionKeysSecretArn,
      // Made here over an earlier release: its unpeppered entries are found until `npm run suppressions -- rekey`.
      template: { previous: [], rekeyed: false },
      rotatedBy:
        'a rotation re-keys every suppression from its stored key, which `npm run suppressions -- rotate` does; a ' +
        'rotation Lambda would have to scan the table in its 15 minutes',
    });
    const channels = {} as Record<Channel, NotificationChannel>;
    for (const channel of CHANNELS) {
      channels[channel] = new NotificationChannel(this, `${capitalize(channel)}Channel`, {
        channel,
        throughput: settings.channels[channel],
        tables: this.tables,
        alarmThresholds: settings.alarms,
        alarmAction: operations.alarmAction,
        infrastructure: props.channelInfrastructure[channel],
        settings,
        consentKeys: this.consentKeys,
        suppressionKeys: this.suppressionKeys,
      });
      operations.watchChannel(channels[channel]);
    }
    this.channels = channels;
    announceReservedConcurrency(this, settings);
    this.scheduler = new NotificationScheduler(this, 'Scheduler', {
      context: { settings, tables: this.tables, consentKeys: this.consentKeys, suppressionKeys: this.suppressionKeys },
      channels,
      categoriesVariable: JSON.stringify(categoryCatalogue(settings)),
      alarmAction: operations.alarmAction,
    });

    this.broadcasts = new BroadcastFanOut(this, 'Broadcasts', {
      context: { settings, tables: this.tables, consentKeys: this.consentKeys, suppressionKeys: this.suppressionKeys },
      channels,
      categoriesVariable: JSON.stringify(categoryCatalogue(settings)),
      alarmAction: operations.alarmAction,
    });
    this.broadcasts.allowStarting(this.scheduler.dispatch);
    this.stateEvents = new StateEvents(this, 'StateEvents', {
      notifications: this.tables.notifications,
      subscriberAccounts: settings.events.subscriberAccounts,
      alarmAction: operations.alarmAction,
    });
    this.webhooks = new Webhooks(this, 'Webhooks', {
      bus: this.stateEvents.bus,
      table: this.tables.webhooks,
      alarmAction: operations.alarmAction,
    });

    this.api = new NotificationApi(this, 'Api', {
      stage,
      producers: settings.producers,
      stageThrottle: settings.api,
      firewall: props.firewall,
      allowedSources: settings.api.allowedSources,
      requestsPerSourceIpPer5Minutes: settings.api.requestsPerSourceIpPer5Minutes,
      keyless: settings.api.keyless,
      domainName: settings.api.domainName,
    });
    this.api.route(this.apiFunctions(settings, props, operations));
    // Where providers call back: the workers give it to them (Twilio's StatusCallback).
    for (const channel of CHANNELS) this.channels[channel].worker.addEnvironment(ENV.publicApiUrl, this.api.publicUrl);
    operations.watchApi(this.api, settings.alarms.api5xxPerFiveMinutes);

    new CfnOutput(this, 'ApiUrl', {
      description: 'Where producers call, with their API keys',
      value: this.api.api.url,
    });
    new CfnOutput(this, 'PublicApiUrl', {
      description:
        "Where recipients' links and Twilio's webhooks point: set the Twilio number's incoming-message webhook to this URL followed by /webhooks/twilio/inbound",
      value: this.api.publicUrl,
    });
    if (this.api.domain)
      new CfnOutput(this, 'ApiDomainTarget', {
        description: `Point ${settings.api.domainName?.name} here: a CNAME, or a Route 53 alias`,
        value: this.api.domain.domainNameAliasDomainName,
      });
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
      Suppressions: this.tables.suppressions,
      Topics: this.tables.topics,
      Webhooks: this.tables.webhooks,
    })) {
      new CfnOutput(this, `${name}TableName`, { value: table.tableName });
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: operations.topic.topicArn });
    new CfnOutput(this, 'EventBusName', {
      description: "Where every change of a notification's state is published (docs/events.md): put rules on it",
      value: this.stateEvents.bus.eventBusName,
    });
    new CfnOutput(this, 'EventBusArn', { value: this.stateEvents.bus.eventBusArn });
    new CfnOutput(this, 'ConsentKeysSecretArn', {
      description:
        "The keys that sign recipients' links, JSON {current, previous?}; docs/operations.md says how to rotate them",
      value: this.consentKeys.secret.secretArn,
    });
    new CfnOutput(this, 'SuppressionKeysSecretArn', {
      description:
        'The peppers that key addresses on the suppression list; npm run suppressions -- rotate rotates them',
      value: this.suppressionKeys.secret.secretArn,
    });
  }

  private apiFunctions(
    settings: PlatformSettings,
    props: NotificationPlatformStackProps,
    operations: PlatformOperations,
  ): Record<ApiFunction, NotificationFunction> {
    const context = {
      settings,
      tables: this.tables,
      consentKeys: this.consentKeys,
      suppressionKeys: this.suppressionKeys,
    };
    const shared = {
      [ENV.producers]: this.api.producersVariable(settings.producers),
      [ENV.categories]: JSON.stringify(categoryCatalogue(settings)),
      [ENV.usersTable]: this.tables.users.tableName,
      [ENV.templatesTable]: this.tables.templates.tableName,
      [ENV.notificationsTable]: this.tables.notifications.tableName,
      [ENV.devicesTable]: this.tables.devices.tableName,
      [ENV.suppressionsTable]: this.tables.suppressions.tableName,
      [ENV.topicsTable]: this.tables.topics.tableName,
      [ENV.publicApiUrl]: this.api.publicUrl,
    };
    const fn = (id: string, name: ApiFunction, extra: Partial<NotificationFunctionProps> = {}) =>
      new NotificationFunction(this, id, {
        handlerModule: HANDLER_MODULES.api(name),
        serviceName: name,
        ...extra,
        environment: { ...shared, ...extra.environment },
      });
    const { users, devices: devicesTable, notifications, templates: templatesTable } = this.tables;

    const cache = this.preferencesCache;
    const ingest = fn('Ingest', 'ingest', {
      description: 'Accepts notifications and queues one job per channel',
      environment: {
        ...Object.fromEntries(
          CHANNELS.map((channel) => [QUEUE_URL_VARIABLE[channel], this.channels[channel].queue.queue.queueUrl]),
        ),
        ...(cache ? { [ENV.daxEndpoint]: cache.endpoint } : {}),
        [ENV.maxScheduleDays]: String(settings.schedule.maxDaysAhead),
      },
      ...(cache
        ? { vpc: cache.vpc, securityGroups: [cache.clientSecurityGroup] }
        : { bundling: { externalModules: [DAX_CLIENT_PACKAGE] } }),
    });
    cache?.grantRead(ingest);
    this.scheduler.allowScheduling(ingest);
    this.broadcasts.allowStarting(ingest);
    // A broadcast's topic: who owns it.
    allowTableActions(ingest, this.tables.topics, 'GetItem');
    // GetItem on the table itself even with the cache: a skip is confirmed on a consistent read.
    allowTableActions(ingest, users, 'GetItem');
    allowTableActions(ingest, templatesTable, 'GetItem');
    // Whether the addresses it would send to are suppressed: one read (a GetItem for one key, a BatchGetItem for more),
    // by their keys under the suppression keys' peppers.
    allowTableActions(ingest, this.tables.suppressions, 'GetItem', 'BatchGetItem');
    this.suppressionKeys.allowRead(ingest);
    // The notification (PutItem, or a TransactWriteItems of two Puts with its idempotency key), the key's claim read
    // and updated, the enqueue outcome.
    allowTableActions(ingest, notifications, 'GetItem', 'PutItem', 'UpdateItem');
    ingest.addToRolePolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: CHANNELS.map((channel) => this.channels[channel].queue.queue.queueArn),
      }),
    );

    const notificationStatus = fn('NotificationStatus', 'notification-status', {
      description: 'Shows a notification and the status of each channel, and searches the log of notifications',
    });
    // The record; a broadcast's progress, two small items beside it, in one BatchGetItem.
    allowTableActions(notificationStatus, notifications, 'GetItem', 'BatchGetItem');
    // The log a producer searches: its shards of the producers' index, or the person's index, newest first.
    allowIndexQuery(notificationStatus, notifications, NOTIFICATIONS_BY_PRODUCER_INDEX);
    allowIndexQuery(notificationStatus, notifications, NOTIFICATIONS_BY_USER_INDEX);

    const cancellation = fn('Cancellation', 'cancellation', {
      description: 'Cancels notifications: a scheduled one whole, a dispatched one on the channels not yet sent',
    });
    // The record read and its conditional writes, and the channels' delivery claims put as cancelled: notification
    // items only; the lists of a cancel key read; the template, for the channels a scheduled one would have used.
    allowTableActionsOnKeys(cancellation, notifications, [NOTIFICATION_KEY_PREFIX], 'GetItem', 'UpdateItem', 'PutItem');
    allowTableActionsOnKeys(cancellation, notifications, [CANCEL_KEY_PREFIX], 'Query');
    allowTableActions(cancellation, templatesTable, 'GetItem');

    const preferences = fn('Preferences', 'preferences', { description: 'Reads and saves preferences' });
    // A producer's write never touches what the person said themselves (their unsubscribes, a STOP).
    allowTableActions(preferences, users, 'GetItem');
    allowAttributeUpdates(preferences, users, PRODUCER_PREFERENCE_ATTRIBUTES);

    const contacts = fn('Contacts', 'contacts', { description: 'Saves contacts' });
    allowTableActions(contacts, users, 'UpdateItem');

    const devices = fn('Devices', 'devices', {
      description: 'Registers and removes push devices',
      environment: {
        [PUSH_VARIABLES.maxDevicesPerUser]: String(settings.push.maxDevicesPerUser),
        ...(settings.push.apnsPlatformApplicationArn
          ? { [PUSH_VARIABLES.apnsPlatformApplicationArn]: settings.push.apnsPlatformApplicationArn }
          : {}),
        ...(settings.push.fcmPlatformApplicationArn
          ? { [PUSH_VARIABLES.fcmPlatformApplicationArn]: settings.push.fcmPlatformApplicationArn }
          : {}),
      },
    });
    allowTableActions(devices, devicesTable, 'GetItem', 'BatchGetItem', 'PutItem', 'DeleteItem');
    allowTableActions(devices, users, 'GetItem', 'UpdateItem');
    const applications = [settings.push.apnsPlatformApplicationArn, settings.push.fcmPlatformApplicationArn].filter(
      (arn): arn is string => arn !== undefined,
    );
    const endpoints = pushEndpointArns(settings);
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

    const userErasure = fn('UserErasure', 'user-erasure', {
      description: 'Erases a person: devices, preferences, contacts, their texts at Twilio, their name on records',
      // Thousands of records are erased 16 at a time; a call cut short is finished by the next pass.
      timeout: Duration.seconds(60),
    });
    this.erasure = new PersonErasure(this, 'Erasure', {
      firstPass: userErasure,
      context,
      channelInfrastructure: props.channelInfrastructure,
      pushEndpoints: endpoints,
      alarmAction: operations.alarmAction,
    });

    const templates = fn('Templates', 'templates', {
      description: 'Reads and saves templates',
      // A template is rendered once when saved, to refuse one that exceeds the render limits.
      rendersTemplates: true,
    });
    // Scan: GET /templates lists them all, a page at a time.
    allowTableActions(templates, templatesTable, 'GetItem', 'UpdateItem', 'Scan');
    for (const channel of CHANNELS) props.channelInfrastructure[channel].equipTemplates?.(templates, context);

    const suppressions = fn('Suppressions', 'suppressions', {
      description: 'Shows and lifts the suppression of an address',
    });
    // An address looked up by its keys (one, or two while re-keying), a suppression lifted by its key.
    allowTableActions(suppressions, this.tables.suppressions, 'GetItem', 'BatchGetItem', 'DeleteItem');
    this.suppressionKeys.allowRead(suppressions);

    const smsWebhooks = fn('SmsWebhooks', 'sms-webhooks', {
      description: "Twilio's webhooks, signatures checked: status callbacks, and STOP, START and HELP texted in",
    });
    // Outcomes on notification items, and receipts of texts acted on (read, then written once acted on): those items
    // of the notifications table, and no other.
    allowTableActionsOnKeys(smsWebhooks, notifications, [NOTIFICATION_KEY_PREFIX], 'UpdateItem');
    allowTableActionsOnKeys(smsWebhooks, notifications, [RECEIPT_KEY_PREFIX], 'GetItem', 'PutItem');
    // Who texted STOP: the phone number's index, then that SMS switch and nothing else of the person; HELP is
    // answered in the person's language (their item).
    allowIndexQuery(smsWebhooks, users, USERS_BY_PHONE_NUMBER_INDEX);
    allowTableActions(smsWebhooks, users, 'GetItem');
    allowAttributeUpdates(smsWebhooks, users, SWITCH_BACK_ON_ATTRIBUTES('sms'));
    props.channelInfrastructure.sms.equipWebhooks?.(smsWebhooks, context);

    const consent = fn('Consent', 'consent', {
      description: "A recipient's links: one-click unsubscribe and the preference page, their tokens checked",
      environment: { [ENV.linkLifetimes]: JSON.stringify(linkLifetimesVariable(settings)) },
    });
    this.consentKeys.allowRead(consent);
    // The person as they are, and their own choices written back: preferences and unsubscribes only.
    allowTableActions(consent, users, 'GetItem');
    allowAttributeUpdates(consent, users, CONSENT_ATTRIBUTES);

    const topics = fn('Topics', 'topics', { description: "Subscribes people to producers' topics, and lists them" });
    // A topic's owner read, and claimed by a conditional put; subscriptions written 25 to a BatchWriteItem, deleted one
    // by one, and read a page at a time with a Query of the topic's items.
    allowTableActions(topics, this.tables.topics, 'GetItem', 'PutItem', 'BatchWriteItem', 'DeleteItem', 'Query');

    const webhooks = fn('WebhookEndpoints', 'webhooks', {
      description: "A producer's webhook endpoints: registered, read, deleted, their secrets rotated, their attempts",
      environment: { [ENV.webhooksTable]: this.tables.webhooks.tableName },
    });
    // An endpoint and its producer's count are written in one transaction (the limit), read by key, and its attempts
    // read a page at a time.
    allowTableActions(webhooks, this.tables.webhooks, 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query');

    const apiDescription = fn('ApiDescription', 'api-description', {
      description: "Serves the API's OpenAPI description",
    });

    return {
      ingest,
      'notification-status': notificationStatus,
      cancellation,
      preferences,
      contacts,
      devices,
      'user-erasure': userErasure,
      templates,
      'api-description': apiDescription,
      suppressions,
      'sms-webhooks': smsWebhooks,
      consent,
      topics,
      webhooks,
    };
  }
}

/** What the workers reserve, said at synth: an account whose Lambda quota is too low refuses the stack at deploy. */
function announceReservedConcurrency(stack: Stack, settings: PlatformSettings): void {
  const reserving = CHANNELS.filter((channel) => settings.channels[channel].reserveConcurrency);
  if (reserving.length === 0) return;
  // A worker reserves its two lanes' maximum concurrency: critical and bulk.
  const reserved = (channel: Channel) =>
    settings.channels[channel].maxConcurrency + settings.channels[channel].bulk.maxConcurrency;
  const total = reserving.reduce((sum, channel) => sum + reserved(channel), 0);
  Annotations.of(stack).addInfo(
    `The channel workers reserve ${total} concurrent executions (${reserving.map((channel) => `${channel} ${reserved(channel)}`).join(', ')}): ` +
      `the account's Lambda concurrency quota must be at least ${total + 100} (Lambda keeps 100 unreserved). ` +
      'A new account may have a quota of 10: request an increase (Service Quotas, "Concurrent executions"), or set ' +
      'channels.<channel>.reserveConcurrency: false in platform.config.ts.',
  );
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
