/**
 * The token of an email's unsubscribe link and of the preference page: who (a user), what (a category on a channel)
 * and when it was issued, signed with HMAC-SHA256 so that nobody can make one for another person. Two keys may be
 * valid at once (`previous`, during a rotation): a token is signed with the current one and accepted with either, so
 * links in emails already sent keep working until the previous key is retired.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CHANNELS, type Channel } from '../../channels/registry.js';
import * as z from '../schemas/zod.js';
import { CATEGORY_NAME } from './categories.js';

export interface ConsentTokenKeys {
  readonly current: string;
  /** The key before the current one, accepted until it is dropped (a rotation). */
  readonly previous?: string;
}

export interface ConsentGrant {
  readonly userId: string;
  readonly category: string;
  readonly channel: Channel;
  /** Epoch seconds. */
  readonly issuedAt: number;
}

const VERSION = 'v1';
/** Longer than any token this makes; anything longer is refused before it is decoded. */
const MAX_TOKEN_LENGTH = 512;

const payloadSchema = z.strictObject({
  u: z.string().check(z.minLength(1), z.maxLength(128)),
  c: z.string().check(z.regex(CATEGORY_NAME)),
  ch: z.enum(CHANNELS),
  iat: z.int().check(z.nonnegative()),
});

export function signConsentToken(grant: ConsentGrant, keys: ConsentTokenKeys): string {
  const payload = Buffer.from(
    JSON.stringify({ u: grant.userId, c: grant.category, ch: grant.channel, iat: grant.issuedAt }),
  ).toString('base64url');
  return `${VERSION}.${payload}.${mac(keys.current, payload)}`;
}

/** The grant a token carries, or undefined for one that is tampered with, truncated, or signed by a key not held. */
export function verifyConsentToken(token: string, keys: ConsentTokenKeys): ConsentGrant | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const [version, payload, signature, ...rest] = token.split('.');
  if (version !== VERSION || !payload || !signature || rest.length > 0) return undefined;
  const given = Buffer.from(signature, 'base64url');
  const signedBy = [keys.current, keys.previous].filter((key): key is string => Boolean(key));
  if (!signedBy.some((key) => sameBytes(given, Buffer.from(mac(key, payload), 'base64url')))) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) return undefined;
  return { userId: parsed.data.u, category: parsed.data.c, channel: parsed.data.ch, issuedAt: parsed.data.iat };
}

/** A value bound to a token with the same keys (the preference form's CSRF field). */
export function tokenBoundValue(token: string, purpose: string, keys: ConsentTokenKeys): string {
  return mac(keys.current, `${purpose}:${token}`);
}

export function isTokenBoundValue(value: string, token: string, purpose: string, keys: ConsentTokenKeys): boolean {
  const given = Buffer.from(value, 'base64url');
  return [keys.current, keys.previous]
    .filter((key): key is string => Boolean(key))
    .some((key) => sameBytes(given, Buffer.from(mac(key, `${purpose}:${token}`), 'base64url')));
}

function mac(key: string, text: string): string {
  return createHmac('sha256', key).update(`${VERSION}.${text}`).digest('base64url');
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
