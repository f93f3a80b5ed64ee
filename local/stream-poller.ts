/**
 * Lambda's DynamoDB Streams event source mapping, on loopback: it reads each shard of a table's stream in order,
 * hands the records its filter lets through to the handler in batches, and, when the handler answers a record as
 * failed, reads again from that record after a pause, as Lambda retries a stream batch (for as long as the stream keeps
 * it). Shards that close are read to their end, then their children.
 *
 * DynamoDB Local serves the stream on its own port. The stream is read as JSON, as Lambda hands it on: the SDK's client
 * would turn the records into its own shapes (an empty map's value lost, times as Date objects), which a deployed
 * handler never sees.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

export type StreamHandler = (
  event: DynamoDBStreamEvent,
  context: Context,
) => Promise<DynamoDBBatchResponse | undefined>;

export interface StreamPollerOptions {
  readonly name: string;
  readonly tableName: string;
  readonly batchSize: number;
  /** Lambda's filter pattern (the subset of exact values): which records reach the handler. */
  readonly filter: FilterPattern;
  /** Read from the stream's oldest record (a table made by this run) or only what is written from now on. */
  readonly from: 'oldest' | 'now';
  readonly handler: StreamHandler;
  readonly context: (name: string) => Context;
  readonly onError?: (error: Error) => void;
}

/** A filter pattern as Lambda's event filtering reads one: nested fields, each a list of the values it may have. */
export interface FilterPattern {
  readonly [field: string]: readonly string[] | FilterPattern;
}

/** Whether a record matches: every field of the pattern present, with one of its values. */
export function matchesFilter(pattern: FilterPattern, value: unknown): boolean {
  return Object.entries(pattern).every(([field, wanted]) => {
    const actual = (value as Record<string, unknown> | undefined)?.[field];
    if (Array.isArray(wanted)) return typeof actual === 'string' && wanted.includes(actual);
    return matchesFilter(wanted as FilterPattern, actual);
  });
}

const IDLE_MS = 250;
const RETRY_MS = 1_000;

/** A stream record as the stream's JSON API gives it: Lambda's record, before Lambda adds where it came from. */
type StreamRecord = Omit<DynamoDBRecord, 'eventSourceARN'>;

interface StreamShard {
  readonly ShardId?: string;
  readonly SequenceNumberRange?: { readonly EndingSequenceNumber?: string };
}

/** A DynamoDB Streams API call, as JSON (any credentials do for DynamoDB Local; it wants a signature's shape). */
async function streamsCall<T>(endpoint: string, action: string, input: unknown): Promise<T> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `DynamoDBStreams_20120810.${action}`,
      Authorization:
        'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as T & { __type?: string; message?: string };
  if (!response.ok)
    throw new StreamsError(
      String(body.__type ?? response.status)
        .split('#')
        .pop() ?? '',
      body.message,
    );
  return body;
}

class StreamsError extends Error {
  constructor(
    readonly code: string,
    message = code,
  ) {
    super(`${code}: ${message}`);
    this.name = 'StreamsError';
  }
}

/** The iterator is past its 15 minutes, or DynamoDB Local lost it: a new one is taken where reading stood. */
const LOST_ITERATOR = new Set(['ExpiredIteratorException', 'TrimmedDataAccessException', 'ResourceNotFoundException']);

interface ShardReader {
  iterator?: string;
  /** The last record handed over and done with: where to read again from when the iterator is lost. */
  lastSequenceNumber?: string;
  closed: boolean;
}

export class StreamPoller {
  private running = true;
  private readonly loop: Promise<void>;
  private readonly shards = new Map<string, ShardReader>();

  private constructor(
    private readonly endpoint: string,
    private readonly streamArn: string,
    private readonly options: StreamPollerOptions,
  ) {
    this.loop = this.run();
  }

