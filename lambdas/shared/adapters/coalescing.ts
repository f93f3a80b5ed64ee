import DataLoader from 'dataloader';

/**
 * How long the calls of one request gather before they go out as one: about a DynamoDB or SQS round trip, so that the
 * items of a batch, which reach the same step within milliseconds of one another, share a call, and none waits longer.
 */
export const COALESCING_WINDOW_MS = 5;

/**
 * Calls to `load` made within the window go out as calls of `sendMany`, at most `maxBatchSize` keys each; `sendMany`
 * answers each key's value, or the Error that key's caller gets, in the keys' order. Built per request, never shared:
 * with `cache`, a key is loaded once for the request's life.
 */
export function coalescer<Key, Value>(
  sendMany: (keys: readonly Key[]) => Promise<readonly (Value | Error)[]>,
  options: { readonly maxBatchSize: number; readonly cache?: boolean; readonly windowMs?: number },
): DataLoader<Key, Value> {
  // DataLoader (pinned): per-key promises over one call, a batch window and a size cap, kept upstream, not re-written.
  return new DataLoader<Key, Value>(sendMany, {
    maxBatchSize: options.maxBatchSize,
    cache: options.cache ?? false,
    batchScheduleFn: (dispatch) => setTimeout(dispatch, options.windowMs ?? COALESCING_WINDOW_MS),
  });
}
