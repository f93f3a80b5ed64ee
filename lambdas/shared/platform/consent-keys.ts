import { type ConsentTokenKeys, DEFAULT_LINK_LIFETIMES, type LinkLifetimes } from '../domain/consent-token.js';
import * as z from '../schemas/zod.js';
import { ENV, optionalEnv, requiredEnv } from './environment.js';
import { RotatingSecret } from './rotating-secret.js';

const keysSchema = z.object({
  current: z.string().check(z.minLength(32, 'must be at least 32 characters')),
  previous: z.optional(z.string().check(z.minLength(32))),
});

/**
 * The keys that sign and check recipients' links: deployed, a Secrets Manager secret (CONSENT_KEYS_SECRET_ARN), read
 * again when a link signed with a key this instance does not hold yet arrives (a rotation under way); locally and in
 * tests, CONSENT_KEYS.
 */
export const consentKeys = new RotatingSecret<ConsentTokenKeys>(
  { arnVariable: ENV.consentKeysSecretArn, fallback: () => JSON.parse(requiredEnv(ENV.consentKeys)) },
  (raw) => keysSchema.parse(raw),
);

const lifetimesSchema = z.object({
  change_anything_seconds: z.int().check(z.positive()),
  unsubscribe_seconds: z.int().check(z.positive()),
});

/** What a recipient's link may do until what age (LINK_LIFETIMES, from platform.config.ts `links`). */
export function linkLifetimes(): LinkLifetimes {
  const raw = optionalEnv(ENV.linkLifetimes);
  if (!raw) return DEFAULT_LINK_LIFETIMES;
  const parsed = lifetimesSchema.parse(JSON.parse(raw));
  return { changeAnythingSeconds: parsed.change_anything_seconds, unsubscribeSeconds: parsed.unsubscribe_seconds };
}