  /** Reads the table's stream from `endpoint`: DynamoDB Local's own. */
  static async start(dynamoDb: DynamoDBClient, endpoint: string, options: StreamPollerOptions): Promise<StreamPoller> {
    return new StreamPoller(endpoint, await streamArnOf(dynamoDb, options.tableName), options);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    let firstLook = true;
    while (this.running) {
      try {
        await this.discoverShards(firstLook);
        firstLook = false;
        let handed = 0;
        for (const [shardId, reader] of this.shards) {
          if (!this.running) return;
          if (reader.closed) continue;
          handed += await this.readShard(shardId, reader);
        }
        if (handed === 0) await sleep(IDLE_MS);
      } catch (error) {
        if (!this.running) return;
        this.options.onError?.(error as Error);
        await sleep(RETRY_MS);
      }
    }
  }

  /** Shards not seen before: at the first look, those open now start where `from` says; later ones from their start. */
  private async discoverShards(firstLook: boolean): Promise<void> {
    for (const shard of await shardsOf(this.endpoint, this.streamArn)) {
      const shardId = shard.ShardId;
      if (!shardId || this.shards.has(shardId)) continue;
      const closedBefore = firstLook && shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      const reader: ShardReader = { closed: closedBefore && this.options.from === 'now' };
      if (!reader.closed)
        reader.iterator = await this.iteratorFor(
          shardId,
          firstLook && this.options.from === 'now' ? 'LATEST' : 'TRIM_HORIZON',
        );
      this.shards.set(shardId, reader);
    }
  }

  /** One GetRecords on a shard, its records handed over in batches; answers how many were handed. */
  private async readShard(shardId: string, reader: ShardReader): Promise<number> {
    if (!reader.iterator) reader.iterator = await this.resumeIterator(shardId, reader);
    let page: { Records?: StreamRecord[]; NextShardIterator?: string };
    try {
      page = await streamsCall(this.endpoint, 'GetRecords', {
        ShardIterator: reader.iterator,
        Limit: this.options.batchSize,
      });
    } catch (error) {
      if (error instanceof StreamsError && LOST_ITERATOR.has(error.code)) {
        reader.iterator = undefined;
        return 0;
      }
      throw error;
    }
    const records = page.Records ?? [];
    const wanted = records.filter((record) => this.passes(record));
    if (wanted.length > 0) {
      const failedAt = await this.handOver(wanted);
      if (failedAt !== undefined) {
        // As Lambda does: the batch again from the failed record, after a pause.
        reader.iterator = await this.iteratorFor(shardId, 'AT_SEQUENCE_NUMBER', failedAt);
        await sleep(RETRY_MS);
        return wanted.length;
      }
    }
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last) reader.lastSequenceNumber = last;
    reader.iterator = page.NextShardIterator;
    // No next iterator: the shard is closed and read to its end; its children are found by the next look.
    if (!reader.iterator) reader.closed = true;
    return wanted.length;
  }

  /** The handler's answer: the first record it failed, or undefined when all were done. */
  private async handOver(records: readonly StreamRecord[]): Promise<string | undefined> {
    const event: DynamoDBStreamEvent = {
      Records: records.map((record) => ({ ...withEmptyMapsTyped(record), eventSourceARN: this.streamArn })),
    };
    try {
      const response = await this.options.handler(event, this.options.context(this.options.name));
      return response?.batchItemFailures[0]?.itemIdentifier;
    } catch (error) {
      this.options.onError?.(error as Error);
      return records[0]?.dynamodb?.SequenceNumber;
    }
  }

  private passes(record: StreamRecord): boolean {
    return matchesFilter(this.options.filter, record);
  }

  private async resumeIterator(shardId: string, reader: ShardReader): Promise<string | undefined> {
    return reader.lastSequenceNumber
      ? this.iteratorFor(shardId, 'AFTER_SEQUENCE_NUMBER', reader.lastSequenceNumber)
      : this.iteratorFor(shardId, 'TRIM_HORIZON');
  }

  private async iteratorFor(
    shardId: string,
    type: 'TRIM_HORIZON' | 'LATEST' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER',
    sequenceNumber?: string,
  ): Promise<string | undefined> {
    const { ShardIterator } = await streamsCall<{ ShardIterator?: string }>(this.endpoint, 'GetShardIterator', {
      StreamArn: this.streamArn,
      ShardId: shardId,
      ShardIteratorType: type,
      SequenceNumber: sequenceNumber,
    });
    return ShardIterator;
  }
}

