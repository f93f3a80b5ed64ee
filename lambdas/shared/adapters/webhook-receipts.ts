import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from '../aws/conditional-write.js';

/** How long a receipt is kept: a provider's retries and a replay within this time change nothing. */
export const WEBHOOK_RECEIPT_SECONDS = 30 * 24 * 3600;

/**
 * The webhook requests already acted on, by the provider's id for each: a signature has no time in it, so a request
 * captured once stays valid, and a replay must change nothing. A receipt is written once the request was acted on, so
 * that a request cut short (a timeout, a failed write) is acted on when the provider or the person sends it again;
 * acting twice on the same request (two deliveries at once) does the same thing twice. Kept in the notifications table
 * beside the other claims, and deleted by its TTL.
 */
export class WebhookReceipts {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
  ) {}

  /** Whether the request was acted on before. */
  async actedOn(id: string): Promise<boolean> {
    const { Item } = await this.client.get({ TableName: this.tableName, Key: receiptKey(id), ConsistentRead: true });
    return Item !== undefined;
  }

  /** Records that the request was acted on; a receipt another delivery wrote first stays as it is. */
  async record(id: string, now = new Date()): Promise<void> {
    await conditionHeld(
      this.client.put({
        TableName: this.tableName,
        Item: {
          ...receiptKey(id),
          received_at: now.toISOString(),
          expires_at: Math.floor(now.getTime() / 1000) + WEBHOOK_RECEIPT_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }
}

/** The partition keys of receipts begin with this (the webhook function may write no other items of the table). */
export const RECEIPT_KEY_PREFIX = 'receipt#';

const receiptKey = (id: string) => ({ pk: `${RECEIPT_KEY_PREFIX}${id}`, sk: 'receipt' });
