import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, type Channel } from '../../lambdas/channels/registry.js';
import { settingsWith, synthStack } from './stack-fixture.js';

/**
 * Every function's role allows exactly the actions its code calls, on exactly the resources it calls them on.
 * Each row below is what one function calls; a grant wider than that (a Scan beyond the templates', a BatchWriteItem
 * beyond the topics', a DeleteItem on the notifications table, SendRawEmail, DescribeSecret) fails this test.
 */
const FCM_APPLICATION = 'arn:aws:sns:eu-west-1:123456789012:app/GCM/acme';
const XRAY = ['xray:PutTelemetryRecords on *', 'xray:PutTraceSegments on *'];
const WORKER = (channel: Channel) => [
  ...XRAY,
  `sqs:ChangeMessageVisibility on ${channel} queue`,
  `sqs:DeleteMessage on ${channel} queue`,
  `sqs:GetQueueAttributes on ${channel} queue`,
  `sqs:ReceiveMessage on ${channel} queue`,
  `sqs:SendMessage on ${channel} queue`,
  `sqs:SendMessage on ${channel} dead-letter queue`,
  // Its bulk lane, a broadcast's jobs, as its own queue; the broadcast's status read (cancelled?).
  `sqs:ChangeMessageVisibility on ${channel} bulk lane`,
  `sqs:DeleteMessage on ${channel} bulk lane`,
  `sqs:GetQueueAttributes on ${channel} bulk lane`,
  `sqs:ReceiveMessage on ${channel} bulk lane`,
  `sqs:SendMessage on ${channel} bulk lane`,
  'dynamodb:GetItem on notifications (keys notification#* only)',
  'dynamodb:GetItem on users',
  'dynamodb:GetItem on templates',
  'dynamodb:PutItem on notifications',
  'dynamodb:UpdateItem on notifications',
  // Whether the address became suppressed: one key, or two while the peppers' rotation is re-keyed.
  'dynamodb:GetItem on suppressions',
  'dynamodb:BatchGetItem on suppressions',
  'secretsmanager:GetSecretValue on the suppression keys',
];
/** A pass of an erasure, the API function's or the follow-up's. */
const ERASURE_PASS = [
  ...XRAY,
  'dynamodb:BatchGetItem on devices',
  'dynamodb:DeleteItem on devices',
  'dynamodb:GetItem on devices',
  'dynamodb:DeleteItem on users',
  'dynamodb:GetItem on users',
  'dynamodb:UpdateItem on users',
  // Soft bounces forgotten, a suppression kept.
  'dynamodb:DeleteItem on suppressions',
  'dynamodb:UpdateItem on suppressions',
  'secretsmanager:GetSecretValue on the suppression keys',
  'dynamodb:Query on notifications/index/by_user',
  'dynamodb:GetItem on notifications (keys notification#* only)',
  'dynamodb:UpdateItem on notifications (keys notification#* only)',
  // Their frequency counters and digest windows, keyed by their id.
  'dynamodb:Query on notifications (keys digest#*, throttle#* only)',
  'dynamodb:DeleteItem on notifications (keys digest#*, throttle#* only)',
  // Their subscriptions, found by the index of subscribers and deleted.
  'dynamodb:Query on topics/index/by_subscriber',
  'dynamodb:DeleteItem on topics',
  'sns:DeleteEndpoint on push endpoints',
  // The texts deleted at Twilio.
  'secretsmanager:GetSecretValue on the Twilio secret',
];