/**
 * Every record the table's stream holds so far, shard by shard from its oldest, as Lambda would hand them on: what a
 * check of the publisher (the fault drill's) holds the published events against.
 */
export async function streamRecordsSoFar(
  dynamoDb: DynamoDBClient,
  endpoint: string,
  tableName: string,
): Promise<DynamoDBRecord[]> {
  const streamArn = await streamArnOf(dynamoDb, tableName);
  const records: DynamoDBRecord[] = [];
  for (const { ShardId } of await shardsOf(endpoint, streamArn)) {
    let { ShardIterator } = await streamsCall<{ ShardIterator?: string }>(endpoint, 'GetShardIterator', {
      StreamArn: streamArn,
      ShardId,
      ShardIteratorType: 'TRIM_HORIZON',
    });
    while (ShardIterator) {
      const page: { Records?: StreamRecord[]; NextShardIterator?: string } = await streamsCall(endpoint, 'GetRecords', {
        ShardIterator,
        Limit: 1000,
      });
      const got = page.Records ?? [];
      records.push(...got.map((record) => ({ ...withEmptyMapsTyped(record), eventSourceARN: streamArn })));
      // An open shard always has a next iterator: its end, for now, is where a read finds nothing.
      ShardIterator = got.length === 0 ? undefined : page.NextShardIterator;
    }
  }
  return records;
}

/** The table's stream, as DescribeTable names it (DynamoDB Local's ARNs are its own: never built by hand). */
async function streamArnOf(dynamoDb: DynamoDBClient, tableName: string): Promise<string> {
  const { Table } = await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table?.LatestStreamArn) throw new Error(`the table ${tableName} has no stream`);
  return Table.LatestStreamArn;
}

/** Every shard of the stream, page after page of DescribeStream. */
async function shardsOf(endpoint: string, streamArn: string): Promise<StreamShard[]> {
  const shards: StreamShard[] = [];
  let ExclusiveStartShardId: string | undefined;
  do {
    const { StreamDescription } = await streamsCall<{
      StreamDescription?: { Shards?: StreamShard[]; LastEvaluatedShardId?: string };
    }>(endpoint, 'DescribeStream', { StreamArn: streamArn, ExclusiveStartShardId });
    shards.push(...(StreamDescription?.Shards ?? []));
    ExclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
  } while (ExclusiveStartShardId);
  return shards;
}

/**
 * DynamoDB Local's stream writes an empty map as `{}`, where DynamoDB's (and so Lambda's record) says `{"M": {}}`: a
 * value with no type, which nothing can read. The record is handed on as DynamoDB would have written it.
 */
export function withEmptyMapsTyped(record: StreamRecord): StreamRecord {
  const { dynamodb } = record;
  if (!dynamodb) return record;
  const image = (attributes: Record<string, unknown> | undefined) =>
    attributes && Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, typed(value)]));
  return {
    ...record,
    dynamodb: {
      ...dynamodb,
      ...(dynamodb.NewImage ? { NewImage: image(dynamodb.NewImage) } : {}),
      ...(dynamodb.OldImage ? { OldImage: image(dynamodb.OldImage) } : {}),
    } as typeof dynamodb,
  };
}

function typed(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const attribute = value as { M?: Record<string, unknown>; L?: unknown[] };
  if (Object.keys(attribute).length === 0) return { M: {} };
  if (attribute.M)
    return { M: Object.fromEntries(Object.entries(attribute.M).map(([name, item]) => [name, typed(item)])) };
  if (attribute.L) return { L: attribute.L.map(typed) };
  return value;
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
