import type { BatchGetCommandOutput, DynamoDBDocument } from '@aws-sdk/lib-dynamodb';

/** BatchGetItem takes at most 100 keys a request. */
export const BATCH_GET_LIMIT = 100;
/** Rounds of unprocessed keys (DynamoDB throttling part of a batch) before the read fails, to be retried whole. */
const MAX_UNPROCESSED_ROUNDS = 8;

/**
 * The items of one table with these keys that exist, read consistently (unless `consistentRead` is false: a read
 * through DAX's cache), a hundred keys a request, with the keys DynamoDB left unprocessed read again after a backoff.
 */
export async function batchGetAll(
  client: DynamoDBDocument,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  { consistentRead = true }: { readonly consistentRead?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(start, start + BATCH_GET_LIMIT);
    for (let round = 0; pending?.length; round++) {
      if (round === MAX_UNPROCESSED_ROUNDS) throw unprocessed(tableName);
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
      const answer: BatchGetCommandOutput = await client.batchGet({
        RequestItems: { [tableName]: { Keys: pending, ConsistentRead: consistentRead } },
      });
      found.push(...(answer.Responses?.[tableName] ?? []));
      pending = answer.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return found;
}

/** DynamoDB throttling part of every round: an error shaped as its throttling is, so that callers retry it (503). */
function unprocessed(tableName: string): Error {
  return Object.assign(new Error(`DynamoDB kept keys of ${tableName} unprocessed`), {
    name: 'ProvisionedThroughputExceededException',
    $retryable: { throttling: true },
  });
}
