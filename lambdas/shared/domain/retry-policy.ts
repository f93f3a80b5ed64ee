export const RETRY_BASE_SECONDS = 10;
/** The longest wait between two attempts: a provider still failing is tried every 15 minutes until the job rests in the DLQ. */
export const RETRY_CAP_SECONDS = 900;

/**
 * Visibility delay before attempt `receiveCount + 1`: exponential backoff with AWS's "equal jitter" — half of
 * min(cap, base * 2^receiveCount) fixed, half random — so each retry waits longer than the last while retries of
 * many jobs spread out; never less than what the provider asked for (retryAfterSeconds), never more than the cap.
 *
 * `receiveCount` is SQS's ApproximateReceiveCount of the attempt that just failed (1-based).
 */
export function retryDelaySeconds(
  receiveCount: number,
  random: () => number = Math.random,
  retryAfterSeconds?: number,
  baseSeconds: number = RETRY_BASE_SECONDS,
): number {
  // A missing or garbled count must not make a failing job retry at once, nor wait forever.
  const attempts = Number.isFinite(receiveCount) && receiveCount >= 1 ? Math.floor(receiveCount) : 1;
  const ceiling = Math.min(RETRY_CAP_SECONDS, baseSeconds * 2 ** attempts);
  const jittered = Math.ceil(ceiling / 2 + (ceiling / 2) * unitInterval(random()));
  const asked =
    retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) ? Math.ceil(retryAfterSeconds) : 0;
  return Math.min(RETRY_CAP_SECONDS, Math.max(jittered, asked));
}

function unitInterval(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
