import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BroadcastProgressStore } from '../../../lambdas/shared/adapters/broadcast-progress.js';
import { type NotificationItem, NotificationsStore } from '../../../lambdas/shared/adapters/notifications-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

// A broadcast's progress beside its record, against DynamoDB Local: each write's condition (a chunk's marker, in one
// transaction with its count) is what keeps the counts true however often a chunk is fanned out and however the jobs'
// outcomes interleave with the fan-out's end.
let platform: TestPlatform;
let notifications: NotificationsStore;
let progress: BroadcastProgressStore;

beforeAll(async () => {
  platform = await provisionTestPlatform('broadcast-progress');
  notifications = new NotificationsStore(platform.resources.tables.notifications, documentClient);
  progress = new BroadcastProgressStore(platform.resources.tables.notifications, documentClient);
});
afterAll(() => platform.remove());

async function newBroadcast(): Promise<string> {
  const id = randomUUID();
  const broadcast: NotificationItem = {
    notification_id: id,
    type: 'outage_notice',
    producer: 'status-service',
    critical: false,
    created_at: new Date().toISOString(),
    status: 'fanning_out',
    kind: 'broadcast',
    topic: 'status',
    request: { payload: { body: 'x'.repeat(12_000) } },
    channels: {},
    expires_at: Math.floor(Date.now() / 1000) + 3600,
  };
  await notifications.create(broadcast);
  return id;
}

const read = async (id: string) => (await notifications.find(id)) as NotificationItem;

describe('BroadcastProgressStore', () => {
  const at = new Date().toISOString();

  it('counts a chunk once however often it is counted, its skipped channels by reason', async () => {
    const id = await newBroadcast();
    const tally = { recipients: 100, dispatched: 97, skipped: { no_contact: 2, opted_out: 1 } };

    const counted = await Promise.all([
      progress.countChunk(id, 0, tally, { last: false, at }),
      progress.countChunk(id, 0, tally, { last: false, at }),
    ]);
    await progress.countChunk(id, 1, { recipients: 10, dispatched: 9, skipped: { no_contact: 1 } }, { last: true, at });

    expect(counted.filter(Boolean)).toHaveLength(1);
    expect(await progress.fanOutState(id, 1)).toEqual({
      chunkCounted: true,
      chunksCounted: 2,
      lastChunk: 1,
      nextChunkQueued: 0,
      dispatched: 106,
    });
    expect(await progress.progressOf(id)).toEqual({
      recipients: 110,
      dispatched: 106,
      skipped: { no_contact: 3, opted_out: 1 },
      sent: 0,
      failed: 0,
      cancelled: 0,
    });
    expect((await progress.fanOutState(id, 2)).chunkCounted).toBe(false);
  });

  it('counts many chunks counted at the same moment, each once', async () => {
    const id = await newBroadcast();
    const tally = { recipients: 100, dispatched: 100, skipped: {} };

    await Promise.all(
      Array.from({ length: 8 }, (_, chunk) => progress.countChunk(id, chunk, tally, { last: false, at })),
    );

    expect(await progress.fanOutState(id, 7)).toMatchObject({ chunkCounted: true, chunksCounted: 8, dispatched: 800 });
  });

  it('keeps each count one small write, whatever the size of the broadcast', async () => {
    const id = await newBroadcast();
    await progress.countChunk(id, 0, { recipients: 1, dispatched: 1, skipped: {} }, { last: true, at });
    const { ConsumedCapacity } = await documentClient.update({
      TableName: platform.resources.tables.notifications,
      Key: { pk: `notification#${id}`, sk: 'outcomes' },
      UpdateExpression: 'ADD settled :zero',
      ExpressionAttributeValues: { ':zero': 0 },
      ReturnConsumedCapacity: 'TOTAL',
    });

    expect(ConsumedCapacity?.CapacityUnits).toBe(1);
  });

  it('is finished when the fan-out is over and every dispatched job has its outcome, in whichever order', async () => {
    const id = await newBroadcast();
    await progress.countChunk(id, 0, { recipients: 3, dispatched: 3, skipped: {} }, { last: true, at });

    await progress.countOutcome(id, 'sent', at);
    await progress.countOutcome(id, { skipped: 'suppressed' }, at);
    await progress.countOutcome(id, 'failed', at);
    expect((await progress.progressOf(id)).finished_at).toBeUndefined();
    await progress.markFannedOut(id, 3, at);

    expect((await read(id)).status).toBe('fanned_out');
    expect(await progress.progressOf(id)).toMatchObject({
      sent: 1,
      failed: 1,
      skipped: { suppressed: 1 },
      fanned_out_at: at,
      finished_at: at,
    });
    expect((await read(id)).finished_at).toBe(at);
  });

  it('is finished by the last outcome when the fan-out was over before it', async () => {
    const id = await newBroadcast();
    await progress.markFannedOut(id, 2, at);
    await progress.countOutcome(id, 'sent', at);
    expect((await progress.progressOf(id)).finished_at).toBeUndefined();

    await progress.countOutcome(id, 'sent', at);

    expect(await progress.progressOf(id)).toMatchObject({ sent: 2, finished_at: at });
  });

  it('cancels a broadcast under way (again, if asked again), and not one that finished', async () => {
    const running = await newBroadcast();
    const finished = await newBroadcast();
    await progress.markFannedOut(finished, 0, at);
    await progress.countOutcome(running, 'sent', at);

    expect(await progress.isCancelled(running)).toBe(false);
    expect(await progress.cancel(running, at)).toEqual({ sent: 1 });
    expect(await progress.cancel(running, at)).toEqual({ sent: 1 });
    expect(await progress.cancel(finished, at)).toBeUndefined();
    expect(await progress.isCancelled(running)).toBe(true);
    expect(await progress.isCancelled(finished)).toBe(false);
    expect((await read(running)).status).toBe('cancelled');
    // A cancelled broadcast is not marked fanned out by a chunk still under way.
    await progress.markFannedOut(running, 1, at);
    expect((await read(running)).status).toBe('cancelled');
  });

  it('reads the recipients recorded already, by id, a hundred keys a request', async () => {
    const ids = await Promise.all(Array.from({ length: 3 }, () => newBroadcast()));

    const found = await progress.findRecorded([...ids, randomUUID()]);

    expect([...found.keys()].sort()).toEqual([...ids].sort());
  });
});
