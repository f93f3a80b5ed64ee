import type { PutEventsCommand, PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { StreamPublisher } from '../../lambdas/events/stream-publisher.js';
import { EventBus, EventsNotPublishedError } from '../../lambdas/shared/adapters/event-bus.js';
import type { NotificationRecord } from '../../lambdas/shared/domain/notification.js';
import type { StateEvent } from '../../lambdas/shared/domain/state-events.js';

const record = (id: string, sequenceNumber: string, sortKey = 'notification'): DynamoDBRecord => {
  const image: NotificationRecord & { pk: string; sk: string } = {
    pk: `notification#${id}`,
    sk: sortKey,
    notification_id: id,
    user_id: 'ada',
    type: 'order_shipped',
    producer: 'order-service',
    critical: false,
    created_at: '2026-12-08T10:00:00.000Z',
    status: 'queued',
    channels: { email: { status: 'queued', updated_at: '2026-12-08T10:00:00.000Z' } },
  };
  return {
    eventName: 'INSERT',
    dynamodb: {
      SequenceNumber: sequenceNumber,
      ApproximateCreationDateTime: 1_797_000_000,
      NewImage: marshall(image, { removeUndefinedValues: true }) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
    },
  };
};

/** An EventBridge client that refuses what `refuse` says, entry by entry, and keeps what it took. */
function fakeBus(refuse: (call: number, index: number) => boolean) {
  const published: string[] = [];
  let call = 0;
  const client = {
    send: async (command: PutEventsCommand): Promise<PutEventsCommandOutput> => {
      call++;
      const Entries = (command.input.Entries ?? []).map((entry, index) => {
        if (refuse(call, index)) return { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' };
        published.push(JSON.parse(entry.Detail ?? '{}').event_id);
        return { EventId: `e-${published.length}` };
      });
      return {
        Entries,
        FailedEntryCount: Entries.filter((entry) => 'ErrorCode' in entry).length,
        $metadata: {},
      };
    },
  };
  return { client, published, calls: () => call };
}

const noWait = { sleep: async () => {} };

describe('the event publisher', () => {
  it('puts the events of a stream batch on the bus ten to a call, and leaves out the items that are not records', async () => {
    const bus = fakeBus(() => false);
    const publisher = new StreamPublisher(new EventBus('bus', bus.client, noWait));
    const records = Array.from({ length: 6 }, (_, index) =>
      record(`00000000-0000-4000-8000-00000000000${index}`, `${index}`),
    );

    const result = await publisher.publish([
      ...records,
      record('00000000-0000-4000-8000-000000000009', '9', 'claim#email'),
    ]);

    // Each new record: accepted and its email queued.
    expect(result).toEqual({ batchItemFailures: [], published: 12 });
    expect(bus.published).toHaveLength(12);
    expect(bus.calls()).toBe(2);
  });

  it('sends again only the entries the bus refused, and publishes them all', async () => {
    // The first call refuses its second and third entries.
    const bus = fakeBus((call, index) => call === 1 && (index === 1 || index === 2));
    const events = new StreamPublisher(new EventBus('bus', bus.client, noWait));

    const result = await events.publish([
      record('00000000-0000-4000-8000-000000000001', '1'),
      record('00000000-0000-4000-8000-000000000002', '2'),
    ]);

    expect(result.batchItemFailures).toEqual([]);
    expect(bus.calls()).toBe(2);
    expect(new Set(bus.published).size).toBe(4);
  });

  it('answers the first record not wholly published when the bus keeps refusing, for the stream to give again', async () => {
    // Everything after the first call is refused.
    const bus = fakeBus((call) => call > 1);
    const publisher = new StreamPublisher(new EventBus('bus', bus.client, { ...noWait, attempts: 3 }));
    const records = Array.from({ length: 8 }, (_, index) =>
      record(`00000000-0000-4000-8000-00000000000${index}`, `${100 + index}`),
    );

    const result = await publisher.publish(records);

    // Ten events (records 100 to 104) went in the first call; record 105's were refused.
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '105' }], published: 10 });
  });

  it('passes over a record it cannot read, saying so, and publishes the rest', async () => {
    const bus = fakeBus(() => false);
    const unreadable: string[] = [];
    const publisher = new StreamPublisher(new EventBus('bus', bus.client, noWait), (record) =>
      unreadable.push(record.dynamodb?.SequenceNumber ?? ''),
    );
    const broken = record('00000000-0000-4000-8000-000000000001', '1');
    // An attribute value with no type: nothing could ever read it.
    (broken.dynamodb as { NewImage: Record<string, unknown> }).NewImage.channels = {};

    const result = await publisher.publish([broken, record('00000000-0000-4000-8000-000000000002', '2')]);

    expect(result).toEqual({ batchItemFailures: [], published: 2 });
    expect(unreadable).toEqual(['1']);
  });

  it('says which events it could not publish', async () => {
    const bus = fakeBus(() => true);
    const eventBus = new EventBus('bus', bus.client, { ...noWait, attempts: 2 });
    const event = { event_id: 'x', event_type: 'message.sent', occurred_at: '2026-12-08T10:00:00.000Z' } as StateEvent;

    const failure = await eventBus.publish([event]).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(EventsNotPublishedError);
    expect((failure as EventsNotPublishedError).unpublished).toEqual([event]);
    expect(bus.calls()).toBe(2);
  });
});
