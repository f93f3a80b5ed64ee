/**
 * A DynamoDB write with a condition, whose condition not holding is an answer rather than an error: true when the
 * write was made, false when DynamoDB refused it for its condition (ConditionalCheckFailedException). Any other
 * failure is thrown as it is.
 */
export async function conditionHeld(write: Promise<unknown>): Promise<boolean> {
  return (await madeOrUndefined(write.then(() => true))) ?? false;
}

/** The same for a write whose answer is wanted: its answer, or undefined when its condition did not hold. */
export async function madeOrUndefined<Answer>(write: Promise<Answer>): Promise<Answer | undefined> {
  try {
    return await write;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
}

/**
 * Why DynamoDB cancelled a transaction: the code of each of its parts in order (`None` for a part that was fine), or
 * none at all for an error that is not a cancelled transaction.
 */
export function transactionCancellationCodes(error: unknown): string[] {
  const cancelled = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (cancelled.name !== 'TransactionCanceledException') return [];
  return (cancelled.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
}
