import type { AddressKeyPeppers } from '../domain/address-key.js';
import * as z from '../schemas/zod.js';
import { ENV, requiredEnv } from './environment.js';
import { RotatingSecret } from './rotating-secret.js';

const pepper = z.string().check(z.minLength(32, 'must be at least 32 characters'));
const peppersSchema = z.object({
  current: pepper,
  previous: z._default(z.array(pepper), []),
  rekeyed: z._default(z.boolean(), false),
});

/**
 * The peppers that key addresses on the suppression list: deployed, the SuppressionKeys secret
 * (SUPPRESSION_KEYS_SECRET_ARN), generated at deploy; locally and in tests, SUPPRESSION_KEYS. docs/operations.md, "Suppression
 * keys", says how to rotate them.
 */
export const suppressionKeys = new RotatingSecret<AddressKeyPeppers>(
  { arnVariable: ENV.suppressionKeysSecretArn, fallback: () => JSON.parse(requiredEnv(ENV.suppressionKeys)) },
  parsePeppers,
);

/** The secret's JSON, checked: {current, previous?, rekeyed?}, each pepper at least 32 characters. */
export function parsePeppers(raw: unknown): AddressKeyPeppers {
  return peppersSchema.parse(raw);
}

/** The peppers, as the suppression list asks for them. */
export const suppressionPeppers = () => suppressionKeys.value();
