import { describe, expect, it } from 'vitest';
import { BroadcastFanOut } from '../../lambdas/broadcast/broadcast-fan-out.js';
import type { FanOutMessage } from '../../lambdas/shared/adapters/fan-out-queue.js';
import type { NotificationItem } from '../../lambdas/shared/adapters/notifications-store.js';
import type { TemplateItem } from '../../lambdas/shared/adapters/templates-store.js';
import type { UserItem } from '../../lambdas/shared/adapters/users-store.js';
import type { ChunkTally } from '../../lambdas/shared/domain/broadcast.js';
import { fanOutComplete, recipientNotificationId, tallyChunk } from '../../lambdas/shared/domain/broadcast.js';
import type { ChannelJob } from '../../lambdas/shared/schemas/channel-job.js';
import { SHIPPED_CATEGORIES } from '../support/categories.js';

const BROADCAST_ID = '3b0f1d8e-2c4a-4e57-9a8b-7c6d5e4f3a21';
const NOW = new Date('2026-12-07T12:00:00Z');
const template = {
  type: 'outage_notice',
  critical: false,
  email: { subject: 's', body: 'b' },
  updated_at: '',
  updated_by: 'status-service',
  owner: 'status-service',
} satisfies TemplateItem;
const broadcast: NotificationItem = {
  notification_id: BROADCAST_ID,
  type: 'outage_notice',
  producer: 'status-service',
  critical: false,
  created_at: NOW.toISOString(),
  status: 'fanning_out',
  kind: 'broadcast',
  topic: 'status',
  request: { payload: { service: 'api' } },
  channels: {},
  expires_at: 0,
};
/** Five subscribers; the third has no email address. */
const SUBSCRIBERS = ['ada', 'bob', 'cy', 'dee', 'eve'];
const users = new Map<string, UserItem>(
  SUBSCRIBERS.filter((id) => id !== 'cy').map((id) => [id, { user_id: id, email_address: `${id}@example.com` }]),
);

/** A fan-out over in-memory stand-ins that remember what was recorded, queued and counted. */
function fanOutPlatform(options: { dieAfterRecords?: number } = {}) {
  const records = new Map<string, NotificationItem>([[BROADCAST_ID, broadcast]]);
  const queued: ChannelJob[] = [];
  const nextChunks: FanOutMessage[] = [];
  const counted = new Map<number, ChunkTally>();
  let lastChunk: number | undefined;
  let fannedOut: number | undefined;
  let recordsLeft = options.dieAfterRecords ?? Number.POSITIVE_INFINITY;
  const fanOut = new BroadcastFanOut({
    users: {
      findFresh: async (id) => users.get(id),
      findManyFresh: async (ids) =>
        new Map(ids.flatMap((id) => (users.has(id) ? [[id, users.get(id) as UserItem]] : []))),
    },
    templates: { find: async () => template },
    notifications: {
      find: async (id) => records.get(id),
      createOnce: async (item) => {
        if (records.has(item.notification_id)) return false;
        if (recordsLeft-- <= 0) throw new Error('killed mid-chunk');
        records.set(item.notification_id, item);
        return true;
      },
      recordEnqueueOutcome: async () => {},
    },
    topics: {
      subscribersPage: async (_topic, { after, limit }) => {
        const start = after === undefined ? 0 : SUBSCRIBERS.indexOf(after) + 1;
        const userIds = SUBSCRIBERS.slice(start, start + limit);
        const last = start + limit < SUBSCRIBERS.length ? userIds.at(-1) : undefined;
        return { userIds, ...(last ? { last } : {}) };
      },
    },
    progress: {
      fanOutState: async (_id, chunk) => ({
        chunkCounted: counted.has(chunk),
        chunksCounted: counted.size,
        ...(lastChunk === undefined ? {} : { lastChunk }),
        nextChunkQueued: 0,
        dispatched: [...counted.values()].reduce((sum, tally) => sum + tally.dispatched, 0),
      }),
      countChunk: async (_id, chunk, tally, { last }) => {
        if (counted.has(chunk)) return false;
        counted.set(chunk, tally);
        if (last) lastChunk = chunk;
        return true;
      },
      markNextQueued: async () => {},
      markFannedOut: async (_id, dispatched) => {
        fannedOut = dispatched;
      },
      findRecorded: async (ids) =>
        new Map(ids.flatMap((id) => (records.has(id) ? [[id, records.get(id) as NotificationItem]] : []))),
    },
    fanOutQueue: {
      send: async (message) => {
        nextChunks.push(message);
      },
    },
    queues: {
      send: async (job) => {
        queued.push(job);
      },
    },
    suppressions: { screen: async () => ({ suppressed: new Set(), keys: {} }) },
    categories: SHIPPED_CATEGORIES,
    frequencyCounters: { take: async () => true, giveBack: async () => {} },
    clock: () => NOW,
    chunkSize: 3,
  });
  return { fanOut, records, queued, nextChunks, counted, fannedOut: () => fannedOut };
}

describe('recipientNotificationId', () => {
  it('is one UUID per broadcast and person, the same each time', () => {
    const id = recipientNotificationId(BROADCAST_ID, 'ada');

    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(recipientNotificationId(BROADCAST_ID, 'ada')).toBe(id);
    expect(recipientNotificationId(BROADCAST_ID, 'bob')).not.toBe(id);
    expect(recipientNotificationId('another-broadcast', 'ada')).not.toBe(id);
  });
});

