/**
 * Receives real messages from a queue and hands them to a worker as Lambda's SQS event source mapping
 * would: the same body, receipt handle and attributes (ApproximateReceiveCount included).
 */
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { toSqsRecord } from '../../local/queue-pollers.js';
import { sqs } from './emulator-clients.js';

export async function receiveRecords(queueUrl: string, count: number, attempts = 20): Promise<SQSRecord[]> {
  const records: SQSRecord[] = [];
  for (let attempt = 0; attempt < attempts && records.length < count; attempt++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, count - records.length),
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    records.push(...Messages.map((message) => toSqsRecord(message, queueUrl)));
  }
  if (records.length < count) throw new Error(`received ${records.length} of ${count} messages from ${queueUrl}`);
  return records;
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** What Lambda's event source mapping does after the handler: deletes every record not reported as failed. */
export async function settle(queueUrl: string, records: SQSRecord[], response: SQSBatchResponse): Promise<void> {
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  await Promise.all(
    records
      .filter((record) => !failed.has(record.messageId))
      .map((record) => sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }))),
  );
}
