/**
 * The preference page's CSRF cookie: a nonce the page's form field is bound to (with the token), in a cookie of the
 * link's own, so that the pages of two links open at once do not overwrite each other's; a second tab of the same link
 * shares its nonce. Same-site only, never readable by a script, sent back only to the API's own paths.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { header } from '../shared/http/request.js';

/** The name of a link's CSRF cookie: one per token, short and safe in a cookie name. */
function csrfCookieName(token: string): string {
  return `consent_csrf_${createHash('sha256').update(token).digest('base64url').slice(0, 16)}`;
}

/** The page's CSRF cookie: same-site only, never readable by a script, sent back only to the API's own paths. */
export function csrfCookie(token: string, nonce: string, publicApiUrl: URL): string {
  const secure = publicApiUrl.protocol === 'https:' ? '; Secure' : '';
  return `${csrfCookieName(token)}=${nonce}; Path=${publicApiUrl.pathname.replace(/\/$/, '')}/consent; HttpOnly; SameSite=Strict; Max-Age=3600${secure}`;
}

/** The nonce in this link's cookie, when the request carries one well-formed. */
export function csrfNonce(event: APIGatewayProxyEvent, token: string): string | undefined {
  const name = csrfCookieName(token);
  for (const pair of (header(event, 'Cookie') ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=');
    if (key === name && /^[A-Za-z0-9_-]{24}$/.test(value.join('='))) return value.join('=');
  }
  return undefined;
}
