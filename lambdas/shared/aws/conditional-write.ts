/**
 * A DynamoDB write with a condition, whose condition not holding is an answer rather than an error: true when the
 * write was made, false when DynamoDB refused it for its condition (ConditionalCheckFailedException). Any other
 * failure is thrown as it is.
 */
export async function conditionHeld(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