const EXPECTED: Record<string, string[]> = {
  Ingest: [
    ...XRAY,
    'dax:GetItem on the preferences cache',
    'dynamodb:GetItem on users',
    'dynamodb:GetItem on templates',
    'dynamodb:GetItem on notifications',
    'dynamodb:PutItem on notifications',
    'dynamodb:UpdateItem on notifications',
    'dynamodb:GetItem on suppressions',
    'dynamodb:BatchGetItem on suppressions',
    'secretsmanager:GetSecretValue on the suppression keys',
    ...CHANNELS.map((channel) => `sqs:SendMessage on ${channel} queue`),
    // A send due within the lookahead waits on the dispatch queue.
    'sqs:SendMessage on the dispatch queue',
    // A broadcast: its topic's owner read, its fan-out started.
    'dynamodb:GetItem on topics',
    'sqs:SendMessage on the fan-out queue',
  ],
  // A notification read; the log searched through the producers' or the person's index, its records read in batches.
  NotificationStatus: [
    ...XRAY,
    'dynamodb:BatchGetItem on notifications',
    'dynamodb:GetItem on notifications',
    'dynamodb:Query on notifications/index/by_producer',
    'dynamodb:Query on notifications/index/by_user',
  ],
  // A cancel: the record and its claims (notification items only), a cancel key's list, the template's channels.
  Cancellation: [
    ...XRAY,
    'dynamodb:GetItem on notifications (keys notification#* only)',
    'dynamodb:UpdateItem on notifications (keys notification#* only)',
    'dynamodb:PutItem on notifications (keys notification#* only)',
    'dynamodb:Query on notifications (keys cancelkey#* only)',
    'dynamodb:GetItem on templates',
  ],
  // A scheduled notification decided at its time (the one dispatch step) and its jobs queued.
  SchedulerDispatch: [
    ...XRAY,
    'dynamodb:GetItem on users',
    'dynamodb:GetItem on templates',
    'dynamodb:GetItem on suppressions',
    'dynamodb:BatchGetItem on suppressions',
    'secretsmanager:GetSecretValue on the suppression keys',
    // The record, a frequency cap's counters, a digest and its window.
    'dynamodb:GetItem on notifications (keys digest#*, notification#*, throttle#* only)',
    'dynamodb:UpdateItem on notifications (keys digest#*, notification#*, throttle#* only)',
    'dynamodb:PutItem on notifications (keys digest#*, notification#*, throttle#* only)',
    ...CHANNELS.map((channel) => `sqs:SendMessage on ${channel} queue`),
    'sqs:SendMessage on the dispatch queue',
    // A scheduled broadcast's fan-out started at its time; a broadcast's job set aside, back onto its bulk lane.
    'sqs:SendMessage on the fan-out queue',
    ...CHANNELS.map((channel) => `sqs:SendMessage on ${channel} bulk lane`),
    'sqs:ChangeMessageVisibility on the dispatch queue',
    'sqs:DeleteMessage on the dispatch queue',
    'sqs:GetQueueAttributes on the dispatch queue',
    'sqs:ReceiveMessage on the dispatch queue',
  ],
  // A chunk of a broadcast: a page of subscribers, their people and records in batches, each dispatched once.
  BroadcastsFanOut: [
    ...XRAY,
    'dynamodb:Query on topics',
    'dynamodb:BatchGetItem on users',
    'dynamodb:GetItem on templates',
    'dynamodb:GetItem on suppressions',
    'dynamodb:BatchGetItem on suppressions',
    'secretsmanager:GetSecretValue on the suppression keys',
    'dynamodb:GetItem on notifications (keys notification#*, throttle#* only)',
    'dynamodb:BatchGetItem on notifications (keys notification#*, throttle#* only)',
    'dynamodb:PutItem on notifications (keys notification#*, throttle#* only)',
    'dynamodb:UpdateItem on notifications (keys notification#*, throttle#* only)',
    ...CHANNELS.map((channel) => `sqs:SendMessage on ${channel} bulk lane`),
    'sqs:SendMessage on the fan-out queue',
    'sqs:ChangeMessageVisibility on the fan-out queue',
    'sqs:DeleteMessage on the fan-out queue',
    'sqs:GetQueueAttributes on the fan-out queue',
    'sqs:ReceiveMessage on the fan-out queue',
  ],
  // The notifications table's stream read, as Lambda's mapping reads it, and the events put on the stack's bus.
  StateEventsPublisher: [
    ...XRAY,
    'dynamodb:ListStreams on notifications stream',
    'dynamodb:DescribeStream on notifications stream',
    'dynamodb:GetRecords on notifications stream',
    'dynamodb:GetShardIterator on notifications stream',
    'events:PutEvents on the event bus',
  ],
  // What falls due read from the due-time index, queued, and taken out of the index.
  SchedulerDueDrain: [
    ...XRAY,
    'dynamodb:Query on notifications/index/by_due_time',
    'dynamodb:UpdateItem on notifications (keys notification#* only)',
    'sqs:SendMessage on the dispatch queue',
  ],
  ApiDescription: XRAY,
  SmsWebhooks: [
    ...XRAY,
    // Outcomes on notification items; receipts of texts acted on, and nothing else of the table.
    'dynamodb:UpdateItem on notifications (keys notification#* only)',
    'dynamodb:GetItem on notifications (keys receipt#* only)',
    'dynamodb:PutItem on notifications (keys receipt#* only)',
    // Who texted STOP, and their SMS switch only; the language to answer HELP in.
    'dynamodb:Query on users/index/by_phone_number',
    'dynamodb:GetItem on users',
    'dynamodb:UpdateItem on users (preferences, sms_switched_by, updated_at, user_id only)',
    'secretsmanager:GetSecretValue on the Twilio secret',
  ],
  Consent: [
    ...XRAY,
    'dynamodb:GetItem on users',
    'dynamodb:UpdateItem on users (preferences, unsubscribes, updated_at, user_id only)',
    'secretsmanager:GetSecretValue on the link keys',
  ],
  Suppressions: [
    ...XRAY,
    'dynamodb:DeleteItem on suppressions',
    'dynamodb:GetItem on suppressions',
    'dynamodb:BatchGetItem on suppressions',
    'secretsmanager:GetSecretValue on the suppression keys',
  ],
  // Never what the person said themselves: their unsubscribes, a STOP.
  Preferences: [
    ...XRAY,
    'dynamodb:GetItem on users',
    'dynamodb:UpdateItem on users (preferences, updated_at, user_id only)',
  ],
  Contacts: [...XRAY, 'dynamodb:UpdateItem on users'],
  Devices: [
    ...XRAY,
    'dynamodb:BatchGetItem on devices',
    'dynamodb:DeleteItem on devices',
    'dynamodb:GetItem on devices',
    'dynamodb:PutItem on devices',
    'dynamodb:GetItem on users',
    'dynamodb:UpdateItem on users',
    'sns:CreatePlatformEndpoint on push applications',
    'sns:DeleteEndpoint on push endpoints',
    'sns:GetEndpointAttributes on push endpoints',
    'sns:SetEndpointAttributes on push endpoints',
  ],
  UserErasure: [...ERASURE_PASS, 'sqs:SendMessage on the erasure queue'],
  ErasureFollowUp: [
    ...ERASURE_PASS,
    'sqs:ChangeMessageVisibility on the erasure queue',
    'sqs:DeleteMessage on the erasure queue',
    'sqs:GetQueueAttributes on the erasure queue',
    'sqs:ReceiveMessage on the erasure queue',
  ],
  // GET /templates lists every template: a Scan of that table, and of no other.
  Templates: [
    ...XRAY,
    'dynamodb:GetItem on templates',
    'dynamodb:Scan on templates',
    'dynamodb:UpdateItem on templates',
  ],
  // A topic's owner read and claimed; subscriptions written 25 at a time, deleted, and read a page at a time.
  Topics: [
    ...XRAY,
    'dynamodb:GetItem on topics',
    'dynamodb:PutItem on topics',
    'dynamodb:BatchWriteItem on topics',
    'dynamodb:DeleteItem on topics',
    'dynamodb:Query on topics',
  ],
  // A producer's endpoints: written with its count in one transaction, read by key, attempts read a page at a time.
  WebhookEndpoints: [
    ...XRAY,
    'dynamodb:DeleteItem on webhooks',
    'dynamodb:GetItem on webhooks',
    'dynamodb:PutItem on webhooks',
    'dynamodb:Query on webhooks',
    'dynamodb:UpdateItem on webhooks',
  ],
  // Each event's producer's endpoints read; a delivery job per endpoint that wants it, on its lane.
  WebhooksFanOut: [
    ...XRAY,
    'sqs:ChangeMessageVisibility on the webhook events queue',
    'sqs:DeleteMessage on the webhook events queue',
    'sqs:GetQueueAttributes on the webhook events queue',
    'sqs:ReceiveMessage on the webhook events queue',
    'dynamodb:Query on webhooks',
    'sqs:SendMessage on the prompt lane',
    'sqs:SendMessage on the slow lane',
  ],
  // Each lane read (a job not due hidden till its time), a retry onto the slow lane; the endpoint read, its health
  // and the attempt written.
  WebhooksDelivery: [
    ...XRAY,
    ...['ChangeMessageVisibility', 'DeleteMessage', 'GetQueueAttributes', 'ReceiveMessage'].flatMap((action) => [
      `sqs:${action} on the prompt lane`,
      `sqs:${action} on the slow lane`,
    ]),
    'sqs:SendMessage on the slow lane',
    'dynamodb:GetItem on webhooks',
    'dynamodb:PutItem on webhooks',
    'dynamodb:UpdateItem on webhooks',
  ],
  EmailChannelWorker: [
    ...WORKER('email'),
    'ses:SendRawEmail on the sender identity',
    'ses:SendRawEmail on the configuration set',
    // It signs the unsubscribe links of the emails a person may leave, under the person's link generation.
    'secretsmanager:GetSecretValue on the link keys',
    'dynamodb:UpdateItem on users (link_generation, user_id only)',
  ],
  EmailChannelFeedbackFunction: [
    ...XRAY,
    'sqs:DeleteMessage on email feedback queue',
    'sqs:GetQueueAttributes on email feedback queue',
    'sqs:ReceiveMessage on email feedback queue',
    // What it cannot read, set aside.
    'sqs:SendMessage on email feedback DLQ',
    'dynamodb:UpdateItem on notifications (keys notification#* only)',
    'dynamodb:UpdateItem on suppressions',
    'secretsmanager:GetSecretValue on the suppression keys',
  ],
  PushChannelFeedbackFunction: [
    ...XRAY,
    'sqs:DeleteMessage on push feedback queue',
    'sqs:GetQueueAttributes on push feedback queue',
    'sqs:ReceiveMessage on push feedback queue',
    // What it cannot read, set aside.
    'sqs:SendMessage on push feedback DLQ',
    'dynamodb:Query on devices/index/by_endpoint',
    'dynamodb:DeleteItem on devices',
    'dynamodb:GetItem on devices',
    'dynamodb:UpdateItem on users (device_ids, updated_at, user_id only)',
    'sns:DeleteEndpoint on push endpoints',
    'sns:GetEndpointAttributes on push endpoints',
  ],
  SmsChannelWorker: [
    ...WORKER('sms'),
    'secretsmanager:GetSecretValue on the Twilio secret',
    // Twilio's 21610 turns the person's SMS off: that record, never their preferences.
    'dynamodb:UpdateItem on users (sms_switched_by, updated_at, user_id only)',
  ],
  PushChannelWorker: [
    ...WORKER('push'),
    'dynamodb:BatchGetItem on devices',
    'dynamodb:DeleteItem on devices',
    'dynamodb:GetItem on devices',
    'dynamodb:UpdateItem on users (device_ids, updated_at, user_id only)',
    'sns:DeleteEndpoint on push endpoints',
    'sns:Publish on push endpoints',
  ],
};