describe('fanOutComplete', () => {
  it('is over when chunks 0 to the last are all counted, not when the last one is', () => {
    expect(fanOutComplete({ chunksCounted: 3, nextChunkQueued: 3 })).toBe(false);
    expect(fanOutComplete({ chunksCounted: 3, lastChunk: 3, nextChunkQueued: 3 })).toBe(false);
    expect(fanOutComplete({ chunksCounted: 4, lastChunk: 3, nextChunkQueued: 3 })).toBe(true);
  });

  it('waits for a chunk queued by an attempt that died, beyond the one that found the end', () => {
    expect(fanOutComplete({ chunksCounted: 4, lastChunk: 3, nextChunkQueued: 4 })).toBe(false);
    expect(fanOutComplete({ chunksCounted: 5, lastChunk: 3, nextChunkQueued: 4 })).toBe(true);
  });
});

describe('tallyChunk', () => {
  it('counts people, channels dispatched (whatever became of them since) and channels skipped by reason', () => {
    expect(
      tallyChunk([
        {
          email: { status: 'queued' },
          sms: { status: 'skipped', reason: 'opted_out' },
        },
        { email: { status: 'sent' } },
        { email: { status: 'skipped', reason: 'no_contact' } },
      ]),
    ).toEqual({ recipients: 3, dispatched: 2, skipped: { opted_out: 1, no_contact: 1 } });
  });
});

describe('BroadcastFanOut', () => {
  it('queues the next chunk, dispatches each subscriber on their own, and counts the chunk', async () => {
    const platform = fanOutPlatform();

    const result = await platform.fanOut.fanOut({ broadcast_id: BROADCAST_ID, chunk: 0 });

    expect(result).toEqual({ outcome: 'fanned_out', recipients: 3, recordedNow: 3, last: false });
    expect(platform.nextChunks).toEqual([{ broadcast_id: BROADCAST_ID, chunk: 1, after: 'cy' }]);
    expect(platform.queued.map((job) => [job.user_id, job.channel, job.broadcast_id])).toEqual([
      ['ada', 'email', BROADCAST_ID],
      ['bob', 'email', BROADCAST_ID],
    ]);
    expect(platform.counted.get(0)).toEqual({ recipients: 3, dispatched: 2, skipped: { no_contact: 1 } });
    expect(platform.records.get(recipientNotificationId(BROADCAST_ID, 'cy'))?.status).toBe('suppressed');
  });

  it('marks the broadcast fanned out, with its jobs dispatched, once every chunk is counted, in whichever order', async () => {
    const platform = fanOutPlatform();

    const result = await platform.fanOut.fanOut({ broadcast_id: BROADCAST_ID, chunk: 1, after: 'cy' });
    expect(result).toMatchObject({ recipients: 2, last: true });
    expect(platform.nextChunks).toEqual([]);
    // The last chunk was counted before the first: the fan-out is not over yet.
    expect(platform.fannedOut()).toBeUndefined();
    await platform.fanOut.fanOut({ broadcast_id: BROADCAST_ID, chunk: 0 });

    expect(platform.fannedOut()).toBe(4);
  });

  it('does nothing again for a chunk delivered again after it was done: no record, no job, no count', async () => {
    const platform = fanOutPlatform();

    await platform.fanOut.fanOut({ broadcast_id: BROADCAST_ID, chunk: 0 });
    const again = await platform.fanOut.fanOut({ broadcast_id: BROADCAST_ID, chunk: 0 });

    expect(again).toEqual({ outcome: 'duplicate' });
    expect(platform.records.size).toBe(4);
    expect(platform.counted.size).toBe(1);
    expect(platform.queued).toHaveLength(2);
  });

  it('records no one twice for a chunk fanned out twice at once, and queues only jobs their claims send once', async () => {
    const platform = fanOutPlatform();

    const [first, second] = await Promise.all([
      platform.fanOut.fanOut({ broadcast_id: BROADCAST_ID, chunk: 0 }),
      platform.fanOut.fanOut({ broadcast_id: BROADCAST_ID, chunk: 0 }),
    ]);

    const recordedNow = [first, second].map((result) => ('recordedNow' in result ? result.recordedNow : 0));
    expect((recordedNow[0] ?? 0) + (recordedNow[1] ?? 0)).toBe(3);
    expect(platform.records.size).toBe(4);
    expect(platform.counted.size).toBe(1);
    // Whatever was queued twice goes to the same recipient notifications: their delivery claims send each once.
    expect(new Set(platform.queued.map((job) => job.notification_id)).size).toBe(2);
  });

  it('finishes, on the redelivery, a chunk whose fan-out died half-way: every subscriber dispatched', async () => {
    const platform = fanOutPlatform({ dieAfterRecords: 1 });

    await expect(platform.fanOut.fanOut({ broadcast_id: BROADCAST_ID, chunk: 0 })).rejects.toThrow('killed');
    expect(platform.counted.size).toBe(0);
    const retried = fanOutPlatform();
    for (const [id, record] of platform.records) retried.records.set(id, record);
    await retried.fanOut.fanOut({ broadcast_id: BROADCAST_ID, chunk: 0 });

    expect(retried.records.size).toBe(4);
    expect(new Set(retried.queued.map((job) => job.user_id))).toEqual(new Set(['ada', 'bob']));
    expect(retried.counted.get(0)).toEqual({ recipients: 3, dispatched: 2, skipped: { no_contact: 1 } });
  });

  it('does nothing for a cancelled broadcast', async () => {
    const platform = fanOutPlatform();
    platform.records.set(BROADCAST_ID, { ...broadcast, status: 'cancelled' });

    expect(await platform.fanOut.fanOut({ broadcast_id: BROADCAST_ID, chunk: 0 })).toEqual({ outcome: 'cancelled' });
    expect(platform.queued).toEqual([]);
    expect(platform.nextChunks).toEqual([]);
  });
});
