/**
 * Re-keying the suppression list to the current pepper (lambdas/shared/domain/address-key.ts): every entry keyed under
 * an earlier generation (an unpeppered one of a release before peppers, or one of before the last rotation) is
 * written again under its key of the current generation, computed from its stored key alone, and its old entry
 * deleted. Nothing is lost: an entry already there under the new key (suppressed again meanwhile) stays as it is.
 */
import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { SuppressionItem } from '../lambdas/shared/adapters/suppression-list.js';
import { conditionHeld } from '../lambdas/shared/aws/conditional-write.js';
import { type AddressKeyPeppers, keyGeneration, rekeyed } from '../lambdas/shared/domain/address-key.js';

export interface RekeyReport {
  /** Entries read. */
  readonly entries: number;
  /** Entries moved to their key of the current generation. */
  readonly rekeyed: number;
  /** Entries whose new key held an entry already (kept), the old one deleted. */
  readonly merged: number;
}

export async function rekeySuppressions(
  client: DynamoDBDocument,
  tableName: string,
  peppers: AddressKeyPeppers,
): Promise<RekeyReport> {
  const generation = keyGeneration(peppers);
  let entries = 0;
  let moved = 0;
  let merged = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client.scan({ TableName: tableName, ExclusiveStartKey, ConsistentRead: true });
    for (const item of (page.Items ?? []) as SuppressionItem[]) {
      entries++;
      const key = rekeyed(peppers, item.address_key, item.key_generation ?? 0);
      if (key === undefined) continue;
      const written = await conditionHeld(
        client.put({
          TableName: tableName,
          Item: { ...item, address_key: key, key_generation: generation },
          ConditionExpression: 'attribute_not_exists(address_key)',
        }),
      );
      await client.delete({ TableName: tableName, Key: { address_key: item.address_key } });
      if (written) moved++;
      else merged++;
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return { entries, rekeyed: moved, merged };
}
