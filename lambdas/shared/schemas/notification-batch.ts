import { batchBody } from './batch.js';
import { idempotencyKeySchema, userIdSchema } from './identifiers.js';
import { MAX_PAYLOAD_BYTES, notificationRequestSchema } from './notification-request.js';
import * as z from './zod.js';

/** The most notifications one batch holds. */
export const MAX_BATCH_NOTIFICATIONS = 100;

/**
 * The largest batch body, in bytes: 100 notifications, each its payload at its limit and its other fields at their
 * longest (an idempotency_key of 255 characters, each escaped, a user_id and a cancel_key of 128, a type of 64, every
 * channel, a send_at: under 1 KiB as JSON), with as much again for spaces and escapes, and the envelope: 1,844,224 bytes
 * (1.76 MiB). API Gateway takes 10 MB; a Lambda invocation 6 MB, which the body stays under even if every byte of it
 * were escaped again in the event.
 */
export const MAX_BATCH_BODY_BYTES = MAX_BATCH_NOTIFICATIONS * (MAX_PAYLOAD_BYTES + 2 * 1024) + 1024;

// A broadcast (topic) is never a batch's item: it fans out on its own, and is sent with POST /v1/notifications.
const {
  topic: _broadcast,
  user_id: _personOrTopic,
  ...sendFields
} = notificationRequestSchema.shape as typeof notificationRequestSchema.shape & {
  readonly topic?: unknown;
};

/** One notification of a batch: what POST /v1/notifications takes for one person, and its own Idempotency-Key. */
export const batchNotificationSchema = z
  .strictObject({
    user_id: userIdSchema.check(z.describe('The person it is for')),
    ...sendFields,
    idempotency_key: z.optional(
      idempotencyKeySchema.check(
        z.describe(
          "This notification's Idempotency-Key, as the header is for POST /v1/notifications, and the same key: a retry " +
            'within 24 hours gets the first result and queues nothing new',
        ),
      ),
    ),
  })
  .check(z.meta({ id: 'BatchNotification' }));

export type BatchNotification = z.infer<typeof batchNotificationSchema>;

/** The body of POST /v1/notifications/batch: as a client writes it, and its envelope, which is checked first. */
export const notificationBatch = batchBody({
  field: 'notifications',
  item: batchNotificationSchema,
  maxItems: MAX_BATCH_NOTIFICATIONS,
  itemIdempotencyKey: 'idempotency_key',
});