let template: Template;
beforeAll(() => {
  // With the preferences cache, whose cluster role and ingest's DAX grants are rows too.
  template = synthStack(
    settingsWith((settings) => {
      settings.push.fcmPlatformApplicationArn = FCM_APPLICATION;
      settings.preferencesCache.enabled = true;
    }),
  );
});

describe('least privilege', () => {
  it('gives every function of the platform a row above', () => {
    const roles = Object.keys(template.findResources('AWS::IAM::Policy'))
      .filter((id) => id.includes('ServiceRoleDefaultPolicy') && !id.startsWith('PreferencesCache'))
      .map((id) => id.replace(/ServiceRoleDefaultPolicy.*$/, ''));

    expect(roles.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('lets %s call exactly what it calls', (fn, expected) => {
    expect(grantsOf(template, fn)).toEqual([...expected].sort());
  });

  it("lets the push applications' custom resource set the events of the configured application, and nothing else", () => {
    const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.includes('ApplicationEventsCustomResourcePolicy'),
    );
    const statements = policies.flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);

    expect(statements).toEqual([
      { Action: 'sns:SetPlatformApplicationAttributes', Effect: 'Allow', Resource: FCM_APPLICATION },
    ]);
  });

  it('lets the preferences cache read users with GetItem, and nothing else', () => {
    expect(grantsOf(template, 'PreferencesCache')).toEqual([
      'dynamodb:DescribeTable on users',
      'dynamodb:GetItem on users',
    ]);
  });
});

/** "action on resource" for every statement of the role's default policy, resources named by what they are. */
function grantsOf(template: Template, rolePrefix: string): string[] {
  const grants: string[] = [];
  for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
    if (!id.startsWith(`${rolePrefix}ServiceRoleDefaultPolicy`)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      const attributes = statement.Condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes'] as
        | string[]
        | undefined;
      const keys = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as string[] | undefined;
      const limits = attributes
        ? ` (${[...attributes].sort().join(', ')} only)`
        : keys
          ? ` (keys ${[...keys].sort().join(', ')} only)`
          : '';
      for (const resource of [statement.Resource].flat()) {
        for (const action of [statement.Action].flat()) grants.push(`${action} on ${resourceKind(resource)}${limits}`);
      }
    }
  }
  return grants.sort();
}

