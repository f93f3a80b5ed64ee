/**
 * Whether a webhook request came from Twilio: its X-Twilio-Signature is Twilio's HMAC-SHA1, keyed by the account's
 * auth token, over the exact URL Twilio called and the form parameters it sent
 * (https://www.twilio.com/docs/usage/webhooks/webhooks-security). Checked with the twilio package's own code (its
 * webhooks module alone, a few KB, not the whole client), which compares in constant time and allows for the
 * default port being written or not.
 */
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks.js';

/**
 * `url` is the public URL Twilio was given (the StatusCallback, the number's webhook), query included: not the URL
 * the request reached behind API Gateway, which Twilio never signed.
 */
export function signedByTwilio(
  authToken: string,
  signature: string | undefined,
  url: string,
  parameters: Readonly<Record<string, string>>,
): boolean {
  if (!signature || !authToken) return false;
  return validateRequest(authToken, signature, url, { ...parameters });
}

/** The signature Twilio would send: the local Twilio-compatible server signs its callbacks with it. */
export function twilioSignature(authToken: string, url: string, parameters: Readonly<Record<string, string>>): string {
  return getExpectedTwilioSignature(authToken, url, { ...parameters });
}
