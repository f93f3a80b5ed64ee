import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from '../aws/conditional-write.js';

/** How long a receipt is kept: a provider's retries and a replay within this time change nothing. */
export const WEBHOOK_RECEIPT_SECONDS = 30 * 24 * 3600;

/**
 * The webhook requests already acted on, by the provider's id for each: a signature has no time in it, so a request
 * captured once stays valid, and a replay must change nothing. Kept in the notifications table beside the other
 * claims, and deleted by its TTL.
 */
export class WebhookReceipts {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
  ) {}

  /** Records the request's receipt: true the first time, false for a request seen before. */
  async firstReceipt(id: string, now = new Date()): Promise<boolean> {
    return conditionHeld(
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

  /** Forgets a receipt whose request could not be acted on, so that the provider's retry is. */
  async forget(id: string): Promise<void> {
    await this.client.delete({ TableName: this.tableName, Key: receiptKey(id) });
  }
}

const receiptKey = (id: string) => ({ pk: `receipt#${id}`, sk: 'receipt' });
