import { PUSH_PLATFORMS } from '../../channels/push/device-registration.js';
import { CHANNELS } from '../../channels/registry.js';
import { PROVIDER_OUTCOMES } from '../domain/provider-outcome.js';
import { contactsSchema } from './contacts.js';
import { cancelKeySchema, notificationIdSchema, topicSchema, userIdSchema } from './identifiers.js';
import { storedPreferencesSchema } from './preferences.js';
import { templateSchema } from './template.js';
import * as z from './zod.js';

/**
 * What the API answers, as the OpenAPI description (docs/openapi.json) publishes it. The handlers build their answers
 * to these types, so the description cannot promise a field the code does not send.
 */

/** The platform's error: `details` names each bad field. */
export const errorAnswerSchema = z
  .object({
    error: z.object({
      code: z.string().check(z.describe('e.g. invalid_request, missing_scope, not_found, enqueue_failed')),
      message: z.string(),
      details: z.optional(z.array(z.object({ field: z.string(), message: z.string() }))),
    }),
  })
  .check(z.meta({ id: 'Error' }));

/** What API Gateway answers itself (a missing key, a producer over its usage plan), before any function runs. */
export const gatewayAnswerSchema = z.object({ message: z.string() }).check(z.meta({ id: 'GatewayMessage' }));

const channelDecisionSchema = z.object({
  status: z.enum(['queued', 'deferred', 'skipped']),
  reason: z.optional(z.string()).check(z.describe('why a channel was skipped: opted_out, no_contact, not_in_template')),
  not_before: z.optional(z.iso.datetime()).check(z.describe('a deferred channel waits for the end of quiet hours')),
});

const perChannel = <Schema extends z.ZodMiniType>(schema: Schema) =>
  z.object(
    Object.fromEntries(CHANNELS.map((channel) => [channel, z.optional(schema)])) as Record<
      (typeof CHANNELS)[number],
      z.ZodMiniOptional<Schema>
    >,
  );

export const acceptedNotificationSchema = z
  .object({
    notification_id: notificationIdSchema,
    status: z
      .enum(['queued', 'suppressed', 'scheduled', 'digested', 'fanning_out'])
      .check(
        z.describe(
          'scheduled: it waits for send_at, and its channels are decided then (none are named now); digested: its ' +
            "type gathers notifications into one message (GET shows the digest's id); fanning_out: a broadcast, " +
            'whose recipients are being dispatched (GET shows its progress)',
        ),
      ),
    send_at: z.optional(z.iso.datetime()).check(z.describe('when a scheduled notification goes out')),
    channels: perChannel(channelDecisionSchema),
  })
  .check(z.meta({ id: 'AcceptedNotification' }));

/** A batch's notification refused: the error POST /v1/notifications would have answered it, with that answer's status. */
export const batchItemErrorSchema = z
  .object({
    error: z.extend(errorAnswerSchema.shape.error, {
      status: z
        .int()
        .check(z.gte(400), z.lte(599), z.describe('the status POST /v1/notifications would have answered it with')),
      retry_after: z
        .optional(z.int().check(z.gte(0)))
        .check(z.describe('seconds to wait before sending it again (its Retry-After), when waiting can help')),
    }),
  })
  .check(z.meta({ id: 'BatchItemError' }));

export const batchResultsSchema = z
  .object({
    results: z
      .array(z.union([acceptedNotificationSchema, batchItemErrorSchema]))
      .check(z.describe("one per notification sent, in the batch's order: its answer, or its error")),
  })
  .check(z.meta({ id: 'BatchResults' }));

const CHANNEL_NAMES = z.enum(CHANNELS);

/** The answer to a cancel. */
export const cancelledNotificationSchema = z
  .object({
    notification_id: notificationIdSchema,
    status: z
      .enum(['cancelled', 'partly_cancelled'])
      .check(z.describe('partly_cancelled: some channel was sent, or is being sent, and stays so')),
    cancelled: z.array(CHANNEL_NAMES).check(z.describe('the channels it stopped (or had stopped before)')),
    not_cancelled: perChannel(z.string()).check(z.describe('each channel too far on to stop, with its status')),
  })
  .check(z.meta({ id: 'CancelledNotification' }));

export const cancelledByKeySchema = z
  .object({
    cancel_key: cancelKeySchema,
    cancelled: z.number().check(z.describe('how many pending notifications it stopped')),
  })
  .check(z.meta({ id: 'CancelledByKey' }));

const providerEventSchema = z.object({
  status: z.enum(PROVIDER_OUTCOMES),
  at: z.string().check(z.describe('when it happened, as the provider says')),
  detail: z.optional(z.record(z.string(), z.string())).check(z.describe('e.g. bounce_type, bounce_sub_type')),
});

