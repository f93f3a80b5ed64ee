import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { EventBus } from '../shared/adapters/event-bus.js';
import type { NotificationRecord } from '../shared/domain/notification.js';
import { type StateEvent, stateEventsOf } from '../shared/domain/state-events.js';
import { NOTIFICATION_RECORD_SORT_KEY } from '../shared/platform/resources.js';

/** PutEvents takes at most ten entries a call. */
const EVENTS_PER_CALL = 10;

/**
 * Turns a batch of the notifications table's stream into events on the bus, in the stream's order. When the bus
 * refuses some, the batch answers the first record not wholly published: Lambda gives the batch again from there
 * (the stream's own retry, for as long as the stream keeps the record), and the events published before it are
 * published again with the same ids.
 */
export class StreamPublisher {
  constructor(
    private readonly bus: Pick<EventBus, 'publish'>,
    /** A record no retry could read: said and passed over, so that it does not hold back its shard for a day. */
    private readonly onUnreadable: (record: DynamoDBRecord, error: Error) => void = () => {},
  ) {}

  async publish(records: readonly DynamoDBRecord[]): Promise<DynamoDBBatchResponse & { published: number }> {
    // Ten to a call across records, so a batch of small changes costs few calls; each event knows its record.
    const events = records.flatMap((record, index) => this.readable(record).map((event) => ({ event, index })));
    for (let start = 0; start < events.length; start += EVENTS_PER_CALL) {
      const call = events.slice(start, start + EVENTS_PER_CALL);
      try {
        await this.bus.publish(call.map(({ event }) => event));
      } catch (error) {
        // Every record before this call's first is wholly published; from it on, the stream gives them again.
        const sequenceNumber = records[call[0]?.index ?? 0]?.dynamodb?.SequenceNumber;
        if (sequenceNumber === undefined) throw error;
        return { batchItemFailures: [{ itemIdentifier: sequenceNumber }], published: start };
      }
    }
    return { batchItemFailures: [], published: events.length };
  }

  private readable(record: DynamoDBRecord): StateEvent[] {
    try {
      return eventsOf(record);
    } catch (error) {
      this.onUnreadable(record, error as Error);
      return [];
    }
  }
}

/** The events one stream record says happened: none for any item but a notification's record (the claims, progress and keys beside it). */
export function eventsOf(record: DynamoDBRecord): StateEvent[] {
  const image = (attributes: Record<string, AttributeValue> | undefined) =>
    attributes && attributes.sk?.S === NOTIFICATION_RECORD_SORT_KEY
      ? (unmarshall(attributes as Parameters<typeof unmarshall>[0]) as NotificationRecord)
      : undefined;
  const before = image(record.dynamodb?.OldImage);
  const after = image(record.dynamodb?.NewImage);
  const seconds = record.dynamodb?.ApproximateCreationDateTime;
  const changedAt = new Date(seconds === undefined ? Date.now() : seconds * 1000).toISOString();
  return stateEventsOf(before, after, changedAt);
}
