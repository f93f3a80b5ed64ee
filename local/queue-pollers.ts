/**
 * Lambda's SQS event source mapping, on loopback: long polling, batches up to the configured size, up to the
 * configured number of concurrent invocations, deletion of the records the handler did not report as failed,
 * and nothing else: failed records come back after their visibility timeout, and the queue's redrive policy
 * moves them to the DLQ.
 */
import { setMaxListeners } from 'node:events';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { shuffled } from './shuffled.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface PollerOptions {
  readonly name: string;
  readonly queueUrl: string;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly handler: SqsHandler;
  readonly context: (name: string) => Context;
  /** The fault drill: hands every batch to the handler twice, at once or one after the other. */
  readonly duplicateDeliveries?: boolean;
  /** The fault drill: hands each batch's records over in a random order (each time, when twice). */
  readonly reorderRecords?: boolean;
  /** Called with each batch handed over twice. */
  readonly onDuplicated?: (records: readonly SQSRecord[], concurrently: boolean) => void;
  /** Called once per record handled: done (deleted) or left for a retry. */
  readonly onRecord?: (record: SQSRecord, outcome: 'done' | 'retry') => void;
  readonly onError?: (error: Error) => void;
}

export class QueuePoller {
  private running = true;
  private paused = false;
  private readonly loops: Promise<void>[] = [];
  private readonly abort = new AbortController();

  constructor(
    private readonly client: SQSClient,
    private readonly options: PollerOptions,
  ) {
    // Every long poll of every loop listens to this one signal, so that stop() ends them all at once.
    setMaxListeners(0, this.abort.signal);
    for (let index = 0; index < options.concurrency; index++) this.loops.push(this.loop());
  }

  /** Paused, the poller receives nothing: what is queued waits, as when an event source mapping is disabled. */
  pause(paused: boolean): void {
    this.paused = paused;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      if (this.paused) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      try {
        await this.pollOnce();
      } catch (error) {
        if (!this.running) return;
        this.options.onError?.(error as Error);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private async pollOnce(): Promise<void> {
    const { Messages = [] } = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: this.options.batchSize,
        WaitTimeSeconds: 5,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: this.abort.signal },
    );
    if (Messages.length === 0) return;
    const records = Messages.map((message) => toSqsRecord(message, this.options.queueUrl));

    let failed: Set<string>;
    if (this.options.duplicateDeliveries) {
      // As if SQS had delivered each message twice: a record is done when either delivery succeeded.
      const concurrently = Math.random() < 0.5;
      this.options.onDuplicated?.(records, concurrently);
      const [first, second] = concurrently
        ? await Promise.all([this.invoke(records), this.invoke(records)])
        : [await this.invoke(records), await this.invoke(records)];
      failed = new Set([...first].filter((messageId) => second.has(messageId)));
    } else {
      failed = await this.invoke(records);
    }
    const done = records.filter((record) => !failed.has(record.messageId));
    if (done.length > 0) {
      await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: done.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
    }
    for (const record of records) this.options.onRecord?.(record, failed.has(record.messageId) ? 'retry' : 'done');
  }

  /** Invokes the handler with the batch; answers the ids of the records it failed. */
  private async invoke(records: SQSRecord[]): Promise<Set<string>> {
    try {
      const batch = this.options.reorderRecords ? shuffled(records) : records;
      const response = await this.options.handler({ Records: batch }, this.options.context(this.options.name));
      return new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      // A handler that throws fails the whole batch, as in Lambda: every record comes back later.
      this.options.onError?.(error as Error);
      return new Set(records.map((record) => record.messageId));
    }
  }
}

/** A received message as Lambda's event source mapping hands it to a function. */
export function toSqsRecord(message: Message, queueUrl: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { stringValue: value.StringValue, dataType: value.DataType ?? 'String' },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').pop()}`,
    awsRegion: 'us-east-1',
  };
}
