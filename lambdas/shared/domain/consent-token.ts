/**
 * The token of an email's unsubscribe link and of the preference page: who (a user), what (a category on a channel),
 * when it was issued and under which of the person's link generations, signed with HMAC-SHA256 so that nobody can make
 * one for another person. Two keys may be valid at once (`previous`, during a rotation): a token is signed with the
 * current one and accepted with either, so links in emails already sent keep working until the previous key is
 * retired. What a valid token may still do depends on its age and generation (`linkPower`).
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
  /**
   * The person's link generation when it was issued: a random value made with their first link and forgotten with
   * them when they are erased, so a person made again under the same id is not controlled by the old links. Absent
   * in the links of an earlier release.
   */
  readonly generation?: string;
}

/** How long a link may do what (platform.config.ts `links`), in seconds. */
export interface LinkLifetimes {
  /** The link opens the preference page with every choice, re-subscribing included, for this long. */
  readonly changeAnythingSeconds: number;
  /** Until this age it may still unsubscribe (one-click, or turning things off on the page), never re-subscribe. */
  readonly unsubscribeSeconds: number;
}

export const DEFAULT_LINK_LIFETIMES: LinkLifetimes = {
  changeAnythingSeconds: 30 * 24 * 3600,
  unsubscribeSeconds: 365 * 24 * 3600,
};

/**
 * What a valid token may do now: `any` change; `unsubscribe` only (old, or of an earlier release); nothing, being
 * `expired`, or `superseded` (signed for a link generation the person no longer has: erased and made again).
 */
export type LinkPower = 'any' | 'unsubscribe' | 'expired' | 'superseded';

/** A token issued later than this is refused: the clocks of two functions differ by less. */
const CLOCK_SKEW_SECONDS = 300;

export function linkPower(
  grant: ConsentGrant,
  person: { readonly generation?: string },
  nowSeconds: number,
  lifetimes: LinkLifetimes,
): LinkPower {
  const age = nowSeconds - grant.issuedAt;
  if (age < -CLOCK_SKEW_SECONDS || age > lifetimes.unsubscribeSeconds) return 'expired';
  if (grant.generation === undefined) return 'unsubscribe';
  if (grant.generation !== person.generation) return 'superseded';
  return age <= lifetimes.changeAnythingSeconds ? 'any' : 'unsubscribe';
}

const VERSION = 'v1';
/** Longer than any token this makes; anything longer is refused before it is decoded. */
const MAX_TOKEN_LENGTH = 512;

const payloadSchema = z.strictObject({
  u: z.string().check(z.minLength(1), z.maxLength(128)),
  c: z.string().check(z.regex(CATEGORY_NAME)),
  ch: z.enum(CHANNELS),
  iat: z.int().check(z.nonnegative()),
  g: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,32}$/))),
});

export function signConsentToken(grant: ConsentGrant, keys: ConsentTokenKeys): string {
  const payload = Buffer.from(
    JSON.stringify({
      u: grant.userId,
      c: grant.category,
      ch: grant.channel,
      iat: grant.issuedAt,
      ...(grant.generation === undefined ? {} : { g: grant.generation }),
    }),
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
  const { u, c, ch, iat, g } = parsed.data;
  return { userId: u, category: c, channel: ch, issuedAt: iat, ...(g === undefined ? {} : { generation: g }) };
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
