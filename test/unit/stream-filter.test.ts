import { describe, expect, it } from 'vitest';
import { EVENT_PUBLISHER } from '../../lambdas/shared/platform/resources.js';
import { matchesFilter, withEmptyMapsTyped } from '../../local/stream-poller.js';

const change = (eventName: string, sk: string) => ({
  eventName,
  dynamodb: { Keys: { pk: { S: 'notification#1' }, sk: { S: sk } } },
});

describe("the event publisher's stream filter, as the local poller applies it", () => {
  it("lets through a notification record's creation and changes", () => {
    expect(matchesFilter(EVENT_PUBLISHER.filter, change('INSERT', 'notification'))).toBe(true);
    expect(matchesFilter(EVENT_PUBLISHER.filter, change('MODIFY', 'notification'))).toBe(true);
  });

  it('leaves out its removal (its time ran out) and the items beside it (claims, progress, keys)', () => {
    expect(matchesFilter(EVENT_PUBLISHER.filter, change('REMOVE', 'notification'))).toBe(false);
    expect(matchesFilter(EVENT_PUBLISHER.filter, change('MODIFY', 'claim#email'))).toBe(false);
    expect(matchesFilter(EVENT_PUBLISHER.filter, change('INSERT', 'fan-out'))).toBe(false);
    expect(matchesFilter(EVENT_PUBLISHER.filter, { eventName: 'INSERT' })).toBe(false);
  });
});

describe("the local poller's records", () => {
  it("type DynamoDB Local's untyped empty maps as DynamoDB's stream does, at any depth", () => {
    const record = {
      eventName: 'MODIFY',
      dynamodb: {
        NewImage: { channels: {}, request: { M: { payload: {} } }, list: { L: [{}] }, id: { S: 'x' } },
        OldImage: { channels: {} },
      },
    };

    // As DynamoDB Local writes it: not a record's type, which is the point.
    expect(withEmptyMapsTyped(record as unknown as Parameters<typeof withEmptyMapsTyped>[0]).dynamodb).toEqual({
      NewImage: {
        channels: { M: {} },
        request: { M: { payload: { M: {} } } },
        list: { L: [{ M: {} }] },
        id: { S: 'x' },
      },
      OldImage: { channels: { M: {} } },
    });
  });
});
