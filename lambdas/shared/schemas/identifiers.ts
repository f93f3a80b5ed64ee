import * as z from './zod.js';

/**
 * A producer's own user id: opaque to us, bounded and safe to put in a key and a log line. It is both, so it must not
 * be personal data itself: an email address or a phone number is refused (use the id of your user record instead;
 * the address belongs in the contacts, which are erased with the person).
 */
const EMAIL_LIKE = /^[^@]+@[^@]+\.[A-Za-z]{2,}$/;
const PHONE_LIKE = /^\+?\d{7,15}$/;

export const userIdSchema = z.string().check(
  z.regex(/^[A-Za-z0-9_.:@-]{1,128}$/, 'must be 1 to 128 characters of A-Z a-z 0-9 _ . : @ -'),
  z.refine((id) => !EMAIL_LIKE.test(id), {
    message: 'must be an opaque id, not an email address: ids are written to keys and logs',
  }),
  z.refine((id) => !PHONE_LIKE.test(id), {
    message: 'must be an opaque id, not a phone number: ids are written to keys and logs',
  }),
  // The same rules, for the OpenAPI description.
  z.meta({ not: { anyOf: [{ pattern: EMAIL_LIKE.source }, { pattern: PHONE_LIKE.source }] }, examples: ['ada'] }),
);

/** A notification type names its template, e.g. "order_shipped". */
export const notificationTypeSchema = z
  .string()
  .check(
    z.regex(/^[a-z0-9_.-]{1,64}$/, 'must be 1 to 64 characters of a-z 0-9 _ . -'),
    z.meta({ examples: ['order_shipped'] }),
  );

/**
 * A topic names a group of people a producer broadcasts to, e.g. "order.shipping-updates" or "team:42": lowercase, so
 * that "News" and "news" are never two topics, and safe in a key, a path and a log line.
 */
export const topicSchema = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9][a-z0-9_.:-]{0,99}$/,
      'must be 1 to 100 characters of a-z 0-9 _ . : -, starting with a letter or a digit',
    ),
    z.meta({ examples: ['product-updates'] }),
  );

export const notificationIdSchema = z.uuid({ message: 'must be a notification id (a UUID)' });

export const deviceIdSchema = z
  .string()
  .check(z.regex(/^[a-f0-9]{32}$/, 'must be a device id as returned on registration'));

/**
 * A producer's name for notifications it may want to take back together (Knock's cancellation keys), e.g.
 * "order-123-reminder": a key of its own, bounded, safe in a key and a log line.
 */
export const cancelKeySchema = z
  .string()
  .check(
    z.regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1 to 128 characters of A-Z a-z 0-9 _ . : -'),
    z.meta({ examples: ['order-123-reminder'] }),
  );

/** Idempotency keys are the producer's; we bound them and keep only their hash. */
export const idempotencyKeySchema = z
  .string()
  .check(z.regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters'));

/** The key an address is logged and named under on the suppression list (domain/address-key.ts). */
export const addressKeySchema = z
  .string()
  .check(
    z.regex(/^[0-9a-f]{64}$/, "must be an address's key: 64 hexadecimal digits, as the logs and the lookup give it"),
  );
