import { describe, expect, it } from 'vitest';
import { type IntakeDependencies, NotificationIntake } from '../../lambdas/ingest/notification-intake.js';
import type { IdempotencyItem, Reservation } from '../../lambdas/shared/adapters/idempotency-keys.js';
import type { NotificationItem } from '../../lambdas/shared/adapters/notifications-store.js';
import type { TemplateItem } from '../../lambdas/shared/adapters/templates-store.js';
import type { UserItem } from '../../lambdas/shared/adapters/users-store.js';
import { DEFAULT_PREFERENCES } from '../../lambdas/shared/domain/preferences.js';
import { requestFingerprint } from '../../lambdas/shared/domain/request-fingerprint.js';
import type { ChannelJob } from '../../lambdas/shared/schemas/channel-job.js';
import { SHIPPED_CATEGORIES } from '../support/categories.js';

/** An in-memory stand-in for the notification records. */
class FakeNotifications {
  readonly items = new Map<string, NotificationItem>();

  async create(item: NotificationItem) {
    this.items.set(item.notification_id, item);
  }
  async find(id: string) {
    return this.items.get(id);
  }
  async recordEnqueueOutcome() {}
  async enterDueIndex(_id: string, _sendAt: string) {
    return true;
  }
  async markDigested() {
    return true;
  }
}

/**
 * An in-memory stand-in for the one Idempotency-Key the tests use, with the reservation semantics of the real
 * adapter: the reservation and the notification are written together, or neither is.
 */
class FakeIdempotencyKeys {
  reservation: IdempotencyItem | undefined;
  failComplete = false;

  constructor(readonly notifications: FakeNotifications) {}

  async reserveWhileCreating(item: NotificationItem, reservation: Reservation) {
    if (this.reservation) return { reserved: false as const, existing: this.reservation };
    this.reservation = {
      notification_id: item.notification_id,
      fingerprint: reservation.fingerprint,
      state: 'in_progress',
      lease_until: reservation.leaseUntil,
      response: reservation.response,
      expires_at: 0,
    };
    this.notifications.items.set(item.notification_id, item);
    return { reserved: true as const };
  }
  async findReservation() {
    return this.reservation;
  }
  async takeOver(_producer: string, _key: string, seen: IdempotencyItem, leaseUntil: number) {
    if (this.reservation?.lease_until !== seen.lease_until) return false;
    this.reservation = { ...this.reservation, lease_until: leaseUntil };
    return true;
  }
  async complete() {
    if (this.failComplete) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    if (this.reservation) this.reservation = { ...this.reservation, state: 'completed' };
  }
  async release() {
    if (this.reservation) this.reservation = { ...this.reservation, lease_until: 0 };
  }
}

const fakeTable = () => new FakeIdempotencyKeys(new FakeNotifications());

const user: UserItem = {
  user_id: 'user-1',
  email_address: 'ada@example.com',
  phone_number: '+4915112345678',
  device_ids: new Set(['d1']),
};
const template = {
  type: 'order_shipped',
  critical: false,
  email: { subject: 's', body: 'b' },
  sms: { body: 'b' },
  updated_at: '',
  updated_by: '',
  owner: 'order-service',
} satisfies TemplateItem;
const request = { user_id: 'user-1', type: 'order_shipped', payload: { order_id: 'A-1' } };
const producer = { name: 'order-service', scopes: ['notifications:send' as const], types: ['order_*'] };

function intake(keys: FakeIdempotencyKeys, sent: ChannelJob[], overrides: Partial<IntakeDependencies> = {}) {
  let ids = 0;
  return new NotificationIntake({
    users: { find: async () => user, findFresh: async () => user },
    templates: { find: async () => template },
    topics: { owner: async () => undefined },
    fanOutQueue: { start: async () => {} },
    notifications: keys.notifications,
    idempotencyKeys: keys,
    queues: {
      send: async (job: ChannelJob) => {
        sent.push(job);
      },
    },
    suppressions: { screen: async () => ({ suppressed: new Set(), keys: {} }) },
    categories: SHIPPED_CATEGORIES,
    dispatchQueue: { send: async () => {} },
    frequencyCounters: { take: async () => true, giveBack: async () => {} },
    digests: { collect: async () => '00000000-0000-4000-8000-0000000000d1' },
    newId: () => `00000000-0000-4000-8000-00000000000${++ids}`,
    duplicateWait: { attempts: 3, intervalMs: 1 },
    ...overrides,
  });
}

