/**
 * Twilio's Messages resource, assembled from the twilio package's own parts: its client (authentication, user agent,
 * timeout, errors as RestException) and the Messages list of API 2010-04-01, the one call the worker makes. The
 * package's entry point builds every Twilio product, eagerly or not, and a bundler keeps them all: 3.3 MB of the SMS
 * worker's 4.9 MB and most of its cold start. These parts are 45 KB of it (bench/coldstart.ts measures both).
 */
import BaseTwilio from 'twilio/lib/base/BaseTwilio.js';
import Domain from 'twilio/lib/base/Domain.js';
import Version from 'twilio/lib/base/Version.js';
import type V2010Module from 'twilio/lib/rest/api/V2010.js';
import { MessageListInstance } from 'twilio/lib/rest/api/v2010/account/message.js';

const TWILIO_API = 'https://api.twilio.com';
const MESSAGES_API_VERSION = '2010-04-01';

/**
 * The class a CommonJS module exports as `exports.default` (Domain.js, Version.js). Imported from an ES module, Node
 * and esbuild give the whole exports object as the default (TypeScript types it so), and Vite's test runner gives the
 * class itself.
 */
function classOf<T>(module: { default: T } | T): T {
  return typeof module === 'function' ? (module as T) : (module as { default: T }).default;
}

export interface TwilioAccount {
  readonly account_sid: string;
  readonly auth_token: string;
  /** Another Messages API than Twilio's (the local Twilio-compatible server). */
  readonly api_base_url?: string;
}

/** The account's Messages list: `create` sends one text. */
export function twilioMessages(account: TwilioAccount) {
  // No automatic retries inside the client: a failed attempt goes back to the queue with backoff.
  const client = new BaseTwilio.Client(account.account_sid, account.auth_token, { timeout: 5_000, autoRetry: false });
  // Domain asks for the whole Twilio client by type; it calls only the request() every client has.
  const domain = new (classOf(Domain))(client as never, account.api_base_url ?? TWILIO_API);
  // The list calls only what every Version has (create, page, each); V2010 adds the account tree, which it would
  // bundle whole.
  const version = new (classOf(Version))(domain, MESSAGES_API_VERSION) as V2010Module.default;
  return MessageListInstance(version, account.account_sid);
}
