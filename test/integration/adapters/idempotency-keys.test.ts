import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IDEMPOTENCY_WINDOW_SECONDS,
  IdempotencyKeys,
  type Reservation,
} from '../../../lambdas/shared/adapters/idempotency-keys.js';
import { type NotificationItem, NotificationsStore } from '../../../lambdas/shared/adapters/notifications-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { dynamoDb } from '../../support/emulator-clients.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let table: string;
let notifications: NotificationsStore;
let keys: IdempotencyKeys;
/** The adapter's clock, in ms; the tests set it, so that every verdict follows from values and not from timing. */
const now = Date.parse('2030-01-01T12:00:00Z');

beforeAll(async () => {
  platform = await provisionTestPlatform('idempotency-keys');
  table = platform.resources.tables.notifications;
  notifications = new NotificationsStore(table, documentClient);
  keys = new IdempotencyKeys(table, documentClient, notifications, () => now);
});
afterAll(() => platform.remove());

const PRODUCER = 'order-service';

function notification(): NotificationItem {
  return {
    notification_id: randomUUID(),
    user_id: `user-${randomUUID()}`,
    type: 'order_shipped',
    producer: PRODUCER,
    critical: false,
    created_at: new Date(now).toISOString(),
    channels: { email: { status: 'queued', updated_at: new Date(now).toISOString() } },
    expires_at: Math.floor(now / 1000) + 3600,
  };
}

function reservationFor(item: NotificationItem, key: string, overrides: Partial<Reservation> = {}): Reservation {
  return {
    producer: PRODUCER,
    key,
    fingerprint: 'fingerprint-1',
    response: { notification_id: item.notification_id, status: 'queued', channels: { email: { status: 'queued' } } },
    leaseUntil: now + 15_000,
    ...overrides,
  };
}

describe('reserveWhileCreating', () => {
  it('reserves the key and records the notification together', async () => {
    // Prepare
    const key = randomUUID();
    const item = notification();

    // Act
    const outcome = await keys.reserveWhileCreating(item, reservationFor(item, key));

    // Assess
    expect(outcome).toEqual({ reserved: true });
    expect(await keys.findReservation(PRODUCER, key)).toMatchObject({
      notification_id: item.notification_id,
      fingerprint: 'fingerprint-1',
      state: 'in_progress',
      lease_until: now + 15_000,
      response: { notification_id: item.notification_id, status: 'queued' },
      expires_at: Math.floor(now / 1000) + IDEMPOTENCY_WINDOW_SECONDS,
    });
    expect(await notifications.find(item.notification_id)).toMatchObject(item);
  });

  it('stores only a hash of the key, under the producer', async () => {
    const key = `order-A-${randomUUID()}`;
    const item = notification();

    await keys.reserveWhileCreating(item, reservationFor(item, key));

    const { Items = [] } = await dynamoDb.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    const stored = Items.filter(
      (entry) => entry.notification_id?.S === item.notification_id && entry.sk?.S === 'idempotency',
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]?.pk?.S).toMatch(new RegExp(`^idempotency#${PRODUCER}#[0-9a-f]{64}$`));
    expect(JSON.stringify(Items)).not.toContain(key);
  });

  it("keeps one producer's key apart from the same key of another producer", async () => {
    const key = randomUUID();
    const ours = notification();
    const theirs = notification();

    const first = await keys.reserveWhileCreating(ours, reservationFor(ours, key));
    const second = await keys.reserveWhileCreating(theirs, reservationFor(theirs, key, { producer: 'billing' }));

    expect([first, second]).toEqual([{ reserved: true }, { reserved: true }]);
    expect((await keys.findReservation('billing', key))?.notification_id).toBe(theirs.notification_id);
  });

  it('gives a second request the existing reservation, and records none of its notification', async () => {
    // Prepare
    const key = randomUUID();
    const first = notification();
    await keys.reserveWhileCreating(first, reservationFor(first, key));
    const second = notification();

    // Act
    const outcome = await keys.reserveWhileCreating(second, reservationFor(second, key, { fingerprint: 'other' }));

    // Assess
    expect(outcome).toMatchObject({
      reserved: false,
      existing: { notification_id: first.notification_id, fingerprint: 'fingerprint-1', state: 'in_progress' },
    });
    expect(await notifications.find(second.notification_id)).toBeUndefined();
  });

  it('lets one of ten concurrent requests reserve the key; the others make no notification', async () => {
    // Prepare
    const key = randomUUID();
    const items = Array.from({ length: 10 }, notification);

    // Act
    const outcomes = await Promise.allSettled(
      items.map((item) => keys.reserveWhileCreating(item, reservationFor(item, key))),
    );

    // Assess: one winner; every other request got the winner's reservation back, or (its transaction cancelled
    // while the winner's was still being written) an error the producer retries
    const winners = outcomes.flatMap((outcome, index) =>
      outcome.status === 'fulfilled' && outcome.value.reserved ? [items[index]?.notification_id] : [],
    );
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ name: 'TransactionCanceledException' });
      else if (!outcome.value.reserved) expect(outcome.value.existing.notification_id).toBe(winners[0]);
    }
    const recorded = await Promise.all(items.map((item) => notifications.find(item.notification_id)));
    expect(recorded.flatMap((item) => (item ? [item.notification_id] : []))).toEqual(winners);
    expect((await keys.findReservation(PRODUCER, key))?.notification_id).toBe(winners[0]);
  });

  it('reserves nothing when the notification cannot be written: the two writes are one transaction', async () => {
    // Prepare: a notification with this id exists already, so its Put's condition fails
    const key = randomUUID();
    const item = notification();
    await notifications.create(item);

    // Act
    const attempt = keys.reserveWhileCreating(item, reservationFor(item, key));

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    expect(await keys.findReservation(PRODUCER, key)).toBeUndefined();
  });

  it("treats a key whose 24 hours have passed as free, before DynamoDB's TTL removes it", async () => {
    // Prepare: a reservation made 25 hours ago
    const key = randomUUID();
    const old = notification();
    const then = now - 25 * 3600 * 1000;
    await new IdempotencyKeys(table, documentClient, notifications, () => then).reserveWhileCreating(
      old,
      reservationFor(old, key, { leaseUntil: then + 15_000 }),
    );
    const fresh = notification();

    // Act
    const outcome = await keys.reserveWhileCreating(fresh, reservationFor(fresh, key));

    // Assess
    expect(outcome).toEqual({ reserved: true });
    expect(await keys.findReservation(PRODUCER, key)).toMatchObject({
      notification_id: fresh.notification_id,
      expires_at: Math.floor(now / 1000) + IDEMPOTENCY_WINDOW_SECONDS,
    });
  });

  it('does not treat a key inside its 24 hours as free', async () => {
    const key = randomUUID();
    const earlier = notification();
    const then = now - 23 * 3600 * 1000;
    await new IdempotencyKeys(table, documentClient, notifications, () => then).reserveWhileCreating(
      earlier,
      reservationFor(earlier, key),
    );
    const later = notification();

    const outcome = await keys.reserveWhileCreating(later, reservationFor(later, key));

    expect(outcome).toMatchObject({ reserved: false, existing: { notification_id: earlier.notification_id } });
  });
});