describe('NotificationIntake with an Idempotency-Key', () => {
  it('replays a completed request without sending anything', async () => {
    // Prepare
    const keys = fakeTable();
    const sent: ChannelJob[] = [];
    const first = await intake(keys, sent).accept({ request, producer, idempotencyKey: 'k' });

    // Act
    const again = await intake(keys, sent).accept({ request, producer, idempotencyKey: 'k' });

    // Assess
    expect(again).toEqual(first);
    expect(sent.map((job) => job.channel)).toEqual(['email', 'sms']);
  });

  it('takes over a reservation whose request died before queueing, and queues every job once', async () => {
    // Prepare: a reservation and its record, as a request that crashed right after its write leaves them
    const keys = fakeTable();
    const sent: ChannelJob[] = [];
    const dying = intake(keys, [], {
      queues: {
        send: async () => {
          throw new Error('the function was killed');
        },
      },
    });
    await dying.accept({ request, producer, idempotencyKey: 'k' }).catch(() => undefined);
    keys.reservation = keys.reservation && { ...keys.reservation, lease_until: Date.now() - 1 };

    // Act
    const resumed = await intake(keys, sent).accept({ request, producer, idempotencyKey: 'k' });

    // Assess
    expect(resumed.notification_id).toBe('00000000-0000-4000-8000-000000000001');
    expect(sent.map((job) => [job.channel, job.notification_id])).toEqual([
      ['email', resumed.notification_id],
      ['sms', resumed.notification_id],
    ]);
    expect(keys.reservation?.state).toBe('completed');
  });

  it('answers 409 with Retry-After when the first request is still at work after the wait', async () => {
    const keys = fakeTable();
    keys.reservation = {
      notification_id: 'n',
      fingerprint: requestFingerprint(request),
      state: 'in_progress',
      lease_until: Date.now() + 60_000,
      response: { notification_id: 'n', status: 'queued', channels: {} },
      expires_at: 0,
    };
    const sent: ChannelJob[] = [];

    const attempt = intake(keys, sent).accept({ request, producer, idempotencyKey: 'k' });

    await expect(attempt).rejects.toMatchObject({
      statusCode: 409,
      code: 'idempotency_key_in_use',
      retryAfterSeconds: 1,
    });
    expect(sent).toEqual([]);
  });

  it('still answers "queued" when the jobs are queued but marking the reservation completed fails', async () => {
    const keys = fakeTable();
    keys.failComplete = true;
    const sent: ChannelJob[] = [];

    const accepted = await intake(keys, sent).accept({ request, producer, idempotencyKey: 'k' });

    expect(accepted.status).toBe('queued');
    expect(sent).toHaveLength(2);
  });

  it('releases the reservation when SQS refuses a job, so the retry need not wait for the lease', async () => {
    const keys = fakeTable();
    const refusing = intake(keys, [], {
      queues: {
        send: async (job: ChannelJob) => {
          if (job.channel === 'sms') throw Object.assign(new Error('no such queue'), { name: 'QueueDoesNotExist' });
        },
      },
    });

    const attempt = refusing.accept({ request, producer, idempotencyKey: 'k' });

    await expect(attempt).rejects.toMatchObject({ statusCode: 503, code: 'enqueue_failed' });
    expect(keys.reservation?.lease_until).toBe(0);
  });
});

