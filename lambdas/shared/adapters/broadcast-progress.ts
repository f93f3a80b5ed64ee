import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from '../aws/batch-get.js';
import { conditionHeld, madeOrUndefined } from '../aws/conditional-write.js';
import { broadcastFinished, type ChunkTally } from '../domain/broadcast.js';
import { NOTIFICATION_KEY_PREFIX, type NotificationItem } from './notifications-store.js';

const recordKey = (notificationId: string) => ({
  pk: `${NOTIFICATION_KEY_PREFIX}${notificationId}`,
  sk: 'notification',
});

/** How a channel job of a broadcast ended, as its worker counts it. */
export type BroadcastOutcome = 'sent' | 'failed' | 'cancelled' | { readonly skipped: string };

/**
 * A broadcast's progress on its own record (a notification of kind `broadcast`): what each chunk of the fan-out added,
 * counted once per chunk however often it is fanned out, and each job's outcome, counted by its worker. DynamoDB keeps
 * about 1,000 writes a second on one item: far above a bulk lane's rate, which is below a provider's.
 */
export class BroadcastProgressStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
  ) {}

  /**
   * Adds a chunk's tally, unless that chunk was counted already (the chunk's number joins the set of those counted in
   * the same write). True when this call counted it.
   */
  async countChunk(broadcastId: string, chunk: number, tally: ChunkTally): Promise<boolean> {
    const reasons = Object.entries(tally.skipped);
    const names = Object.fromEntries(reasons.map(([reason], index) => [`#r${index}`, reason]));
    const values = Object.fromEntries(reasons.map(([, count], index) => [`:r${index}`, count]));
    const skippedSet = reasons.map(
      (_, index) => `skipped.#r${index} = if_not_exists(skipped.#r${index}, :zero) + :r${index}`,
    );
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: recordKey(broadcastId),
        UpdateExpression: `ADD recipients :people, dispatched :dispatched, counted_chunks :chunk${skippedSet.length ? ` SET ${skippedSet.join(', ')}` : ''}`,
        ConditionExpression: 'attribute_exists(pk) AND NOT contains(counted_chunks, :number)',
        ...(reasons.length ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: {
          ':people': tally.recipients,
          ':dispatched': tally.dispatched,
          ':chunk': new Set([chunk]),
          ':number': chunk,
          ...(reasons.length ? { ':zero': 0, ...values } : {}),
        },
      }),
    );
  }

  /** Records that the chunk after `chunk` is on the fan-out queue (a redelivery of `chunk` then sends it no more). */
  async markNextQueued(broadcastId: string, chunk: number): Promise<void> {
    await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: recordKey(broadcastId),
        UpdateExpression: 'SET next_chunk_queued = :next',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(next_chunk_queued) OR next_chunk_queued < :next)',
        ExpressionAttributeValues: { ':next': chunk + 1 },
      }),
    );
  }

  /** The fan-out reached the last subscriber: the broadcast is `fanned_out` (unless cancelled meanwhile). */
  async markFannedOut(broadcastId: string, at: string): Promise<void> {
    const updated = await madeOrUndefined(
      this.client.update({
        TableName: this.tableName,
        Key: recordKey(broadcastId),
        UpdateExpression: 'SET #status = :fannedOut, fanned_out_at = :at',
        ConditionExpression: '#status = :fanningOut',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':fannedOut': 'fanned_out', ':fanningOut': 'fanning_out', ':at': at },
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (updated?.Attributes) await this.finishIfSettled(broadcastId, updated.Attributes, at);
  }

  /** Counts one job's outcome; the last to settle after the fan-out is over marks the broadcast finished. */
  async countOutcome(broadcastId: string, outcome: BroadcastOutcome, at: string): Promise<void> {
    const counter = typeof outcome === 'string' ? outcome : undefined;
    const updated = await madeOrUndefined(
      this.client.update({
        TableName: this.tableName,
        Key: recordKey(broadcastId),
        UpdateExpression: counter
          ? 'ADD settled :one, #counter :one'
          : 'ADD settled :one SET skipped.#reason = if_not_exists(skipped.#reason, :zero) + :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: counter
          ? { '#counter': counter }
          : { '#reason': (outcome as { skipped: string }).skipped },
        ExpressionAttributeValues: counter ? { ':one': 1 } : { ':one': 1, ':zero': 0 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (updated?.Attributes) await this.finishIfSettled(broadcastId, updated.Attributes, at);
  }

  /**
   * Cancels a broadcast that is fanning out or fanned out and not finished: the fan-out stops at its next chunk and the
   * workers stop each job not sent yet. The record after it, or undefined when there was nothing left to stop.
   */
  async cancel(broadcastId: string, at: string): Promise<NotificationItem | undefined> {
    const answer = await madeOrUndefined(
      this.client.update({
        TableName: this.tableName,
        Key: recordKey(broadcastId),
        UpdateExpression: 'SET #status = :cancelled, cancelled_at = :at',
        ConditionExpression: '#status IN (:fanningOut, :fannedOut) AND attribute_not_exists(finished_at)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':cancelled': 'cancelled',
          ':fanningOut': 'fanning_out',
          ':fannedOut': 'fanned_out',
          ':at': at,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return answer?.Attributes as NotificationItem | undefined;
  }

  /** The broadcast's status now (a worker asks whether it was cancelled). */
  async statusOf(broadcastId: string): Promise<string | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: recordKey(broadcastId),
      ProjectionExpression: '#status',
      ExpressionAttributeNames: { '#status': 'status' },
    });
    return Item?.status as string | undefined;
  }

  /** The records of these notifications that exist (a chunk fanned out before), read consistently, by id. */
  async findRecorded(notificationIds: readonly string[]): Promise<Map<string, NotificationItem>> {
    const items = await batchGetAll(this.client, this.tableName, notificationIds.map(recordKey));
    return new Map(items.map((item) => [String(item.notification_id), item as unknown as NotificationItem]));
  }

  private async finishIfSettled(broadcastId: string, item: Record<string, unknown>, at: string): Promise<void> {
    const finished = broadcastFinished({
      fannedOut: item.fanned_out_at !== undefined,
      dispatched: Number(item.dispatched ?? 0),
      settled: Number(item.settled ?? 0),
    });
    if (!finished || item.finished_at !== undefined) return;
    await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: recordKey(broadcastId),
        UpdateExpression: 'SET finished_at = :at',
        ConditionExpression: 'attribute_not_exists(finished_at)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }
}
