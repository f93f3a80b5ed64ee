import { transactionCancellationCodes } from './conditional-write.js';
import { awsErrorSummary, isShape, networkErrorCode } from './error-shapes.js';

/**
 * Whether an AWS SDK error is worth retrying later: throttling, a 5xx, a timeout or a broken connection.
 * Anything else (validation, access denied, a missing resource) is a fault a retry cannot fix.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error) || !isShape(error)) return false;
  if (networkErrorCode(error)) return true;
  if (awsErrorSummary(error).retryable) return true;
  // A transaction cancelled only because a part of it was throttled or conflicted.
  const codes = transactionCancellationCodes(error).filter((code) => code && code !== 'None');
  return codes.length > 0 && codes.every((code) => code === 'ThrottlingError' || code === 'TransactionConflict');
}
