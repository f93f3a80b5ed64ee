import { CHANNELS } from '../../channels/registry.js';
import { cancelKeySchema, notificationTypeSchema, topicSchema, userIdSchema } from './identifiers.js';
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
  // A scheduled send, a digest's members and a broadcast keep their payload in DynamoDB, whose numbers hold 38 digits
  // from 1e-130: a number a JavaScript client reads back exactly is what it may carry.
  z.refine((payload) => !hasUnstorableNumber(payload), {
    message: `must not hold a number beyond ±${Number.MAX_SAFE_INTEGER} or nearer zero than 1e-130: send it as a string`,
  }),
);

/** Whether a number inside `value` is one DynamoDB cannot store or a client could not read back exactly. */
function hasUnstorableNumber(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current === 'number') {
      const magnitude = Math.abs(current);
      if (magnitude > Number.MAX_SAFE_INTEGER || (magnitude > 0 && magnitude < 1e-130)) return true;
    } else if (current !== null && typeof current === 'object') pending.push(...Object.values(current));
  }
  return false;
}

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

export const notificationRequestSchema = z
  .strictObject({
    user_id: z.optional(userIdSchema.check(z.describe('The person it is for; leave out when it goes to a topic'))),
    topic: z.optional(
      topicSchema.check(
        z.describe(
          'A broadcast: every subscriber of this topic of yours, each decided on their own preferences, consent and quiet ' +
            'hours, through the bulk lanes (give topic or user_id, not both)',
        ),
      ),
    ),
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
  })
  .check(
    z.refine((request) => (request.user_id === undefined) !== (request.topic === undefined), {
      message: 'give user_id (one person) or topic (a broadcast to its subscribers), not both and not neither',
      path: ['user_id'],
      // Beside the other fields' faults, so that a request missing several hears of all of them at once.
      when: (payload) => typeof payload.value === 'object' && payload.value !== null,
    }),
    // The same rule for the OpenAPI description and API Gateway's request model.
    z.meta({ oneOf: [{ required: ['user_id'] }, { required: ['topic'] }] }),
  );

export type NotificationRequest = z.infer<typeof notificationRequestSchema>;
