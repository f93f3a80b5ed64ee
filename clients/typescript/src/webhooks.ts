/**
 * Verifying a webhook delivery from the platform, as Standard Webhooks specifies: the `standardwebhooks` package (the
 * specification's reference library, pinned) checks the signature over the id, the timestamp and the body as they came,
 * and refuses a timestamp more than five minutes from now (a replay).
 */
import { WebhookVerificationError as StandardVerificationError, Webhook } from 'standardwebhooks';
import type { StateEvent } from './operations.js';

export type { StateEvent } from './operations.js';

/** A delivery's body: one state event. */
export interface WebhookDelivery {
  readonly type: StateEvent['event_type'];
  readonly timestamp: string;
  readonly data: StateEvent;
}

/** The delivery is not the platform's: unsigned, mis-signed, tampered with, or too old. Answer it 400 or 401. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

/**
 * The event a delivery carries, once its signature is checked with the endpoint's secret (`whsec_...`, as registering
 * the endpoint answered it). `body` is the request's body exactly as it came (a string or bytes, not parsed JSON);
 * `headers` its headers (webhook-id, webhook-timestamp, webhook-signature), as a record or a Headers. Throws
 * WebhookVerificationError for anything else. Deduplicate on `data.event_id` (the webhook-id): a delivery may come
 * twice.
 */
export function verifyWebhook(
  secret: string,
  body: string | Uint8Array,
  headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>,
): WebhookDelivery {
  const flat: Record<string, string> = {};
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  for (const [name, value] of entries) if (value !== undefined) flat[name.toLowerCase()] = String(value);
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  try {
    return new Webhook(secret).verify(text, flat) as WebhookDelivery;
  } catch (error) {
    if (error instanceof StandardVerificationError) throw new WebhookVerificationError(error.message);
    throw error;
  }
}
