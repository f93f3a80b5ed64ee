import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryClaims } from '../../../lambdas/shared/adapters/delivery-claims.js';
import { type NotificationItem, NotificationsStore } from '../../../lambdas/shared/adapters/notifications-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

const LEASE_SECONDS = 60;
let platform: TestPlatform;
let table: string;
/** The adapter's clock, in ms: the tests move it past a lease instead of waiting for one. */
let now = Date.parse('2030-01-01T12:00:00Z');
let tokens = 0;
let claims: DeliveryClaims;

beforeAll(async () => {
  platform = await provisionTestPlatform('delivery-claims');
  table = platform.resources.tables.notifications;
  claims = new DeliveryClaims(
    table,
    documentClient,
    LEASE_SECONDS,
    () => now,
    () => `token-${++tokens}`,
  );
});
afterAll(() => platform.remove());

const expiresAt = () => Math.floor(now / 1000) + 3600;

async function claimed(notificationId: string, channel: 'email' | 'sms' | 'push' = 'sms'): Promise<string> {
  const result = await claims.claim(notificationId, channel, expiresAt());
  if (result.outcome !== 'claimed') throw new Error(`expected to claim, got ${result.outcome}`);
  return result.token;
}

describe('claim', () => {
  it('claims a job nobody holds, under a token of its own', async () => {
    const result = await claims.claim(randomUUID(), 'sms', expiresAt());

    expect(result).toEqual({ outcome: 'claimed', token: `token-${tokens}` });
  });

  it("answers held_by_another, with the holder's lease, while the lease runs", async () => {
    // Prepare
    const id = randomUUID();
    await claimed(id);
    const leaseUntil = now + LEASE_SECONDS * 1000;
    now += 30_000;

    // Act
    const second = await claims.claim(id, 'sms', expiresAt());

    // Assess
    expect(second).toEqual({ outcome: 'held_by_another', leaseUntil });
  });

  it('lets one of five concurrent attempts claim; the others are told who holds it until when', async () => {
    const id = randomUUID();

    const results = await Promise.all(Array.from({ length: 5 }, () => claims.claim(id, 'email', expiresAt())));

    expect(results.filter((result) => result.outcome === 'claimed')).toHaveLength(1);
    expect(results.filter((result) => result.outcome === 'held_by_another')).toEqual(
      Array.from({ length: 4 }, () => ({ outcome: 'held_by_another', leaseUntil: now + LEASE_SECONDS * 1000 })),
    );
  });

  it('lets the next attempt claim once the lease has run out, under a new token', async () => {
    const id = randomUUID();
    const first = await claimed(id);
    now += LEASE_SECONDS * 1000 + 1;

    const second = await claims.claim(id, 'sms', expiresAt());

    expect(second).toMatchObject({ outcome: 'claimed' });
    expect(second.outcome === 'claimed' && second.token).not.toBe(first);
  });

  it('keeps each channel of a notification apart, and leaves the notification record alone', async () => {
    // Prepare
    const notifications = new NotificationsStore(table, documentClient);
    const record: NotificationItem = {
      notification_id: randomUUID(),
      user_id: 'user-1',
      type: 'code',
      producer: 'order-service',
      critical: false,
      created_at: new Date(now).toISOString(),
      channels: { sms: { status: 'queued', updated_at: new Date(now).toISOString() } },
      expires_at: expiresAt(),
    };
    await notifications.create(record);

    // Act
    const sms = await claims.claim(record.notification_id, 'sms', expiresAt());
    const email = await claims.claim(record.notification_id, 'email', expiresAt());

    // Assess
    expect([sms.outcome, email.outcome]).toEqual(['claimed', 'claimed']);
    expect(await notifications.find(record.notification_id)).toMatchObject(record);
  });
});

describe('complete', () => {
  it('completes the claim: every later attempt is told the job is done, even after the lease', async () => {
    const id = randomUUID();
    const token = await claimed(id);

    const completed = await claims.complete(id, 'sms', token);
    now += LEASE_SECONDS * 1000 + 1;
    const later = await claims.claim(id, 'sms', expiresAt());

    expect(completed).toBe(true);
    expect(later).toEqual({ outcome: 'completed' });
  });

  it('answers false for a claim completed already, and for one that does not exist', async () => {
    const id = randomUUID();
    const token = await claimed(id);
    await claims.complete(id, 'sms', token);

    expect(await claims.complete(id, 'sms', token)).toBe(false);
    expect(await claims.release(id, 'sms', token)).toBe(false);
    expect(await claims.complete(randomUUID(), 'sms', token)).toBe(false);
    expect(await claims.claim(id, 'sms', expiresAt())).toEqual({ outcome: 'completed' });
  });
});

describe('release', () => {
  it('ends the lease at once: the next attempt claims without waiting', async () => {
    const id = randomUUID();
    const token = await claimed(id);

    const released = await claims.release(id, 'sms', token);
    const next = await claims.claim(id, 'sms', expiresAt());

    expect(released).toBe(true);
    expect(next).toMatchObject({ outcome: 'claimed' });
  });
});

describe('an attempt that outlived its lease', () => {
  it('can neither complete nor release the claim of the attempt that took over (stale token)', async () => {
    // Prepare: A claimed and stalled past its lease; B took the claim over
    const id = randomUUID();
    const stale = await claimed(id);
    now += LEASE_SECONDS * 1000 + 1;
    const current = await claimed(id);
    const bLeaseUntil = now + LEASE_SECONDS * 1000;

    // Act
    const completed = await claims.complete(id, 'sms', stale);
    const released = await claims.release(id, 'sms', stale);

    // Assess: B still holds its lease, and completes with its own token
    expect([completed, released]).toEqual([false, false]);
    expect(await claims.claim(id, 'sms', expiresAt())).toEqual({ outcome: 'held_by_another', leaseUntil: bLeaseUntil });
    expect(await claims.complete(id, 'sms', current)).toBe(true);
    expect(await claims.claim(id, 'sms', expiresAt())).toEqual({ outcome: 'completed' });
  });
});
