import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BroadcastProgressStore } from '../../../lambdas/shared/adapters/broadcast-progress.js';
import { type NotificationItem, NotificationsStore } from '../../../lambdas/shared/adapters/notifications-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

// A broadcast's progress on its record, against DynamoDB Local: each write's condition is what keeps the counts true
// however often a chunk is fanned out and however the jobs' outcomes interleave.
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
    request: { payload: {} },
    skipped: {},
    channels: {},
    expires_at: Math.floor(Date.now() / 1000) + 3600,
  };
  await notifications.create(broadcast);
  return id;
}

const read = async (id: string) => (await notifications.find(id)) as NotificationItem;

describe('BroadcastProgressStore', () => {
  it('counts a chunk once however often it is counted, its skipped channels by reason', async () => {
    const id = await newBroadcast();
    const tally = { recipients: 100, dispatched: 97, skipped: { no_contact: 2, opted_out: 1 } };

    const counted = await Promise.all([progress.countChunk(id, 0, tally), progress.countChunk(id, 0, tally)]);
    await progress.countChunk(id, 1, { recipients: 10, dispatched: 9, skipped: { no_contact: 1 } });

    expect(counted.filter(Boolean)).toHaveLength(1);
    expect(await read(id)).toMatchObject({
      recipients: 110,
      dispatched: 106,
      skipped: { no_contact: 3, opted_out: 1 },
      counted_chunks: new Set([0, 1]),
    });
  });

  it('is finished when the fan-out is over and every dispatched job has its outcome, in whichever order', async () => {
    const id = await newBroadcast();
    await progress.countChunk(id, 0, { recipients: 3, dispatched: 3, skipped: {} });
    const at = new Date().toISOString();

    await progress.countOutcome(id, 'sent', at);
    await progress.countOutcome(id, { skipped: 'suppressed' }, at);
    await progress.countOutcome(id, 'failed', at);
    expect((await read(id)).finished_at).toBeUndefined();
    await progress.markFannedOut(id, at);

    expect(await read(id)).toMatchObject({
      status: 'fanned_out',
      sent: 1,
      failed: 1,
      settled: 3,
      skipped: { suppressed: 1 },
      fanned_out_at: at,
      finished_at: at,
    });
  });

  it('cancels a broadcast under way once, and not one that finished', async () => {
    const running = await newBroadcast();
    const finished = await newBroadcast();
    const at = new Date().toISOString();
    await progress.markFannedOut(finished, at);

    expect((await progress.cancel(running, at))?.status).toBe('cancelled');
    expect(await progress.cancel(running, at)).toBeUndefined();
    expect(await progress.cancel(finished, at)).toBeUndefined();
    expect(await progress.statusOf(running)).toBe('cancelled');
    // A cancelled broadcast is not marked fanned out by a chunk still under way.
    await progress.markFannedOut(running, at);
    expect((await read(running)).status).toBe('cancelled');
  });

  it('reads the recipients recorded already, by id, a hundred keys a request', async () => {
    const ids = await Promise.all(Array.from({ length: 3 }, () => newBroadcast()));

    const found = await progress.findRecorded([...ids, randomUUID()]);

    expect([...found.keys()].sort()).toEqual([...ids].sort());
  });
});