describe('findReservation', () => {
  it('answers undefined for a key never used', async () => {
    expect(await keys.findReservation(PRODUCER, randomUUID())).toBeUndefined();
  });
});

describe('takeOver', () => {
  /** A reservation whose request died: its lease ran out a second ago. */
  async function abandoned(key: string) {
    const item = notification();
    await keys.reserveWhileCreating(item, reservationFor(item, key, { leaseUntil: now - 1_000 }));
    const seen = await keys.findReservation(PRODUCER, key);
    if (!seen) throw new Error('the reservation was not written');
    return seen;
  }

  it('takes over a reservation whose lease ran out, with a new lease', async () => {
    const key = randomUUID();
    const seen = await abandoned(key);

    const taken = await keys.takeOver(PRODUCER, key, seen, now + 15_000);

    expect(taken).toBe(true);
    expect(await keys.findReservation(PRODUCER, key)).toMatchObject({
      notification_id: seen.notification_id,
      state: 'in_progress',
      lease_until: now + 15_000,
    });
  });

  it('lets one of two concurrent retries take over; the other learns it lost', async () => {
    const key = randomUUID();
    const seen = await abandoned(key);

    const taken = await Promise.all([
      keys.takeOver(PRODUCER, key, seen, now + 15_000),
      keys.takeOver(PRODUCER, key, seen, now + 16_000),
    ]);

    expect(taken.filter(Boolean)).toHaveLength(1);
    const winnersLease = taken[0] ? now + 15_000 : now + 16_000;
    expect((await keys.findReservation(PRODUCER, key))?.lease_until).toBe(winnersLease);
  });

  it('refuses a retry that saw an older lease than the one the reservation holds now', async () => {
    const key = randomUUID();
    const seen = await abandoned(key);
    await keys.takeOver(PRODUCER, key, seen, now + 15_000);

    const late = await keys.takeOver(PRODUCER, key, seen, now + 20_000);

    expect(late).toBe(false);
    expect((await keys.findReservation(PRODUCER, key))?.lease_until).toBe(now + 15_000);
  });

  it('refuses to take over a completed reservation', async () => {
    const key = randomUUID();
    const seen = await abandoned(key);
    await keys.complete(PRODUCER, key);

    expect(await keys.takeOver(PRODUCER, key, seen, now + 15_000)).toBe(false);
    expect(await keys.findReservation(PRODUCER, key)).toMatchObject({ state: 'completed', lease_until: now - 1_000 });
  });

  it('takes over nothing, and writes nothing, for a key never reserved', async () => {
    const key = randomUUID();
    const seen = await abandoned(randomUUID());

    expect(await keys.takeOver(PRODUCER, key, seen, now + 15_000)).toBe(false);
    expect(await keys.findReservation(PRODUCER, key)).toBeUndefined();
  });
});

describe('complete and release', () => {
  it('completes a reservation: later requests replay it', async () => {
    const key = randomUUID();
    const item = notification();
    await keys.reserveWhileCreating(item, reservationFor(item, key));

    await keys.complete(PRODUCER, key);
    const again = notification();
    const outcome = await keys.reserveWhileCreating(again, reservationFor(again, key));

    expect(outcome).toMatchObject({
      reserved: false,
      existing: { notification_id: item.notification_id, state: 'completed', lease_until: now + 15_000 },
    });
  });

  it('releases a reservation: its lease ends at once and the next retry takes it over', async () => {
    const key = randomUUID();
    const item = notification();
    await keys.reserveWhileCreating(item, reservationFor(item, key));

    await keys.release(PRODUCER, key);
    const released = await keys.findReservation(PRODUCER, key);

    expect(released).toMatchObject({ state: 'in_progress', lease_until: 0 });
    if (!released) throw new Error('the reservation disappeared');
    expect(await keys.takeOver(PRODUCER, key, released, now + 15_000)).toBe(true);
  });
});
