/**
 * What every channel's provider error rules share (each channel's provider-errors.ts holds its own): a broken
 * connection or a timeout is transient; an AWS error's summary and the reason it makes; credentials and permissions
 * (the operator's to fix, so transient); Retry-After from wherever a client put it.
 *
 * Anything a channel's rules do not recognise is transient: the job retries, rests in the dead-letter queue and can be
 * redriven, whereas a wrong "permanent" loses the notification for good. Only a provider's own 4xx verdict on the
 * message or recipient is permanent.
 */
import {
  type AwsErrorSummary,
  awsErrorSummary,
  type ErrorShape,
  isShape,
  networkErrorCode,
} from '../aws/error-shapes.js';
import { type DeliveryFailure, permanent, transient } from '../domain/delivery-failure.js';

export { awsErrorSummary, type ErrorShape, integer, isShape } from '../aws/error-shapes.js';

// Credentials and permissions are the operator's to fix; until then every send fails the same way, and dropping
// them all as "permanent" would lose every notification sent during the outage.
const AWS_CREDENTIAL_NAMES = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
]);

/** What an AWS provider's refusals mean, by error name: the channel's own knowledge of its provider. */
export interface AwsProviderRules {
  /** Its verdict on the message or the recipient: permanent. */
  readonly refused: ReadonlySet<string>;
  /** Configuration an operator fixes (an identity, a paused account, a disabled application): transient. */
  readonly operatorFixable: ReadonlySet<string>;
}

/**
 * An AWS provider's error as a delivery failure: a broken connection, throttling or a 5xx is transient; the provider's
 * refusal permanent; an operator's fault (its configuration, credentials, permissions) transient; any other 4xx
 * permanent; anything else transient.
 */
export function awsProviderFailure(provider: string, error: unknown, rules: AwsProviderRules): DeliveryFailure {
  const network = networkFailure(error);
  if (network) return network;
  if (!isShape(error)) return transient(`${provider}_unexpected_error`);
  const aws = awsErrorSummary(error);
  const reason = awsReason(provider, aws);
  if (aws.retryable) return transient(reason);
  if (rules.refused.has(aws.name)) return permanent(reason);
  if (rules.operatorFixable.has(aws.name) || isAwsCredentialProblem(aws.name)) return transient(reason);
  return isClientError(aws.status) ? permanent(reason) : transient(reason);
}

/** A connection that broke or timed out, as a transient failure; undefined for anything else. */
export function networkFailure(error: unknown): DeliveryFailure | undefined {
  const network = networkErrorCode(error);
  if (!network) return undefined;
  return transient(network.timedOut ? 'network_timeout' : `network_${network.code.toLowerCase()}`);
}

/** `ses_message_rejected`, `sns_http_400`: the provider and what it said, as a code safe to log. */
export function awsReason(provider: string, { name, status }: AwsErrorSummary): string {
  const code = codeName(name.replace(/Exception$/, ''));
  if (code !== '' && code !== 'error') return `${provider}_${code}`;
  return status === undefined ? `${provider}_unexpected_error` : `${provider}_http_${status}`;
}

function isAwsCredentialProblem(name: string): boolean {
  return name.startsWith('AccessDenied') || AWS_CREDENTIAL_NAMES.has(name);
}

export function isClientError(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500;
}

/** What the provider asked for, from whichever place its client put it; seconds only, never an HTTP date. */
export function retryAfterSeconds(error: ErrorShape): number | undefined {
  const response = isShape(error.response) ? error.response : undefined;
  for (const value of [
    error.retryAfterSeconds,
    error.retryAfter,
    header(error.headers, 'retry-after'),
    header(response?.headers, 'retry-after'),
  ]) {
    const seconds = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) return seconds;
  }
  return undefined;
}

function header(headers: unknown, name: string): unknown {
  if (!isShape(headers)) return undefined;
  if (typeof headers.get === 'function') {
    try {
      return (headers.get as (key: string) => unknown).call(headers, name);
    } catch {
      return undefined;
    }
  }
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** `MessageRejected` -> `message_rejected`; anything odd in a name is dropped, so a reason stays a code. */
function codeName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
}