describe('NotificationIntake reading a cached user', () => {
  const stale: UserItem = { user_id: 'user-1', email_address: 'ada@example.com' };

  it('confirms a no_contact skip on a consistent read: a number set a moment ago is used', async () => {
    // Prepare: the cache still holds the user without a phone number
    const sent: ChannelJob[] = [];
    let freshReads = 0;
    const accepting = intake(fakeTable(), sent, {
      users: {
        find: async () => stale,
        findFresh: async () => {
          freshReads++;
          return user;
        },
      },
    });

    // Act
    const accepted = await accepting.accept({ request, producer });

    // Assess
    expect(accepted.channels.sms).toEqual({ status: 'queued' });
    expect(sent.map((job) => job.channel)).toEqual(['email', 'sms']);
    expect(freshReads).toBe(1);
  });

  it.each([
    ['a category turned back on', { preferences: { ...DEFAULT_PREFERENCES, categories: { orders: { sms: false } } } }],
    ['a START texted', { sms_switched_by: { on: false, source: 'sms_keyword' as const, keyword: 'STOP', at: '' } }],
  ])(
    'confirms a skip for the person’s own choice on a consistent read: %s a moment ago is honoured',
    async (_, was) => {
      const sent: ChannelJob[] = [];
      const accepting = intake(fakeTable(), sent, {
        users: { find: async () => ({ ...user, ...was }), findFresh: async () => user },
      });

      const accepted = await accepting.accept({ request, producer });

      expect(accepted.channels.sms).toEqual({ status: 'queued' });
    },
  );

  it('skips for good only what the consistent read confirms', async () => {
    const sent: ChannelJob[] = [];
    const accepting = intake(fakeTable(), sent, {
      users: { find: async () => stale, findFresh: async () => stale },
    });

    const accepted = await accepting.accept({ request, producer });

    expect(accepted.channels.sms).toEqual({ status: 'skipped', reason: 'no_contact' });
    expect(sent.map((job) => job.channel)).toEqual(['email']);
  });

  it('reads the user once when nothing is skipped for what the user item says', async () => {
    let freshReads = 0;
    const accepting = intake(fakeTable(), [], {
      users: {
        find: async () => user,
        findFresh: async () => {
          freshReads++;
          return user;
        },
      },
    });

    await accepting.accept({ request, producer });

    expect(freshReads).toBe(0);
  });
});

describe('NotificationIntake and the suppression list', () => {
  it('skips a suppressed address as suppressed, asks once for every address it would send to, and queues the rest', async () => {
    const sent: ChannelJob[] = [];
    const asked: Record<string, string>[] = [];
    const accepted = await intake(fakeTable(), sent, {
      suppressions: {
        screen: async (addresses) => {
          asked.push({ ...(addresses as Record<string, string>) });
          return { suppressed: new Set(['email' as const]), keys: { email: ['key-e'], sms: ['key-s'] } };
        },
      },
    }).accept({ request, producer });

    expect(asked).toEqual([{ email: 'ada@example.com', sms: '+4915112345678' }]);
    expect(accepted.channels.email).toEqual({ status: 'skipped', reason: 'suppressed' });
    expect(accepted.channels.sms).toEqual({ status: 'queued' });
    expect(sent.map((job) => job.channel)).toEqual(['sms']);
  });

  it('does not ask when it would send on no channel that has an address', async () => {
    let asked = 0;
    await intake(fakeTable(), [], {
      users: { find: async () => undefined, findFresh: async () => undefined },
      suppressions: {
        screen: async () => {
          asked++;
          return { suppressed: new Set(), keys: {} };
        },
      },
    }).accept({ request, producer });

    expect(asked).toBe(0);
  });
});