const channelStateSchema = z.object({
  status: z.enum(['queued', 'deferred', 'skipped', 'sending', 'sent', 'failed', 'cancelled', ...PROVIDER_OUTCOMES]),
  reason: z.optional(z.string()),
  not_before: z.optional(z.iso.datetime()),
  provider_message_id: z.optional(z.string()),
  locale: z.optional(z.string()).check(z.describe('the template locale it was written in, when not the default')),
  updated_at: z.string(),
  events: z.optional(z.array(providerEventSchema)).check(z.describe('what the provider said after the send')),
});

export const notificationAnswerSchema = z
  .object({
    notification_id: notificationIdSchema,
    user_id: z.optional(userIdSchema).check(z.describe('absent once the person was erased')),
    type: z.string(),
    producer: z.string(),
    created_at: z.iso.datetime(),
    status: z.enum([
      'scheduled',
      'queued',
      'suppressed',
      'cancelled',
      'digesting',
      'digested',
      'fanning_out',
      'fanned_out',
    ]),
    topic: z.optional(z.string()).check(z.describe('a broadcast: the topic whose subscribers it goes to')),
    broadcast_id: z
      .optional(notificationIdSchema)
      .check(z.describe("one recipient's notification of a broadcast: the broadcast")),
    send_at: z.optional(z.iso.datetime()).check(z.describe('a scheduled notification: when it goes out')),
    dispatched_at: z.optional(z.iso.datetime()).check(z.describe('a scheduled notification: when it went out')),
    cancel_key: z.optional(cancelKeySchema),
    cancelled_at: z.optional(z.iso.datetime()).check(z.describe('when it was cancelled, wholly or on some channel')),
    cancel_reason: z
      .optional(z.string())
      .check(
        z.describe('why the platform cancelled it itself: recipient_erased, template_missing, every_member_cancelled'),
      ),
    digest_id: z.optional(notificationIdSchema).check(z.describe('a digested one: the digest that carries it')),
    digest: z
      .optional(z.object({ members: z.array(notificationIdSchema), count: z.number() }))
      .check(z.describe('a digest: the notifications it carries (those cancelled before it went left out)')),
    broadcast: z
      .optional(
        z.object({
          recipients: z.int().check(z.describe('people the fan-out reached so far')),
          dispatched: z.int().check(z.describe('channel jobs queued (or deferred by quiet hours) for them')),
          skipped: z
            .record(z.string(), z.int())
            .check(
              z.describe('channels not sent on, by reason: at dispatch (opted_out, no_contact, ...) or at send time'),
            ),
          sent: z.int(),
          failed: z.int(),
          cancelled: z.int().check(z.describe('jobs a cancel of the broadcast stopped before they were sent')),
          fanned_out_at: z.optional(z.iso.datetime()).check(z.describe("when the fan-out reached the topic's end")),
          finished_at: z.optional(z.iso.datetime()).check(z.describe('when every dispatched job had its outcome')),
        }),
      )
      .check(
        z.describe("a broadcast: its progress, while it drains and after; each recipient's is a notification too"),
      ),
    channels: perChannel(channelStateSchema),
  })
  .check(z.meta({ id: 'Notification' }));

export const preferencesAnswerSchema = storedPreferencesSchema.check(z.meta({ id: 'Preferences' }));

export const contactsAnswerSchema = z
  .extend(contactsSchema, { user_id: userIdSchema })
  .check(z.meta({ id: 'Contacts' }));

export const deviceRegisteredSchema = z.object({ device_id: z.string() }).check(z.meta({ id: 'DeviceRegistered' }));

export const devicesAnswerSchema = z
  .object({
    devices: z.array(
      z.object({ device_id: z.string(), platform: z.enum(PUSH_PLATFORMS), created_at: z.iso.datetime() }),
    ),
  })
  .check(z.meta({ id: 'Devices' }));

export const templateAnswerSchema = z
  .object({
    type: z.string(),
    ...templateSchema.shape,
    critical: z.boolean(),
    owner: z.optional(z.string()).check(z.describe('the producer that created it')),
    updated_at: z.optional(z.iso.datetime()),
  })
  .check(z.meta({ id: 'Template' }));

/** A page's cursor to the next one (a new schema each time, so that the description inlines it in each page). */
const nextCursorField = () =>
  z
    .optional(z.string())
    .check(z.describe('where the next page starts (the cursor parameter); absent on the last page'));

export const templatesPageAnswerSchema = z
  .object({
    templates: z.array(templateAnswerSchema),
    next_cursor: nextCursorField(),
  })
  .check(z.meta({ id: 'TemplatesPage' }));

export const topicSubscribersPageAnswerSchema = z
  .object({
    topic: topicSchema,
    subscribers: z
      .array(z.object({ user_id: userIdSchema, subscribed_at: z.iso.datetime() }))
      .check(z.describe('in the order of their user ids; subscribed_at is when they were last subscribed')),
    next_cursor: nextCursorField(),
  })
  .check(z.meta({ id: 'TopicSubscribersPage' }));

