import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { ConsentTokenKeys } from '../domain/consent-token.js';
import * as z from '../schemas/zod.js';
import { ENV, optionalEnv, requiredEnv } from './environment.js';

const keysSchema = z.object({
  current: z.string().check(z.minLength(32, 'must be at least 32 characters')),
  previous: z.optional(z.string().check(z.minLength(32))),
});

/**
 * The keys that sign and check recipients' links: deployed, a Secrets Manager secret read through Powertools' cache
 * (five minutes, so a rotation reaches every instance within that); locally and in tests, CONSENT_KEYS.
 */
export async function consentKeys(): Promise<ConsentTokenKeys> {
  const secretArn = optionalEnv(ENV.consentKeysSecretArn);
  const raw = secretArn
    ? await getSecret(secretArn, { transform: 'json', maxAge: 300 })
    : JSON.parse(requiredEnv(ENV.consentKeys));
  return keysSchema.parse(raw);
}
