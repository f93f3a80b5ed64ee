import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from '../aws/batch-get.js';
import { conditionHeld, madeOrUndefined, transactionCancellationCodes } from '../aws/conditional-write.js';
import { type BroadcastProgress, broadcastFinished, type ChunkTally, type FanOutCount } from '../domain/broadcast.js';
import { NOTIFICATION_RECORD_SORT_KEY } from '../platform/resources.js';
import {
  NOTIFICATION_KEY_PREFIX,
  NOTIFICATION_RETENTION_SECONDS,
  type NotificationItem,
} from './notifications-store.js';

/**
 * A broadcast's progress lives beside its record (same partition), in small items of its own, so that each count costs
 * one write unit whatever the size of the broadcast's payload:
 * - `fan-out`: what the chunks counted (people, jobs dispatched, channels skipped at dispatch), written once per chunk
 *   in a transaction with that chunk's marker (`fan-out#chunk#<n>`), which is what makes a chunk count once;
 * - `outcomes`: what the workers counted, one plain write per job (never in a transaction, so that a chunk's count and
 *   a job's never conflict), and the cancel the workers watch.
 * DynamoDB takes about 1,000 writes a second on one item: far above a bulk lane's rate, which is below a provider's.
 */
const RECORD = NOTIFICATION_RECORD_SORT_KEY;
const FAN_OUT = 'fan-out';
const OUTCOMES = 'outcomes';
const chunkMarker = (chunk: number) => `fan-out#chunk#${chunk}`;
/** Channels skipped, by reason, are counters of their own (`skipped:opted_out`): ADD makes them, a map would not. */
const SKIPPED = 'skipped:';
/** A chunk's count that met another chunk's at the same moment is tried again this often before its message is. */
const CONFLICT_RETRIES = 4;

const key = (broadcastId: string, sk: string) => ({ pk: `${NOTIFICATION_KEY_PREFIX}${broadcastId}`, sk });
const expiresAt = (at: string) => Math.floor(new Date(at).getTime() / 1000) + NOTIFICATION_RETENTION_SECONDS;

/** How a channel job of a broadcast ended, as its worker counts it. */
export type BroadcastOutcome = 'sent' | 'failed' | 'cancelled' | { readonly skipped: string };

/** Where a broadcast's fan-out stands, and whether one chunk of it was counted already. */
export interface FanOutState extends FanOutCount {
  readonly chunkCounted: boolean;
  readonly dispatched: number;
}

