import { z } from 'zod';
import { CHANNELS } from '../domain/channel.js';
import { notificationTypeSchema, userIdSchema } from './identifiers.js';

export const MAX_PAYLOAD_BYTES = 16 * 1024;

/** The data templates render. An object, at most 16 KiB as JSON: a notification is not a file transfer. */
export const payloadSchema = z
  .record(z.string(), z.unknown(), { message: 'must be a JSON object' })
  .refine((payload) => Buffer.byteLength(JSON.stringify(payload), 'utf8') <= MAX_PAYLOAD_BYTES, {
    message: `must be at most ${MAX_PAYLOAD_BYTES} bytes as JSON`,
  });

export const channelListSchema = z
  .array(z.enum(CHANNELS, { message: `must be one of ${CHANNELS.join(', ')}` }))
  .min(1, 'must name at least one channel; leave it out to use every channel of the template')
  .refine((channels) => new Set(channels).size === channels.length, { message: 'must not name a channel twice' });

export const notificationRequestSchema = z.strictObject({
  user_id: userIdSchema,
  type: notificationTypeSchema,
  payload: payloadSchema,
  channels: channelListSchema.optional(),
});

export type NotificationRequest = z.infer<typeof notificationRequestSchema>;
