/**
 * A token for one person's inbox, minted by the product's backend with the stack's secret, for the person's browser or
 * app to read and change their own inbox with (GET /v1/me/inbox ...), without an API key. Signed with `jose` (pinned:
 * JWTs are a solved problem): HS256, the secret's `kid` in the header, `sub` the person, a lifetime of at most a day.
 * A team that signs with a key pair of its own mints its tokens itself, with the same claims.
 */
import { SignJWT } from 'jose';

/** Whom the tokens are for: the platform refuses a token minted for anything else. */
export const USER_TOKEN_AUDIENCE = 'notification-platform:inbox';
/** The issuer of the tokens the stack's own secret signs. */
export const STACK_TOKEN_ISSUER = 'notification-platform';
/** The longest a token may live: the platform refuses one issued longer ago. */
export const MAX_USER_TOKEN_SECONDS = 24 * 3600;
/** What a token lives when the caller does not say. */
export const DEFAULT_USER_TOKEN_SECONDS = 3600;

/** The stack's secret, as its secret in Secrets Manager holds it: its id and at least 32 bytes. */
export interface StackTokenKey {
  readonly kid: string;
  readonly secret: Uint8Array;
}

/** A person's id as the API takes it. */
const USER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** A token for `userId`: give it to that person's browser or app, and mint a new one before it expires. */
export async function mintUserToken(
  userId: string,
  key: StackTokenKey,
  options: { readonly lifetimeSeconds?: number; readonly now?: Date } = {},
): Promise<string> {
  const lifetime = options.lifetimeSeconds ?? DEFAULT_USER_TOKEN_SECONDS;
  if (!USER_ID.test(userId)) throw new RangeError('userId must be a user id (1 to 128 of A-Z a-z 0-9 _ . : @ -)');
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_USER_TOKEN_SECONDS)
    throw new RangeError(`lifetimeSeconds must be a whole number from 1 to ${MAX_USER_TOKEN_SECONDS}`);
  if (key.secret.length < 32) throw new RangeError("the stack's secret must be at least 32 bytes");
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(STACK_TOKEN_ISSUER)
    .setAudience(USER_TOKEN_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + lifetime)
    .sign(key.secret);
}