function resourceKind(resource: unknown): string {
  const text = JSON.stringify(resource);
  if (resource === '*') return '*';
  const table = /"Tables(Users|Devices|Notifications|Templates|Suppressions|Topics|Webhooks)[0-9A-F]{8}"/.exec(
    text,
  )?.[1];
  const index = /\/index\/(\w+)/.exec(text)?.[1];
  if (table && text.includes('StreamArn')) return `${table.toLowerCase()} stream`;
  if (table) return `${table.toLowerCase()}${index ? `/index/${index}` : ''}`;
  if (text.includes('StateEventsBus')) return 'the event bus';
  const feedback = /"(\w+)ChannelFeedback(Queue|DeadLetterQueue)[0-9A-F]{8}"/.exec(text);
  if (feedback) return `${feedback[1]?.toLowerCase()} feedback ${feedback[2] === 'Queue' ? 'queue' : 'DLQ'}`;
  if (text.includes(':configuration-set/')) return 'the configuration set';
  const queue = /"(\w+)ChannelJobs(Queue|DeadLetterQueue)[0-9A-F]{8}"/.exec(text);
  if (queue) return `${queue[1]?.toLowerCase()} ${queue[2] === 'Queue' ? 'queue' : 'dead-letter queue'}`;
  const bulkLane = /"(\w+)ChannelBulkJobs[0-9A-F]{8}"/.exec(text);
  if (bulkLane) return `${bulkLane[1]?.toLowerCase()} bulk lane`;
  if (text.includes('BroadcastsQueue')) return 'the fan-out queue';
  if (text.includes('WebhooksQueue')) return 'the webhook events queue';
  if (text.includes('WebhooksPromptDeliveries')) return 'the prompt lane';
  if (text.includes('WebhooksSlowDeliveries')) return 'the slow lane';
  if (text.includes('PreferencesCacheCluster')) return 'the preferences cache';
  if (text.includes('TwilioCredentials')) return 'the Twilio secret';
  if (text.includes('ConsentKeys')) return 'the link keys';
  if (text.includes('SuppressionKeys')) return 'the suppression keys';
  if (text.includes('ErasureQueue')) return 'the erasure queue';
  if (text.includes('SchedulerQueue')) return 'the dispatch queue';
  if (text.includes(':identity/')) return 'the sender identity';
  if (text.includes(':endpoint/GCM/acme/*')) return 'push endpoints';
  if (text.includes(FCM_APPLICATION)) return 'push applications';
  return text;
}