export const topicSubscribedAnswerSchema = z
  .object({
    topic: topicSchema,
    subscribed: z
      .number()
      .check(z.describe('how many people the list named (each once), every one now subscribed, whether or not before')),
  })
  .check(z.meta({ id: 'TopicSubscribed' }));

export const suppressionAnswerSchema = z
  .object({
    address_key: z.string().check(z.describe("the address's key, which the platform logs instead of the address")),
    channel: z.enum(CHANNELS),
    reason: z.enum(['bounce', 'complaint', 'soft_bounces', 'opt_out']),
    since: z.string(),
    detail: z.optional(z.record(z.string(), z.string())),
  })
  .check(z.meta({ id: 'Suppression' }));

const webhookEndpointFields = {
  endpoint_id: z.uuid(),
  url: z.string(),
  events: z.array(z.string()).check(z.describe('the event types it receives, or ["*"] for every one')),
  status: z
    .enum(['enabled', 'failing', 'disabled'])
    .check(
      z.describe(
        'failing: its deliveries have failed since failing_since (they are retried); disabled: they failed for ' +
          'days, and nothing is delivered until it is enabled again',
      ),
    ),
  created_at: z.iso.datetime(),
  failing_since: z.optional(z.iso.datetime()),
  disabled_at: z.optional(z.iso.datetime()),
  previous_secret_expires_at: z.optional(
    z.iso.datetime().check(z.describe('until when the secret a rotation replaced still signs, beside the new one')),
  ),
};

export const webhookEndpointAnswerSchema = z.object(webhookEndpointFields).check(z.meta({ id: 'WebhookEndpoint' }));

export const webhookEndpointCreatedAnswerSchema = z
  .object({
    ...webhookEndpointFields,
    secret: z
      .string()
      .check(
        z.describe('the signing secret (whsec_ and base64), shown this once: give it to a Standard Webhooks verifier'),
      ),
  })
  .check(z.meta({ id: 'WebhookEndpointCreated' }));

export const webhookEndpointsAnswerSchema = z
  .object({ endpoints: z.array(webhookEndpointAnswerSchema) })
  .check(z.meta({ id: 'WebhookEndpoints' }));

export const webhookSecretRotatedAnswerSchema = z
  .object({
    endpoint_id: z.uuid(),
    secret: z.string().check(z.describe('the new signing secret, shown this once')),
    previous_secret_expires_at: z.iso.datetime(),
  })
  .check(z.meta({ id: 'WebhookSecretRotated' }));

export const webhookAttemptsPageAnswerSchema = z
  .object({
    endpoint_id: z.uuid(),
    attempts: z.array(
      z.object({
        event_id: z.uuid(),
        event_type: z.string(),
        notification_id: z.uuid(),
        attempt: z.int().check(z.describe('1 for the first attempt of the event at this endpoint')),
        attempted_at: z.iso.datetime(),
        outcome: z
          .enum(['delivered', 'retry', 'rejected', 'endpoint_disabled'])
          .check(
            z.describe(
              'retry: a timeout, no answer, a 5xx or a 429, tried again at next_attempt_at; rejected: any other ' +
                'answer, or an address deliveries may not go to, not tried again',
            ),
          ),
        status_code: z.optional(z.int().check(z.describe("the endpoint's HTTP status"))),
        error: z.optional(
          z.string().check(z.describe('timed_out, address_not_allowed, or why it could not be reached')),
        ),
        duration_ms: z.optional(z.int()),
        next_attempt_at: z.optional(z.iso.datetime()),
      }),
    ),
    next_cursor: nextCursorField(),
  })
  .check(z.meta({ id: 'WebhookAttemptsPage' }));

export const notificationsPageAnswerSchema = z
  .object({
    notifications: z
      .array(
        z.object({
          notification_id: notificationIdSchema,
          user_id: z.optional(userIdSchema),
          type: z.string(),
          producer: z.string(),
          created_at: z.iso.datetime(),
          status: z.string().check(z.describe("the notification's status, as GET /notifications/{id} answers it")),
          kind: z.optional(z.enum(['digest', 'broadcast'])),
          topic: z.optional(z.string()),
          broadcast_id: z.optional(notificationIdSchema),
          digest_id: z.optional(notificationIdSchema),
          channels: z
            .record(z.string(), z.object({ status: z.string(), reason: z.optional(z.string()) }))
            .check(z.describe("each channel's status, and why it was skipped or failed")),
        }),
      )
      .check(z.describe('newest first; GET /notifications/{notification_id} reads one whole')),
    next_cursor: nextCursorField(),
  })
  .check(z.meta({ id: 'NotificationsPage' }));
