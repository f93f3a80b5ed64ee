/**
 * What an error from an AWS SDK (or another provider's HTTP client) says about itself, read from its shape alone —
 * names, codes and statuses, never messages: a message can quote a recipient, and messages change while codes are
 * documented. The API's 503 (transient-error.ts) and every channel's provider error rules read errors through this.
 */

export type ErrorShape = Readonly<Record<string, unknown>>;

/** Socket errors a retry can get past; fetch-based clients wrap them in `cause`. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ESOCKETTIMEDOUT',
]);
export const TIMEOUT_CODES: ReadonlySet<string> = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);

/** Error names that mean "too many requests, or busy, right now": AWS's services name throttling each their way. */
export const THROTTLED_OR_BUSY_NAMES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'Throttled',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'KMSThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'InternalError',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

export interface AwsErrorSummary {
  readonly name: string;
  readonly status: number | undefined;
  /** Throttled, failed on AWS's side, or marked retryable by the SDK. */
  readonly retryable: boolean;
}

/** An AWS SDK v3 error: `name`, `$metadata.httpStatusCode`, sometimes `$retryable`. */
export function awsErrorSummary(error: ErrorShape): AwsErrorSummary {
  const name = typeof error.name === 'string' ? error.name : '';
  const status = integer(isShape(error.$metadata) ? error.$metadata.httpStatusCode : undefined);
  const retryable =
    THROTTLED_OR_BUSY_NAMES.has(name) ||
    (status !== undefined && (status >= 500 || status === 429 || status === 408)) ||
    Boolean(error.$retryable);
  return { name, status, retryable };
}

/** The socket error code of `error` or of its `cause`, when it is one a retry can get past. */
export function networkErrorCode(error: unknown): { readonly code: string; readonly timedOut: boolean } | undefined {
  for (const candidate of [error, isShape(error) ? error.cause : undefined]) {
    if (!isShape(candidate)) continue;
    if (candidate.name === 'TimeoutError') return { code: 'TimeoutError', timedOut: true };
    const code = candidate.code;
    if (typeof code !== 'string' || !NETWORK_CODES.has(code)) continue;
    // axios reports its own request timeout as ECONNABORTED with a "timeout of Nms exceeded" message.
    const timedOut =
      TIMEOUT_CODES.has(code) ||
      (code === 'ECONNABORTED' && typeof candidate.message === 'string' && /timeout/i.test(candidate.message));
    return { code, timedOut };
  }
  return undefined;
}

/** A status or error code; anything else is treated as absent, so it cannot end up in a reason. */
export function integer(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

export function isShape(value: unknown): value is ErrorShape {
  return typeof value === 'object' && value !== null;
}
