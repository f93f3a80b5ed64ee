import { CHANNELS } from '../../channels/registry.js';
import { DIGEST_PAYLOAD_LIMIT_BYTES } from '../domain/digest.js';
import { notificationIdSchema, notificationTypeSchema, userIdSchema } from './identifiers.js';
import { MAX_PAYLOAD_DEPTH, nestingDepth } from './notification-request.js';
import * as z from './zod.js';

/**
 * What a job renders: a request's payload, or a digest's `{items, count}` (two levels deeper, and as large as the
 * members it carries): bounded, since a job is a queue message.
 */
const jobPayloadSchema = z.record(z.string(), z.unknown()).check(
  z.refine((payload) => nestingDepth(payload, MAX_PAYLOAD_DEPTH + 2) <= MAX_PAYLOAD_DEPTH + 2, { abort: true }),
  z.refine((payload) => Buffer.byteLength(JSON.stringify(payload), 'utf8') <= DIGEST_PAYLOAD_LIMIT_BYTES + 1024),
);

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
  payload: jobPayloadSchema,
  accepted_at: z.iso.datetime(),
  /** Quiet hours: the job must not be delivered before this instant. */
  not_before: z.optional(z.iso.datetime()),
  /** One recipient's job of this broadcast: it goes through its channel's bulk lane, and counts in its progress. */
  broadcast_id: z.optional(notificationIdSchema),
});

export type ChannelJob = z.infer<typeof channelJobSchema>;