export class BroadcastProgressStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
  ) {}

  /** The fan-out's count so far and whether `chunk` is in it: one consistent read of two small items. */
  async fanOutState(broadcastId: string, chunk: number): Promise<FanOutState> {
    const items = await batchGetAll(this.client, this.tableName, [
      key(broadcastId, FAN_OUT),
      key(broadcastId, chunkMarker(chunk)),
    ]);
    const count = items.find((item) => item.sk === FAN_OUT) ?? {};
    return {
      chunkCounted: items.some((item) => item.sk === chunkMarker(chunk)),
      chunksCounted: Number(count.chunks_counted ?? 0),
      ...(count.last_chunk === undefined ? {} : { lastChunk: Number(count.last_chunk) }),
      nextChunkQueued: Number(count.next_chunk_queued ?? 0),
      dispatched: Number(count.dispatched ?? 0),
    };
  }

  /**
   * Adds a chunk's tally, unless that chunk was counted already: its marker is created in the same transaction. True
   * when this call counted it. The last chunk (no subscriber after it) also records its number.
   */
  async countChunk(
    broadcastId: string,
    chunk: number,
    tally: ChunkTally,
    { last, at }: { readonly last: boolean; readonly at: string },
  ): Promise<boolean> {
    const reasons = Object.entries(tally.skipped);
    const marker = {
      Put: {
        TableName: this.tableName,
        Item: { ...key(broadcastId, chunkMarker(chunk)), expires_at: expiresAt(at) },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    const count = {
      Update: {
        TableName: this.tableName,
        Key: key(broadcastId, FAN_OUT),
        UpdateExpression: [
          `ADD recipients :people, dispatched :dispatched, chunks_counted :one${reasons.map((_, index) => `, #r${index} :r${index}`).join('')}`,
          `SET expires_at = if_not_exists(expires_at, :expires)${last ? ', last_chunk = :chunk' : ''}`,
        ].join(' '),
        ...(reasons.length
          ? { ExpressionAttributeNames: Object.fromEntries(reasons.map(([reason], i) => [`#r${i}`, SKIPPED + reason])) }
          : {}),
        ExpressionAttributeValues: {
          ':people': tally.recipients,
          ':dispatched': tally.dispatched,
          ':one': 1,
          ':expires': expiresAt(at),
          ...(last ? { ':chunk': chunk } : {}),
          ...Object.fromEntries(reasons.map(([, n], index) => [`:r${index}`, n])),
        },
      },
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.transactWrite({ TransactItems: [marker, count] });
        return true;
      } catch (error) {
        const codes = transactionCancellationCodes(error);
        if (codes[0] === 'ConditionalCheckFailed') return false;
        // Two chunks of one broadcast counted at the same moment: one of them waits a little and counts again.
        if (!codes.includes('TransactionConflict') || attempt === CONFLICT_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * (1 + Math.random())));
      }
    }
  }

  /** Records that the chunk after `chunk` is on the fan-out queue (a redelivery of `chunk` then sends it no more). */
  async markNextQueued(broadcastId: string, chunk: number, at: string): Promise<void> {
    await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: key(broadcastId, FAN_OUT),
        UpdateExpression: 'SET next_chunk_queued = :next, expires_at = if_not_exists(expires_at, :expires)',
        ConditionExpression: 'attribute_not_exists(next_chunk_queued) OR next_chunk_queued < :next',
        ExpressionAttributeValues: { ':next': chunk + 1, ':expires': expiresAt(at) },
      }),
    );
  }

  /**
   * Every chunk is counted: the broadcast is `fanned_out` (unless cancelled meanwhile), and the workers' count learns
   * how many jobs there are, so that the last of them to settle marks it finished. Safe to repeat.
   */
  async markFannedOut(broadcastId: string, dispatched: number, at: string): Promise<void> {
    await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: key(broadcastId, RECORD),
        UpdateExpression: 'SET #status = :fannedOut',
        ConditionExpression: '#status = :fanningOut',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':fannedOut': 'fanned_out', ':fanningOut': 'fanning_out' },
      }),
    );
    const { Attributes } = await this.client.update({
      TableName: this.tableName,
      Key: key(broadcastId, OUTCOMES),
      UpdateExpression:
        'SET dispatched_total = :dispatched, fanned_out_at = if_not_exists(fanned_out_at, :at), expires_at = if_not_exists(expires_at, :expires)',
      ExpressionAttributeValues: { ':dispatched': dispatched, ':at': at, ':expires': expiresAt(at) },
      ReturnValues: 'ALL_NEW',
    });
    if (Attributes) await this.finishIfSettled(broadcastId, Attributes, at);
  }

  /** Counts one job's outcome; the last to settle after the fan-out is over marks the broadcast finished. */
  async countOutcome(broadcastId: string, outcome: BroadcastOutcome, at: string): Promise<void> {
    const counter = typeof outcome === 'string' ? outcome : SKIPPED + outcome.skipped;
    const { Attributes } = await this.client.update({
      TableName: this.tableName,
      Key: key(broadcastId, OUTCOMES),
      UpdateExpression: 'ADD settled :one, #counter :one SET expires_at = if_not_exists(expires_at, :expires)',
      ExpressionAttributeNames: { '#counter': counter },
      ExpressionAttributeValues: { ':one': 1, ':expires': expiresAt(at) },
      ReturnValues: 'ALL_NEW',
    });
    if (Attributes) await this.finishIfSettled(broadcastId, Attributes, at);
  }

  /**
   * Cancels a broadcast that is fanning out or fanned out and not finished (again, if it was cancelled before): the
   * fan-out stops at its next chunk and the workers stop each job not sent yet. How many were sent already, or
   * undefined when there was nothing left to stop.
   */
  async cancel(broadcastId: string, at: string): Promise<{ readonly sent: number } | undefined> {
    const stopped = await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: key(broadcastId, RECORD),
        UpdateExpression: 'SET #status = :cancelled, cancelled_at = if_not_exists(cancelled_at, :at)',
        ConditionExpression:
          '(#status IN (:fanningOut, :fannedOut) AND attribute_not_exists(finished_at)) OR #status = :cancelled',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':cancelled': 'cancelled',
          ':fanningOut': 'fanning_out',
          ':fannedOut': 'fanned_out',
          ':at': at,
        },
      }),
    );
    if (!stopped) return undefined;
    // Then what the workers watch (a cancel that died between the two writes is made whole by its retry).
    const { Attributes } = await this.client.update({
      TableName: this.tableName,
      Key: key(broadcastId, OUTCOMES),
      UpdateExpression:
        'SET cancelled_at = if_not_exists(cancelled_at, :at), expires_at = if_not_exists(expires_at, :expires)',
      ExpressionAttributeValues: { ':at': at, ':expires': expiresAt(at) },
      ReturnValues: 'ALL_NEW',
    });
    return { sent: Number(Attributes?.sent ?? 0) };
  }

  /** Whether the broadcast was cancelled (a worker asks before it sends one of its jobs). */
  async isCancelled(broadcastId: string): Promise<boolean> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: key(broadcastId, OUTCOMES),
      ProjectionExpression: 'cancelled_at',
    });
    return Item?.cancelled_at !== undefined;
  }

  /** The broadcast's progress as GET /notifications/{id} shows it: the fan-out's count and the workers'. */
  async progressOf(broadcastId: string): Promise<BroadcastProgress> {
    const items = await batchGetAll(this.client, this.tableName, [
      key(broadcastId, FAN_OUT),
      key(broadcastId, OUTCOMES),
    ]);
    const fanOut = items.find((item) => item.sk === FAN_OUT) ?? {};
    const outcomes = items.find((item) => item.sk === OUTCOMES) ?? {};
    const skipped: Record<string, number> = {};
    for (const [name, value] of [...Object.entries(fanOut), ...Object.entries(outcomes)]) {
      if (name.startsWith(SKIPPED)) {
        const reason = name.slice(SKIPPED.length);
        skipped[reason] = (skipped[reason] ?? 0) + Number(value);
      }
    }
    return {
      recipients: Number(fanOut.recipients ?? 0),
      dispatched: Number(fanOut.dispatched ?? 0),
      skipped,
      sent: Number(outcomes.sent ?? 0),
      failed: Number(outcomes.failed ?? 0),
      cancelled: Number(outcomes.cancelled ?? 0),
      ...(outcomes.fanned_out_at ? { fanned_out_at: String(outcomes.fanned_out_at) } : {}),
      ...(outcomes.finished_at ? { finished_at: String(outcomes.finished_at) } : {}),
    };
  }

  /** The records of these notifications that exist (a chunk fanned out before), read consistently, by id. */
  async findRecorded(notificationIds: readonly string[]): Promise<Map<string, NotificationItem>> {
    const keys = notificationIds.map((id) => key(id, RECORD));
    const items = await batchGetAll(this.client, this.tableName, keys);
    return new Map(items.map((item) => [String(item.notification_id), item as unknown as NotificationItem]));
  }

  /** Marks the broadcast finished when the fan-out is over and every job settled; the record learns it for a cancel. */
  private async finishIfSettled(broadcastId: string, outcomes: Record<string, unknown>, at: string): Promise<void> {
    const finished = broadcastFinished({
      fannedOut: outcomes.dispatched_total !== undefined,
      dispatched: Number(outcomes.dispatched_total ?? 0),
      settled: Number(outcomes.settled ?? 0),
    });
    if (!finished || outcomes.finished_at !== undefined) return;
    const first = await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: key(broadcastId, OUTCOMES),
        UpdateExpression: 'SET finished_at = :at',
        ConditionExpression: 'attribute_not_exists(finished_at)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
    if (!first) return;
    await madeOrUndefined(
      this.client.update({
        TableName: this.tableName,
        Key: key(broadcastId, RECORD),
        UpdateExpression: 'SET finished_at = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }
}
