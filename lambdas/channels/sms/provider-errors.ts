import {
  integer,
  isClientError,
  isShape,
  networkFailure,
  retryAfterSeconds,
} from '../../shared/delivery/provider-failure.js';
import { type DeliveryFailure, permanent, transient } from '../../shared/domain/delivery-failure.js';

const TWILIO_REFUSED: Readonly<Record<number, string>> = {
  21211: 'invalid_number',
  21408: 'region_not_enabled',
  21610: 'unsubscribed',
  21612: 'cannot_route',
  21614: 'not_mobile',
  21617: 'body_too_long',
};
/** The failure of a text to a person who texted STOP: Twilio refuses every one until they text START. */
export const UNSUBSCRIBED = 'twilio_21610_unsubscribed';

// Bad credentials or a suspended account stop every send until an operator acts: retry, rest in the DLQ, redrive.
const TWILIO_OPERATOR_FIXABLE: Readonly<Record<number, string>> = {
  20003: 'authentication',
  20005: 'account_inactive',
};
const TWILIO_TOO_MANY_REQUESTS = 20429;
const TWILIO_AUTHENTICATION = 20003;

/** Twilio refused the credentials (20003): the auth token may have been rotated since it was read. */
export function isAuthenticationRefusal(error: unknown): boolean {
  return isShape(error) && integer(error.code) === TWILIO_AUTHENTICATION;
}

/** What a Twilio Messages API error means for the delivery, by its HTTP status and Twilio's error code. */
export function classifyTwilioError(error: unknown): DeliveryFailure {
  const network = networkFailure(error);
  if (network) return network;
  if (!isShape(error)) return transient('twilio_unexpected_error');
  const status = integer(error.status);
  const code = integer(error.code);
  const reason = code === undefined ? `twilio_http_${status ?? 'unknown'}` : `twilio_${code}`;

  if (status === 429 || code === TWILIO_TOO_MANY_REQUESTS) return transient(reason, retryAfterSeconds(error));
  if (status !== undefined && status >= 500) return transient(reason);
  const refused = code === undefined ? undefined : TWILIO_REFUSED[code];
  if (refused) return permanent(`${reason}_${refused}`);
  const fixable = code === undefined ? undefined : TWILIO_OPERATOR_FIXABLE[code];
  if (fixable) return transient(`${reason}_${fixable}`);
  // A 401 without a code is still about credentials.
  if (status === 401) return transient(reason);
  return isClientError(status) ? permanent(reason) : transient(code === undefined ? 'twilio_unexpected_error' : reason);
}
