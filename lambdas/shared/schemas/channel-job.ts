import { CHANNELS } from '../../channels/registry.js';
import { notificationIdSchema, notificationTypeSchema, userIdSchema } from './identifiers.js';
import { payloadSchema } from './notification-request.js';
import * as z from './zod.js';

/**
 * One channel's job on that channel's queue: everything its worker needs to deliver, so the worker reads
 * only what may have changed since (the user's preferences and contacts) and the template.
 */
export const channelJobSchema = z.strictObject({
  notification_id: notificationIdSchema,
  channel: z.enum(CHANNELS),
  user_id: userIdSchema,
  type: notificationTypeSchema,
  producer: z.string().check(z.minLength(1)),
  critical: z.boolean(),
  payload: payloadSchema,
  accepted_at: z.iso.datetime(),
  /** Quiet hours: the job must not be delivered before this instant. */
  not_before: z.optional(z.iso.datetime()),
});

export type ChannelJob = z.infer<typeof channelJobSchema>;
