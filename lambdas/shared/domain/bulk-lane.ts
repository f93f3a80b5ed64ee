/**
 * How a channel's bulk lane keeps below its rate: each of its `maxConcurrency` invocations sends at most its share of
 * `ratePerSecond`, its batch's jobs started one share apart, and takes a batch it can send in a third of the worker's
 * timeout (a slow lane, such as SMS from one long code, takes fewer jobs at a time rather than running out of time).
 */
export function bulkLanePace(
  lane: { readonly ratePerSecond: number; readonly maxConcurrency: number },
  workerTimeoutSeconds: number,
): { readonly sendsPerSecondPerInvocation: number; readonly batchSize: number } {
  const sendsPerSecondPerInvocation = lane.ratePerSecond / lane.maxConcurrency;
  const batchSize = Math.max(1, Math.min(10, Math.floor((sendsPerSecondPerInvocation * workerTimeoutSeconds) / 3)));
  return { sendsPerSecondPerInvocation, batchSize };
}

/** How long the record at `index` of a bulk batch waits before it starts, at `sendsPerSecond`. */
export function bulkStartDelayMs(index: number, sendsPerSecond: number): number {
  return Math.round((index * 1000) / sendsPerSecond);
}
