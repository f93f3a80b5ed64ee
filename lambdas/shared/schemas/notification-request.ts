import { CHANNELS } from '../../channels/registry.js';
import { cancelKeySchema, notificationTypeSchema, userIdSchema } from './identifiers.js';
import * as z from './zod.js';

export const MAX_PAYLOAD_BYTES = 16 * 1024;
/** Objects and arrays inside one another; the payload itself is level 1. */
export const MAX_PAYLOAD_DEPTH = 32;

/**
 * The data templates render. An object, at most 32 levels deep and 16 KiB as JSON: a notification is not a file
 * transfer. The depth is checked first, without recursion: a deeper value would overflow the stack of every
 * recursive walk after it, JSON.stringify's included.
 */
export const payloadSchema = z.record(z.string(), z.unknown(), { message: 'must be a JSON object' }).check(
  z.refine((payload) => nestingDepth(payload, MAX_PAYLOAD_DEPTH) <= MAX_PAYLOAD_DEPTH, {
    message: `must not nest objects and arrays more than ${MAX_PAYLOAD_DEPTH} levels deep`,
    abort: true,
  }),
  z.refine((payload) => Buffer.byteLength(JSON.stringify(payload), 'utf8') <= MAX_PAYLOAD_BYTES, {
    message: `must be at most ${MAX_PAYLOAD_BYTES} bytes as JSON`,
  }),
);

/** How deep objects and arrays nest in `value`, counted with a stack of its own; stops counting past `limit`. */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return deepest;
}

export const channelListSchema = z.array(z.enum(CHANNELS, { message: `must be one of ${CHANNELS.join(', ')}` })).check(
  z.minLength(1, 'must name at least one channel; leave it out to use every channel of the template'),
  z.refine((channels) => new Set(channels).size === channels.length, { message: 'must not name a channel twice' }),
  z.meta({ uniqueItems: true }),
);

export const notificationRequestSchema = z.strictObject({
  user_id: userIdSchema,
  type: notificationTypeSchema,
  payload: payloadSchema,
  channels: z.optional(channelListSchema),
  send_at: z.optional(
    z.iso
      .datetime({
        offset: true,
        message: 'must be an RFC 3339 date-time with an offset, e.g. 2027-01-05T09:00:00+01:00',
      })
      .check(
        z.describe(
          'When to send it (RFC 3339 with an offset): in the future and at most the configured days ahead (366 by ' +
            'default). Preferences, consent, suppression and quiet hours are decided then, not now.',
        ),
      ),
  ),
  cancel_key: z.optional(
    cancelKeySchema.check(
      z.describe(
        'A key of yours: POST /v1/notifications/cancel with it takes back every pending notification under it',
      ),
    ),
  ),
});

export type NotificationRequest = z.infer<typeof notificationRequestSchema>;
