import { describe, expect, it } from 'vitest';
import { type IntakeDependencies, NotificationIntake } from '../../lambdas/ingest/notification-intake.js';
import type { IdempotencyItem, NotificationItem } from '../../lambdas/shared/adapters/notifications-store.js';
import type { TemplateItem } from '../../lambdas/shared/adapters/templates-store.js';
import type { UserItem } from '../../lambdas/shared/adapters/users-store.js';
import { requestFingerprint } from '../../lambdas/shared/domain/request-fingerprint.js';
import type { ChannelJob } from '../../lambdas/shared/schemas/channel-job.js';

/** An in-memory stand-in for the notifications table, with the claim semantics of the real store. */
class FakeNotifications {
  claim: IdempotencyItem | undefined;
  readonly items = new Map<string, NotificationItem>();
  failComplete = false;

  async create(item: NotificationItem) {
    this.items.set(item.notification_id, item);
  }
  async createOnce(
    item: NotificationItem,
    claim: { fingerprint: string; response: IdempotencyItem['response']; leaseUntil: number },
  ) {
    if (this.claim) return { claimed: false as const, existing: this.claim };
    this.claim = {
      notification_id: item.notification_id,
      fingerprint: claim.fingerprint,
      state: 'in_progress',
      lease_until: claim.leaseUntil,
      response: claim.response,
      expires_at: 0,
    };
    this.items.set(item.notification_id, item);
    return { claimed: true as const };
  }
  async findClaim() {
    return this.claim;
  }
  async takeOver(_producer: string, _key: string, seen: IdempotencyItem, leaseUntil: number) {
    if (this.claim?.lease_until !== seen.lease_until) return false;
    this.claim = { ...this.claim, lease_until: leaseUntil };
    return true;
  }
  async completeClaim() {
    if (this.failComplete) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    if (this.claim) this.claim = { ...this.claim, state: 'completed' };
  }
  async releaseClaim() {
    if (this.claim) this.claim = { ...this.claim, lease_until: 0 };
  }
  async find(id: string) {
    return this.items.get(id);
  }
  async recordEnqueueOutcome() {}
}

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

function intake(notifications: FakeNotifications, sent: ChannelJob[], overrides: Partial<IntakeDependencies> = {}) {
  let ids = 0;
  return new NotificationIntake({
    users: { find: async () => user, findFresh: async () => user },
    templates: { find: async () => template },
    notifications,
    queues: {
      send: async (job: ChannelJob) => {
        sent.push(job);
      },
    },
    newId: () => `00000000-0000-4000-8000-00000000000${++ids}`,
    duplicateWait: { attempts: 3, intervalMs: 1 },
    ...overrides,
  });
}

describe('NotificationIntake with an Idempotency-Key', () => {
  it('replays a completed request without sending anything', async () => {
    // Prepare
    const notifications = new FakeNotifications();
    const sent: ChannelJob[] = [];
    const first = await intake(notifications, sent).accept({ request, producer, idempotencyKey: 'k' });

    // Act
    const again = await intake(notifications, sent).accept({ request, producer, idempotencyKey: 'k' });

    // Assess
    expect(again).toEqual(first);
    expect(sent.map((job) => job.channel)).toEqual(['email', 'sms']);
  });

  it('takes over a claim whose request died before queueing, and queues every job once', async () => {
    // Prepare: a claim and its record, as a request that crashed right after its write leaves them
    const notifications = new FakeNotifications();
    const sent: ChannelJob[] = [];
    const dying = intake(notifications, [], {
      queues: {
        send: async () => {
          throw new Error('the function was killed');
        },
      },
    });
    await dying.accept({ request, producer, idempotencyKey: 'k' }).catch(() => undefined);
    notifications.claim = notifications.claim && { ...notifications.claim, lease_until: Date.now() - 1 };

    // Act
    const resumed = await intake(notifications, sent).accept({ request, producer, idempotencyKey: 'k' });

    // Assess
    expect(resumed.notification_id).toBe('00000000-0000-4000-8000-000000000001');
    expect(sent.map((job) => [job.channel, job.notification_id])).toEqual([
      ['email', resumed.notification_id],
      ['sms', resumed.notification_id],
    ]);
    expect(notifications.claim?.state).toBe('completed');
  });

  it('answers 409 with Retry-After when the first request is still at work after the wait', async () => {
    const notifications = new FakeNotifications();
    notifications.claim = {
      notification_id: 'n',
      fingerprint: requestFingerprint(request),
      state: 'in_progress',
      lease_until: Date.now() + 60_000,
      response: { notification_id: 'n', status: 'queued', channels: {} },
      expires_at: 0,
    };
    const sent: ChannelJob[] = [];

    const attempt = intake(notifications, sent).accept({ request, producer, idempotencyKey: 'k' });

    await expect(attempt).rejects.toMatchObject({
      statusCode: 409,
      code: 'idempotency_key_in_use',
      retryAfterSeconds: 1,
    });
    expect(sent).toEqual([]);
  });

  it('still answers "queued" when the jobs are queued but marking the claim completed fails', async () => {
    const notifications = new FakeNotifications();
    notifications.failComplete = true;
    const sent: ChannelJob[] = [];

    const accepted = await intake(notifications, sent).accept({ request, producer, idempotencyKey: 'k' });

    expect(accepted.status).toBe('queued');
    expect(sent).toHaveLength(2);
  });

  it('releases the claim when SQS refuses a job, so the retry need not wait for the lease', async () => {
    const notifications = new FakeNotifications();
    const refusing = intake(notifications, [], {
      queues: {
        send: async (job: ChannelJob) => {
          if (job.channel === 'sms') throw Object.assign(new Error('no such queue'), { name: 'QueueDoesNotExist' });
        },
      },
    });

    const attempt = refusing.accept({ request, producer, idempotencyKey: 'k' });

    await expect(attempt).rejects.toMatchObject({ statusCode: 503, code: 'enqueue_failed' });
    expect(notifications.claim?.lease_until).toBe(0);
  });
});

describe('NotificationIntake reading a cached user', () => {
  const stale: UserItem = { user_id: 'user-1', email_address: 'ada@example.com' };

  it('confirms a no_contact skip on a consistent read: a number set a moment ago is used', async () => {
    // Prepare: the cache still holds the user without a phone number
    const sent: ChannelJob[] = [];
    let freshReads = 0;
    const accepting = intake(new FakeNotifications(), sent, {
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

  it('skips for good only what the consistent read confirms', async () => {
    const sent: ChannelJob[] = [];
    const accepting = intake(new FakeNotifications(), sent, {
      users: { find: async () => stale, findFresh: async () => stale },
    });

    const accepted = await accepting.accept({ request, producer });

    expect(accepted.channels.sms).toEqual({ status: 'skipped', reason: 'no_contact' });
    expect(sent.map((job) => job.channel)).toEqual(['email']);
  });

  it('reads the user once when nothing is skipped for what the user item says', async () => {
    let freshReads = 0;
    const accepting = intake(new FakeNotifications(), [], {
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
