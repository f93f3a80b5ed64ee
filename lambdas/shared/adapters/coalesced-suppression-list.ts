import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type DataLoader from 'dataloader';
import { BATCH_GET_LIMIT, batchGetAll } from '../aws/batch-get.js';
import type { AddressKeyPeppers } from '../domain/address-key.js';
import { coalescer } from './coalescing.js';
import { type SuppressionItem, SuppressionList } from './suppression-list.js';

/**
 * The suppression list for one request that sends many notifications (a batch): the entries its notifications look
 * up within a short window are read in one consistent BatchGetItem of a hundred keys at most, each key once. Nothing
 * is remembered between reads: a suppression written meanwhile is seen by the next.
 */
export class CoalescedSuppressionList extends SuppressionList {
  private readonly entries: DataLoader<string, SuppressionItem | undefined>;

  constructor(
    tableName: string,
    client: DynamoDBDocument,
    peppers: () => Promise<AddressKeyPeppers>,
    windowMs?: number,
  ) {
    super(tableName, client, peppers);
    this.entries = coalescer(
      async (keys) => {
        const keyOf = (item: Record<string, unknown>) => String(item.address_key);
        const unique = [...new Set(keys)].map((address_key) => ({ address_key }));
        const found = new Map((await batchGetAll(client, tableName, unique)).map((item) => [keyOf(item), item]));
        return keys.map((key) => found.get(key) as SuppressionItem | undefined);
      },
      { maxBatchSize: BATCH_GET_LIMIT, windowMs },
    );
  }

  protected override async read(keys: readonly string[]): Promise<SuppressionItem[]> {
    const entries = await Promise.all(keys.map((key) => this.entries.load(key)));
    return entries.filter((entry) => entry !== undefined);
  }
}