describe('NotificationIntake with send_at', () => {
  const NOW = new Date('2026-12-07T12:00:00Z');
  const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000).toISOString();

  function scheduling(overrides: Partial<IntakeDependencies> = {}) {
    const keys = fakeTable();
    const sent: ChannelJob[] = [];
    const dispatches: { id: string; delaySeconds: number }[] = [];
    const reads: string[] = [];
    const service = intake(keys, sent, {
      clock: () => NOW,
      users: {
        find: async () => {
          reads.push('find');
          return user;
        },
        findFresh: async () => {
          reads.push('findFresh');
          return user;
        },
      },
      dispatchQueue: {
        send: async (id: string, delaySeconds: number) => {
          dispatches.push({ id, delaySeconds });
        },
      },
      ...overrides,
    });
    return { service, keys, sent, dispatches, reads };
  }

  it('records it as scheduled, decides nothing now, and puts one due soon on the dispatch queue with its delay', async () => {
    // Prepare
    const { service, keys, sent, dispatches, reads } = scheduling();

    // Act
    const answer = await service.accept({ request: { ...request, send_at: at(20), cancel_key: 'A-1' }, producer });

    // Assess
    expect(answer).toEqual({
      notification_id: answer.notification_id,
      status: 'scheduled',
      send_at: at(20),
      channels: {},
    });
    expect(reads).toEqual([]);
    expect(sent).toEqual([]);
    expect(dispatches).toEqual([{ id: answer.notification_id, delaySeconds: 20 }]);
    const item = keys.notifications.items.get(answer.notification_id);
    expect(item).toMatchObject({
      status: 'scheduled',
      send_at: at(20),
      request: { payload: request.payload },
      cancel_key: 'A-1',
      channels: {},
    });
    expect(item?.due_shard).toBeUndefined();
  });

  it('leaves one due beyond the lookahead in the due-time index, and keeps its record past its time', async () => {
    // Prepare
    const { service, keys, dispatches } = scheduling();
    const sendAt = at(300 * 86_400);

    // Act
    const answer = await service.accept({ request: { ...request, send_at: sendAt }, producer });

    // Assess
    expect(dispatches).toEqual([]);
    const item = keys.notifications.items.get(answer.notification_id);
    expect(item?.due_at).toBe(sendAt);
    expect(item?.due_shard).toMatch(/^due#\d+$/);
    expect(item?.expires_at).toBeGreaterThan(new Date(sendAt).getTime() / 1000);
  });

  it('falls back to the due-time index when the dispatch queue refuses, and still answers scheduled', async () => {
    // Prepare
    const entered: string[] = [];
    const notifications = new FakeNotifications();
    notifications.enterDueIndex = async (id: string) => {
      entered.push(id);
      return true;
    };
    const { service } = scheduling({
      notifications,
      dispatchQueue: {
        send: async () => {
          throw Object.assign(new Error('throttled'), { name: 'RequestThrottled' });
        },
      },
    });

    // Act
    const answer = await service.accept({ request: { ...request, send_at: at(20) }, producer });

    // Assess
    expect(answer.status).toBe('scheduled');
    expect(entered).toEqual([answer.notification_id]);
  });

  it('answers 503 and says how to retry when neither the queue nor the index takes it', async () => {
    // Prepare
    const notifications = new FakeNotifications();
    notifications.enterDueIndex = async () => {
      throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
    };
    const { service } = scheduling({
      notifications,
      dispatchQueue: {
        send: async () => {
          throw new Error('refused');
        },
      },
    });

    // Act and assess
    await expect(service.accept({ request: { ...request, send_at: at(20) }, producer })).rejects.toMatchObject({
      statusCode: 503,
      code: 'enqueue_failed',
    });
  });

  it('refuses a time in the past or too far ahead as a 400 naming send_at, and records nothing', async () => {
    // Prepare
    const { service, keys } = scheduling({ maxScheduleDays: 30 });

    // Act and assess
    for (const sendAt of [at(-1), at(0), at(31 * 86_400)]) {
      await expect(service.accept({ request: { ...request, send_at: sendAt }, producer })).rejects.toMatchObject({
        statusCode: 400,
        code: 'invalid_request',
        details: [{ field: 'send_at', message: expect.any(String) }],
      });
    }
    expect(keys.notifications.items.size).toBe(0);
  });

  it('replays the first answer to a retry under the same Idempotency-Key, scheduling nothing new', async () => {
    // Prepare
    const { service, dispatches, keys } = scheduling();
    const scheduled = { ...request, send_at: at(20) };

    // Act
    const first = await service.accept({ request: scheduled, producer, idempotencyKey: 'k' });
    const again = await service.accept({ request: scheduled, producer, idempotencyKey: 'k' });

    // Assess
    expect(again).toEqual(first);
    expect(dispatches).toHaveLength(1);
    expect(keys.notifications.items.size).toBe(1);
  });
});

describe('NotificationIntake and frequency caps', () => {
  it('gives back the slots a retry took under the same Idempotency-Key: the first request carries the message', async () => {
    // Prepare
    const keys = fakeTable();
    const counted: string[] = [];
    const capped = { ...template, throttle: { limit: 3, window_seconds: 3600 } };
    const service = intake(keys, [], {
      templates: { find: async () => capped },
      frequencyCounters: {
        take: async (_user, channel) => {
          counted.push(`take:${channel}`);
          return true;
        },
        giveBack: async (_user, channel) => {
          counted.push(`giveBack:${channel}`);
        },
      },
    });

    // Act
    await service.accept({ request, producer, idempotencyKey: 'k' });
    await service.accept({ request, producer, idempotencyKey: 'k' });

    // Assess
    expect(counted.sort()).toEqual([
      'giveBack:email',
      'giveBack:sms',
      'take:email',
      'take:email',
      'take:sms',
      'take:sms',
    ]);
  });
});
