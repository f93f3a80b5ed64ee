import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { StateEvent } from '../domain/state-events.js';
import type { DeliveryLane } from '../domain/webhooks.js';

/** One event for one endpoint, at its `attempt` (1-based), not before `due_at`. */
export interface DeliveryJob {
  readonly endpoint_id: string;
  readonly producer: string;
  readonly attempt: number;
  readonly due_at?: string;
  readonly event: StateEvent;
}

/** SQS's longest delay of a message, and longest visibility timeout: a wait past them is made in steps. */
const MAX_DELAY_SECONDS = 900;
const MAX_HIDDEN_SECONDS = 12 * 3600;
const ENTRIES_PER_CALL = 10;

/** Entries SQS would not take; the others were queued. */
export class DeliveriesNotQueued extends Error {
  override readonly name = 'DeliveriesNotQueued';
}

/** The two lanes of webhook deliveries (domain/webhooks.ts DeliveryLane), each an SQS queue. */
export class WebhookDeliveries {
  constructor(
    private readonly queueUrls: Readonly<Record<DeliveryLane, string>>,
    private readonly client: Pick<SQSClient, 'send'>,
  ) {}

  /** Queues the jobs on `lane`, ten to a call; each waits until its `due_at` (at most 15 minutes here, then hidden). */
  async send(lane: DeliveryLane, jobs: readonly DeliveryJob[], now: Date = new Date()): Promise<void> {
    for (let start = 0; start < jobs.length; start += ENTRIES_PER_CALL) {
      const entries = jobs.slice(start, start + ENTRIES_PER_CALL);
      const { Failed = [] } = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrls[lane],
          Entries: entries.map((job, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(job),
            DelaySeconds: Math.min(MAX_DELAY_SECONDS, secondsUntil(job.due_at, now)),
            // Ids only, so that a queue can be inspected without reading events.
            MessageAttributes: {
              endpoint_id: { DataType: 'String', StringValue: job.endpoint_id },
              event_id: { DataType: 'String', StringValue: job.event.event_id },
            },
          })),
        }),
      );
      if (Failed.length > 0)
        throw new DeliveriesNotQueued(`${Failed.length} of ${entries.length} deliveries were not queued`);
    }
  }

  /** Hides a received job until its time (at most SQS's 12 hours: then it is received and hidden again). */
  async hideUntil(lane: DeliveryLane, receiptHandle: string, dueAt: string, now: Date = new Date()): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrls[lane],
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(MAX_HIDDEN_SECONDS, Math.max(1, secondsUntil(dueAt, now))),
      }),
    );
  }
}

function secondsUntil(at: string | undefined, now: Date): number {
  if (at === undefined) return 0;
  return Math.max(0, Math.ceil((Date.parse(at) - now.getTime()) / 1000));
}
