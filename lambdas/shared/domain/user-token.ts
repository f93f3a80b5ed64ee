/**
 * The token a person's browser or app shows to read and change their own inbox, with no API key: a short-lived JWT for
 * one person (`sub`), minted by the product's backend (the typed client's mintUserToken). Two kinds of key sign it, each checked on its own path so that
 * one can never stand in for the other:
 * - the stack's own secrets (HS256), which the typed client mints with: `current` signs, `previous` still verifies
 *   during a rotation, each named by its `kid`;
 * - the team's own key pairs (ES256 or EdDSA), whose public keys (JWKs, each with its `kid` and `alg`) are in
 *   platform.config.ts: the team's backend mints with its private key, which the platform never holds.
 *
 * Verified with `jose` (pinned: a JWT's checks are a solved problem, and its jwtVerify never accepts `alg: none`), with
 * an allowlist of algorithms per path, the audience, a required `sub`, `iat` and `exp`, a longest lifetime and a
 * little clock tolerance. Pure: the keys come from the caller.
 */
import { createLocalJWKSet, decodeProtectedHeader, errors, type JWK, type JWTVerifyOptions, jwtVerify } from 'jose';

/**
 * Whom the tokens are for, who the stack is as their issuer, and their longest life: the typed client mints with the
 * same (clients/typescript/src/user-token.ts; test/unit/user-token.test.ts mints with it).
 */
export const USER_TOKEN_AUDIENCE = 'notification-platform:inbox';
export const STACK_TOKEN_ISSUER = 'notification-platform';
export const MAX_USER_TOKEN_SECONDS = 24 * 3600;
/** Clocks differ between the backend that mints and the function that verifies. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** The algorithms of the team's key pairs. */
export const TEAM_TOKEN_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519'] as const;

export interface StackTokenKey {
  readonly kid: string;
  readonly secret: Uint8Array;
}

export interface UserTokenKeys {
  /** The stack's secrets: `current` signs; both verify. */
  readonly stack?: { readonly current: StackTokenKey; readonly previous?: StackTokenKey };
  /** The team's public keys. */
  readonly team?: readonly JWK[];
}

export type UserTokenRefusal =
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'invalid_claims';

/** A token that does not let its bearer in, and why (for the logs; the caller is told 401 and no more). */
export class UserTokenRefused extends Error {
  override readonly name = 'UserTokenRefused';
  constructor(
    readonly reason: UserTokenRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** The person a valid token is for, and until when it is valid. */
export interface VerifiedUserToken {
  readonly userId: string;
  readonly expiresAt: Date;
}

/** A person's id as the API takes it (schemas/identifiers.ts). */
const USER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** The person the token is for; throws UserTokenRefused for any token that is not valid now. */
export async function verifyUserToken(
  token: string,
  keys: UserTokenKeys,
  now: Date = new Date(),
): Promise<VerifiedUserToken> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new UserTokenRefused('malformed', 'not a JWT');
  }
  const options: JWTVerifyOptions = {
    audience: USER_TOKEN_AUDIENCE,
    requiredClaims: ['sub', 'iat', 'exp'],
    maxTokenAge: MAX_USER_TOKEN_SECONDS + CLOCK_TOLERANCE_SECONDS,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    currentDate: now,
  };
  let payload: { sub?: string; exp?: number };
  try {
    if (header.alg === 'HS256') {
      const secret = stackSecret(keys, header.kid);
      ({ payload } = await jwtVerify(token, secret, { ...options, algorithms: ['HS256'], issuer: STACK_TOKEN_ISSUER }));
    } else if ((TEAM_TOKEN_ALGORITHMS as readonly unknown[]).includes(header.alg) && keys.team?.length) {
      if (keys.team.length > 1 && header.kid === undefined)
        throw new UserTokenRefused('unknown_key', 'the token names no kid, and the team has several keys');
      const jwks = createLocalJWKSet({ keys: [...keys.team] });
      ({ payload } = await jwtVerify(token, jwks, { ...options, algorithms: [...TEAM_TOKEN_ALGORITHMS] }));
    } else {
      throw new UserTokenRefused('algorithm_not_allowed', `tokens signed with ${String(header.alg)} are not taken`);
    }
  } catch (error) {
    throw refusalOf(error);
  }
  if (typeof payload.sub !== 'string' || !USER_ID.test(payload.sub))
    throw new UserTokenRefused('invalid_claims', 'sub is not a user id');
  // An `exp` too far from `iat` is refused by maxTokenAge; this one is required and checked.
  return { userId: payload.sub, expiresAt: new Date((payload.exp ?? 0) * 1000) };
}

function stackSecret(keys: UserTokenKeys, kid: string | undefined): Uint8Array {
  const stack = keys.stack;
  if (!stack) throw new UserTokenRefused('algorithm_not_allowed', 'the stack signs no tokens here');
  const candidates = [stack.current, ...(stack.previous ? [stack.previous] : [])];
  // A kid is only ever looked up in this list: it names a key, it never reaches a path or a URL.
  const key = kid === undefined ? stack.current : candidates.find((candidate) => candidate.kid === kid);
  if (!key) throw new UserTokenRefused('unknown_key', 'the token names a key the stack does not have');
  return key.secret;
}

function refusalOf(error: unknown): UserTokenRefused {
  if (error instanceof UserTokenRefused) return error;
  if (error instanceof errors.JWTExpired) return new UserTokenRefused('expired', 'the token has expired');
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new UserTokenRefused('bad_signature', 'the signature does not match');
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new UserTokenRefused('algorithm_not_allowed', 'the algorithm is not taken for this key');
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return new UserTokenRefused('unknown_key', 'no one key of the team matches the token');
  if (error instanceof errors.JWTClaimValidationFailed)
    return new UserTokenRefused('invalid_claims', `the token's ${error.claim} claim is not valid`);
  return new UserTokenRefused('malformed', (error as Error).message);
}

/**
 * Why a team's keys cannot be used, or none: each must be a public key (no private part), with a `kid` of its own and
 * an `alg` of TEAM_TOKEN_ALGORITHMS. Checked at synth, so that a private key never reaches a deployed function.
 */
export function teamKeyProblems(keys: readonly JWK[]): string[] {
  const problems: string[] = [];
  const kids = new Set<string>();
  keys.forEach((key, index) => {
    const at = `team key ${index + 1}`;
    if ('d' in key || 'p' in key || 'k' in key)
      problems.push(`${at} holds private or secret key material: give its public key only`);
    if (typeof key.kid !== 'string' || key.kid === '') problems.push(`${at} must have a kid`);
    else if (kids.has(key.kid)) problems.push(`${at}'s kid ${key.kid} is used twice`);
    else kids.add(key.kid);
    if (!(TEAM_TOKEN_ALGORITHMS as readonly unknown[]).includes(key.alg))
      problems.push(`${at} must have an alg of ${TEAM_TOKEN_ALGORITHMS.join(', ')}`);
  });
  return problems;
}
