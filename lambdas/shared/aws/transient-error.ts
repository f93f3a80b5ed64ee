/**
 * Whether an AWS SDK error is worth retrying later: throttling, a 5xx, a timeout or a broken connection.
 * Anything else (validation, access denied, a missing resource) is a fault a retry cannot fix.
 */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
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

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
  CancellationReasons?: { Code?: string }[];
}

export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const shape = error as Error & SdkErrorShape;
  if (shape.name && TRANSIENT_NAMES.has(shape.name)) return true;
  if (shape.code && NETWORK_CODES.has(shape.code)) return true;
  if (shape.$retryable) return true;
  if ((shape.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  // A transaction cancelled only because a part of it was throttled or conflicted.
  if (shape.name === 'TransactionCanceledException' && shape.CancellationReasons) {
    const codes = shape.CancellationReasons.map((reason) => reason.Code).filter((code) => code && code !== 'None');
    return codes.length > 0 && codes.every((code) => code === 'ThrottlingError' || code === 'TransactionConflict');
  }
  return false;
}
