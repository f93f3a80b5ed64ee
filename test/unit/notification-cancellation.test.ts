import { describe, expect, it } from 'vitest';
import { NotificationCancellation } from '../../lambdas/cancellation/notification-cancellation.js';
import type { BroadcastOutcome } from '../../lambdas/shared/adapters/broadcast-progress.js';
import type { NotificationItem } from '../../lambdas/shared/adapters/notifications-store.js';
import type { Producer } from '../../lambdas/shared/domain/producer.js';

const PRODUCER: Producer = { name: 'status-service', scopes: ['notifications:send'], types: ['*'] };
const BROADCAST_ID = '3b0f1d8e-2c4a-4e57-9a8b-7c6d5e4f3a21';
const RECIPIENT_ID = '9a1c2b3d-4e5f-8a6b-9c7d-0e1f2a3b4c5d';

/** A broadcast's recipient whose email job is still queued, over stand-ins that remember what was written. */
function cancellationOf(claimCancels: boolean) {
  const record: NotificationItem = {
    notification_id: RECIPIENT_ID,
    user_id: 'ada',
    type: 'outage_notice',
    producer: PRODUCER.name,
    critical: false,
    created_at: '2026-12-07T12:00:00Z',
    status: 'queued',
    broadcast_id: BROADCAST_ID,
    channels: { email: { status: 'queued', updated_at: '2026-12-07T12:00:00Z' } },
    expires_at: 0,
  };
  const counted: BroadcastOutcome[] = [];
  const cancellation = new NotificationCancellation({
    notifications: {
      find: async () => record,
      cancelScheduled: async () => undefined,
      cancelDigested: async () => true,
      recordChannelState: async (_id, channel, state) => {
        record.channels[channel] = state;
      },
      recordCancelled: async () => {},
      notificationIdsUnderCancelKey: async function* () {},
    },
    claims: { cancel: async () => claimCancels },
    broadcasts: {
      cancel: async () => undefined,
      countOutcome: async (broadcastId, outcome) => {
        expect(broadcastId).toBe(BROADCAST_ID);
        counted.push(outcome);
      },
    },
    digests: { excludeMember: async () => false },
    templates: { find: async () => undefined },
    clock: () => new Date('2026-12-07T12:00:05Z'),
  });
  return { cancellation, counted };
}

describe('NotificationCancellation of one recipient of a broadcast', () => {
  it("counts the job it stopped in the broadcast's progress, once however often it is asked", async () => {
    const { cancellation, counted } = cancellationOf(true);

    expect(await cancellation.cancel(RECIPIENT_ID, PRODUCER)).toMatchObject({ status: 'cancelled' });
    await cancellation.cancel(RECIPIENT_ID, PRODUCER);

    expect(counted).toEqual(['cancelled']);
  });

  it('counts nothing when a worker holds the job (it counts it when it is done)', async () => {
    const { cancellation, counted } = cancellationOf(false);

    await expect(cancellation.cancel(RECIPIENT_ID, PRODUCER)).rejects.toMatchObject({ statusCode: 409 });

    expect(counted).toEqual([]);
  });
});
