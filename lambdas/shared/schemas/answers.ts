import { z } from 'zod';
import { PUSH_PLATFORMS } from '../../channels/push/device-registration.js';
import { CHANNELS } from '../../channels/registry.js';
import { PROVIDER_OUTCOMES } from '../domain/provider-outcome.js';
import { contactsSchema } from './contacts.js';
import { notificationIdSchema, userIdSchema } from './identifiers.js';
import { preferencesSchema } from './preferences.js';
import { templateSchema } from './template.js';

/**
 * What the API answers, as the OpenAPI description (docs/openapi.json) publishes it. The handlers build their answers
 * to these types, so the description cannot promise a field the code does not send.
 */

/** The platform's error: `details` names each bad field. */
export const errorAnswerSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'e.g. invalid_request, insufficient_scope, not_found, enqueue_failed' }),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

/** What API Gateway answers itself (a missing key, a producer over its usage plan), before any function runs. */
export const gatewayAnswerSchema = z.object({ message: z.string() }).meta({ id: 'GatewayMessage' });

const channelDecisionSchema = z.object({
  status: z.enum(['queued', 'deferred', 'skipped']),
  reason: z
    .string()
    .optional()
    .meta({ description: 'why a channel was skipped: opted_out, no_contact, not_in_template' }),
  not_before: z.iso.datetime().optional().meta({ description: 'a deferred channel waits for the end of quiet hours' }),
});

const perChannel = <Schema extends z.ZodType>(schema: Schema) =>
  z.object(
    Object.fromEntries(CHANNELS.map((channel) => [channel, schema.optional()])) as Record<
      (typeof CHANNELS)[number],
      z.ZodOptional<Schema>
    >,
  );

export const acceptedNotificationSchema = z
  .object({
    notification_id: notificationIdSchema,
    status: z.enum(['queued', 'suppressed']),
    channels: perChannel(channelDecisionSchema),
  })
  .meta({ id: 'AcceptedNotification' });

const providerEventSchema = z.object({
  status: z.enum(PROVIDER_OUTCOMES),
  at: z.string().meta({ description: 'when it happened, as the provider says' }),
  detail: z.record(z.string(), z.string()).optional().meta({ description: 'e.g. bounce_type, bounce_sub_type' }),
});

const channelStateSchema = z.object({
  status: z.enum(['queued', 'deferred', 'skipped', 'sending', 'sent', 'failed', ...PROVIDER_OUTCOMES]),
  reason: z.string().optional(),
  not_before: z.iso.datetime().optional(),
  provider_message_id: z.string().optional(),
  locale: z.string().optional().meta({ description: 'the template locale it was written in, when not the default' }),
  updated_at: z.string(),
  events: z.array(providerEventSchema).optional().meta({ description: 'what the provider said after the send' }),
});

export const notificationAnswerSchema = z
  .object({
    notification_id: notificationIdSchema,
    user_id: userIdSchema.optional().meta({ description: 'absent once the person was erased' }),
    type: z.string(),
    producer: z.string(),
    created_at: z.iso.datetime(),
    channels: perChannel(channelStateSchema),
  })
  .meta({ id: 'Notification' });

export const preferencesAnswerSchema = preferencesSchema.meta({ id: 'Preferences' });

export const contactsAnswerSchema = contactsSchema.extend({ user_id: userIdSchema }).meta({ id: 'Contacts' });

export const deviceRegisteredSchema = z.object({ device_id: z.string() }).meta({ id: 'DeviceRegistered' });

export const devicesAnswerSchema = z
  .object({
    devices: z.array(
      z.object({ device_id: z.string(), platform: z.enum(PUSH_PLATFORMS), created_at: z.iso.datetime() }),
    ),
  })
  .meta({ id: 'Devices' });

export const templateAnswerSchema = z
  .object({
    type: z.string(),
    ...templateSchema.shape,
    critical: z.boolean(),
    owner: z.string().optional().meta({ description: 'the producer that created it' }),
    updated_at: z.iso.datetime().optional(),
  })
  .meta({ id: 'Template' });

export const suppressionAnswerSchema = z
  .object({
    channel: z.enum(CHANNELS),
    reason: z.enum(['bounce', 'complaint', 'soft_bounces', 'opt_out']),
    since: z.string(),
    detail: z.record(z.string(), z.string()).optional(),
  })
  .meta({ id: 'Suppression' });
