import { type DeliveryFailure, permanent, transient } from './delivery-failure.js';

/**
 * Provider errors are classified by their shape alone — names, codes and statuses, never messages — because a
 * message can quote the recipient, and because messages change while codes are documented.
 *
 * Anything this module does not recognise is transient: the job retries, rests in the dead-letter queue and can be
 * redriven, whereas a wrong "permanent" loses the notification for good. Only a provider's own 4xx verdict on the
 * message or recipient is permanent.
 */

/** A push can also fail because the device's endpoint no longer exists; the caller forgets that device. */
export type PushFailure = DeliveryFailure | { readonly kind: 'endpoint_gone'; readonly reason: string };

type ErrorShape = Readonly<Record<string, unknown>>;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ESOCKETTIMEDOUT',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);

const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttled',
  'ThrottledException',
  'KMSThrottlingException',
  'RequestTimeout',
  'RequestTimeoutException',
]);

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

const SES_REFUSED = new Set(['MessageRejected', 'InvalidParameterValue']);
// Transient on purpose: an operator fixes the identity, configuration set or account; meanwhile the job retries,
// then rests in the DLQ and is redriven after the fix. Nothing is lost, which a "permanent" verdict would do.
const SES_OPERATOR_FIXABLE = new Set([
  'MailFromDomainNotVerifiedException',
  'ConfigurationSetDoesNotExistException',
  'ConfigurationSetSendingPausedException',
  'AccountSendingPausedException',
]);

const SNS_ENDPOINT_GONE = new Set(['EndpointDisabledException', 'EndpointDisabled', 'NotFoundException', 'NotFound']);
const SNS_REFUSED = new Set(['InvalidParameterException', 'InvalidParameter', 'InvalidParameterValueException']);
// Same reasoning as for SES: a disabled platform application or a missing permission is fixed by an operator.
const SNS_OPERATOR_FIXABLE = new Set([
  'PlatformApplicationDisabledException',
  'AuthorizationErrorException',
  'InvalidSecurityException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
]);

const TWILIO_REFUSED: Readonly<Record<number, string>> = {
  21211: 'invalid_number',
  21408: 'region_not_enabled',
  21610: 'unsubscribed',
  21612: 'cannot_route',
  21614: 'not_mobile',
  21617: 'body_too_long',
};
// Bad credentials or a suspended account stop every send until an operator acts: retry, rest in the DLQ, redrive.
const TWILIO_OPERATOR_FIXABLE: Readonly<Record<number, string>> = {
  20003: 'authentication',
  20005: 'account_inactive',
};
const TWILIO_TOO_MANY_REQUESTS = 20429;

export function classifySesError(error: unknown): DeliveryFailure {
  const network = networkFailure(error);
  if (network) return network;
  if (!isShape(error)) return transient('ses_unexpected_error');
  const aws = awsFailure(error);
  const reason = awsReason('ses', aws);
  if (aws.retryable) return transient(reason);
  if (SES_REFUSED.has(aws.name)) return permanent(reason);
  if (SES_OPERATOR_FIXABLE.has(aws.name) || isAwsCredentialProblem(aws.name)) return transient(reason);
  return isClientError(aws.status) ? permanent(reason) : transient(reason);
}

export function classifySnsPublishError(error: unknown): PushFailure {
  const network = networkFailure(error);
  if (network) return network;
  if (!isShape(error)) return transient('sns_unexpected_error');
  const aws = awsFailure(error);
  const reason = awsReason('sns', aws);
  if (SNS_ENDPOINT_GONE.has(aws.name)) return { kind: 'endpoint_gone', reason };
  if (aws.retryable) return transient(reason);
  if (SNS_REFUSED.has(aws.name)) return permanent(reason);
  if (SNS_OPERATOR_FIXABLE.has(aws.name) || isAwsCredentialProblem(aws.name)) return transient(reason);
  return isClientError(aws.status) ? permanent(reason) : transient(reason);
}

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

function networkFailure(error: unknown): DeliveryFailure | undefined {
  // fetch-based clients wrap the socket error in `cause`.
  for (const candidate of [error, isShape(error) ? error.cause : undefined]) {
    if (!isShape(candidate)) continue;
    if (candidate.name === 'TimeoutError') return transient('network_timeout');
    const code = candidate.code;
    if (typeof code !== 'string' || !NETWORK_CODES.has(code)) continue;
    // axios reports its own request timeout as ECONNABORTED with a "timeout of Nms exceeded" message.
    const timedOut =
      TIMEOUT_CODES.has(code) ||
      (code === 'ECONNABORTED' && typeof candidate.message === 'string' && /timeout/i.test(candidate.message));
    return transient(timedOut ? 'network_timeout' : `network_${code.toLowerCase()}`);
  }
  return undefined;
}

interface AwsFailure {
  readonly name: string;
  readonly status: number | undefined;
  /** Throttled, failed on AWS's side, or marked retryable by the SDK. */
  readonly retryable: boolean;
}

/** An AWS SDK v3 error: `name`, `$metadata.httpStatusCode`, sometimes `$retryable`. */
function awsFailure(error: ErrorShape): AwsFailure {
  const name = typeof error.name === 'string' ? error.name : '';
  const status = integer(isShape(error.$metadata) ? error.$metadata.httpStatusCode : undefined);
  const retryable =
    THROTTLING_NAMES.has(name) ||
    (status !== undefined && (status >= 500 || status === 429 || status === 408)) ||
    Boolean(error.$retryable);
  return { name, status, retryable };
}

function awsReason(provider: string, { name, status }: AwsFailure): string {
  const code = codeName(name.replace(/Exception$/, ''));
  if (code !== '' && code !== 'error') return `${provider}_${code}`;
  return status === undefined ? `${provider}_unexpected_error` : `${provider}_http_${status}`;
}

function isAwsCredentialProblem(name: string): boolean {
  return name.startsWith('AccessDenied') || AWS_CREDENTIAL_NAMES.has(name);
}

function isClientError(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500;
}

/** What the provider asked for, from whichever place this client put it; seconds only, never an HTTP date. */
function retryAfterSeconds(error: ErrorShape): number | undefined {
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

/** A status or error code; anything else is treated as absent, so it cannot end up in a reason. */
function integer(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function isShape(value: unknown): value is ErrorShape {
  return typeof value === 'object' && value !== null;
}
