/**
 * The scheduler's races, decided by DynamoDB Local's conditional writes: a cancel against the dispatch (both orders,
 * and at the same moment), the scheduler firing twice and late, a firing that died half-way, and a cancel against a
 * worker's claim. Jobs are counted on LocalStack's queues.
 */

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationCancellation } from '../../../lambdas/cancellation/notification-cancellation.js';
import { NotificationIntake } from '../../../lambdas/ingest/notification-intake.js';
import { DueDrain } from '../../../lambdas/scheduler/due-drain.js';
import { ScheduledDispatch } from '../../../lambdas/scheduler/scheduled-dispatch.js';
import { BroadcastProgressStore } from '../../../lambdas/shared/adapters/broadcast-progress.js';
import { ChannelQueues } from '../../../lambdas/shared/adapters/channel-queues.js';
import { DeferredJobs } from '../../../lambdas/shared/adapters/deferred-jobs.js';
import { DeliveryClaims } from '../../../lambdas/shared/adapters/delivery-claims.js';
import { DigestWindows } from '../../../lambdas/shared/adapters/digest-windows.js';
import { DispatchQueue } from '../../../lambdas/shared/adapters/dispatch-queue.js';
import { FrequencyCounters } from '../../../lambdas/shared/adapters/frequency-counters.js';
import { IdempotencyKeys } from '../../../lambdas/shared/adapters/idempotency-keys.js';
import { NotificationsStore } from '../../../lambdas/shared/adapters/notifications-store.js';
import { SuppressionList } from '../../../lambdas/shared/adapters/suppression-list.js';
import { TemplatesStore } from '../../../lambdas/shared/adapters/templates-store.js';
import { UsersStore } from '../../../lambdas/shared/adapters/users-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { sqsClient } from '../../../lambdas/shared/aws/sqs.js';
import { DigestCollector } from '../../../lambdas/shared/dispatch/digest-collector.js';
import { ScheduleHandOff } from '../../../lambdas/shared/dispatch/schedule-hand-off.js';
import { suppressionPeppers } from '../../../lambdas/shared/platform/suppression-keys.js';
import { SHIPPED_CATEGORIES } from '../../support/categories.js';
import { messagesIn } from '../../support/queue-inspection.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let notifications: NotificationsStore;
let claims: DeliveryClaims;
/** Every service's clock: the tests move it to a schedule's time instead of waiting for it. */
let now = new Date('2030-01-01T12:00:00Z');
const clock = () => now;
const producer = { name: 'order-service', scopes: ['notifications:send' as const], types: ['order_*'] };
const TYPE = 'order_reminder';

beforeAll(async () => {
  platform = await provisionTestPlatform('scheduler');
  const { tables } = platform.resources;
  notifications = new NotificationsStore(tables.notifications, documentClient);
  claims = new DeliveryClaims(tables.notifications, documentClient, 120);
  await documentClient.put({
    TableName: tables.templates,
    Item: {
      type: TYPE,
      critical: false,
      owner: 'order-service',
      updated_at: now.toISOString(),
      updated_by: 'order-service',
      email: { subject: 'Reminder {{ order_id }}', body: 'Your order {{ order_id }}' },
      sms: { body: 'Order {{ order_id }}' },
    },
  });
});
afterAll(() => platform.remove());

function services(queues: Pick<ChannelQueues, 'send'> = channelQueues()) {
  const { tables } = platform.resources;
  const dispatchQueue = new DispatchQueue(platform.resources.dispatchQueue.url, sqsClient);
  const digests = new DigestCollector({
    windows: new DigestWindows(tables.notifications, documentClient, notifications),
    handOff: new ScheduleHandOff({ dispatchQueue, notifications, clock }),
    clock,
  });
  const common = {
    users: new UsersStore(tables.users, documentClient),
    templates: new TemplatesStore(tables.templates, documentClient, 0),
    notifications,
    queues,
    suppressions: new SuppressionList(tables.suppressions, documentClient, suppressionPeppers),
    categories: SHIPPED_CATEGORIES,
    frequencyCounters: new FrequencyCounters(tables.notifications, documentClient),
    digests,
    deferredJobs: new DeferredJobs(tables.notifications, documentClient),
    // Broadcasts are the broadcast tests' (test/integration/broadcast/).
    fanOutQueue: { start: async () => {} },
    clock,
  };
  return {
    common,
    intake: new NotificationIntake({
      ...common,
      idempotencyKeys: new IdempotencyKeys(tables.notifications, documentClient, notifications),
      dispatchQueue,
      topics: { owner: async () => undefined },
    }),
    dispatch: new ScheduledDispatch(common),
    cancellation: new NotificationCancellation({
      notifications,
      claims,
      broadcasts: new BroadcastProgressStore(tables.notifications, documentClient),
      digests: new DigestWindows(tables.notifications, documentClient, notifications),
      templates: common.templates,
      clock,
    }),
  };
}

function channelQueues(): ChannelQueues {
  return new ChannelQueues(
    Object.fromEntries(Object.entries(platform.resources.queues).map(([channel, { url }]) => [channel, url])),
    sqsClient,
  );
}

/** A person who can be reached by email and text. */
async function person(): Promise<string> {
  const userId = `user-${randomUUID().slice(0, 8)}`;
  await documentClient.put({
    TableName: platform.resources.tables.users,
    Item: { user_id: userId, email_address: `${userId}@example.com`, phone_number: '+4915112345678' },
  });
  return userId;
}

/** A notification scheduled `seconds` from now, for a new person. */
async function scheduled(seconds: number, cancelKey?: string): Promise<string> {
  const sendAt = new Date(now.getTime() + seconds * 1000).toISOString();
  const answer = await services().intake.accept({
    request: {
      user_id: await person(),
      type: TYPE,
      payload: { order_id: 'A-1' },
      send_at: sendAt,
      ...(cancelKey ? { cancel_key: cancelKey } : {}),
    },
    producer,
  });
  expect(answer.status).toBe('scheduled');
  return answer.notification_id;
}

/** The channel jobs of a notification on the channels' queues. */
async function jobsOf(notificationId: string): Promise<string[]> {
  const channels: string[] = [];
  for (const { url } of Object.values(platform.resources.queues)) {
    for (const message of await messagesIn(url)) {
      const job = JSON.parse(message.Body) as { notification_id: string; channel: string };
      if (job.notification_id === notificationId) channels.push(job.channel);
    }
  }
  return channels.sort();
}

/** Moves every clock to a schedule's time. */
function advance(seconds: number): void {
  now = new Date(now.getTime() + seconds * 1000);
}

describe('a cancel against the dispatch', () => {
  it('cancelled first: the firing finds it cancelled and queues nothing; the status says cancelled', async () => {
    // Prepare
    const id = await scheduled(60);
    const { dispatch, cancellation } = services();

    // Act
    const cancelled = await cancellation.cancel(id, producer);
    advance(60);
    const fired = await dispatch.fire(id, 'message-1');

    // Assess
    expect(cancelled).toEqual({
      notification_id: id,
      status: 'cancelled',
      cancelled: ['email', 'sms'],
      not_cancelled: {},
    });
    expect(fired).toEqual({ outcome: 'cancelled' });
    expect(await jobsOf(id)).toEqual([]);
    expect(await notifications.find(id)).toMatchObject({ status: 'cancelled', channels: {} });
  });

  it("dispatched first: the cancel stops each channel on its claim, so the queued jobs' workers find them cancelled", async () => {
    // Prepare
    const id = await scheduled(60);
    const { dispatch, cancellation } = services();
    advance(60);

    // Act
    const fired = await dispatch.fire(id, 'message-1');
    const cancelled = await cancellation.cancel(id, producer);

    // Assess
    expect(fired).toEqual({ outcome: 'dispatched' });
    expect(await jobsOf(id)).toEqual(['email', 'sms']);
    expect(cancelled).toEqual({
      notification_id: id,
      status: 'cancelled',
      cancelled: ['email', 'sms'],
      not_cancelled: {},
    });
    for (const channel of ['email', 'sms'] as const) {
      expect(await claims.claim(id, channel, 0)).toEqual({ outcome: 'cancelled' });
    }
    expect(await notifications.find(id)).toMatchObject({
      status: 'cancelled',
      channels: { email: { status: 'cancelled' }, sms: { status: 'cancelled' } },
    });
  });

  it('at the same moment, twenty times: each is cancelled or went out, never both unguarded, never neither', async () => {
    // Prepare
    const ids = await Promise.all(Array.from({ length: 20 }, () => scheduled(60)));
    const { dispatch, cancellation } = services();
    advance(60);

    // Act
    const results = await Promise.all(
      ids.map((id) => Promise.all([dispatch.fire(id, `message-${id}`), cancellation.cancel(id, producer)])),
    );

    // Assess: whichever write came first, nothing is left to be sent, and nothing is left waiting
    for (const [index, id] of ids.entries()) {
      const [fired, cancelled] = results[index] ?? [];
      const item = await notifications.find(id);
      expect(item?.status, `notification ${index}`).toBe('cancelled');
      expect(cancelled?.status).toBe('cancelled');
      if (fired?.outcome === 'dispatched') {
        expect(await jobsOf(id)).toEqual(['email', 'sms']);
        // The jobs went out onto the queues: a worker's claim is what keeps them unsent.
        for (const channel of ['email', 'sms'] as const)
          expect(await claims.claim(id, channel, 0), `notification ${index} ${channel}`).toEqual({
            outcome: 'cancelled',
          });
      } else {
        expect(fired).toEqual({ outcome: 'cancelled' });
        expect(await jobsOf(id)).toEqual([]);
      }
    }
  });
});

describe('the scheduler firing twice, late, early, or dying half-way', () => {
  it('fired twice at once (two messages), ten times: each is dispatched once, one job per channel', async () => {
    // Prepare
    const ids = await Promise.all(Array.from({ length: 10 }, () => scheduled(30)));
    const { dispatch } = services();
    advance(30);

    // Act
    const outcomes = await Promise.all(
      ids.map((id) => Promise.all([dispatch.fire(id, `first-${id}`), dispatch.fire(id, `second-${id}`)])),
    );

    // Assess
    for (const [index, id] of ids.entries()) {
      expect(outcomes[index]?.map(({ outcome }) => outcome).sort()).toEqual(['dispatched', 'duplicate']);
      expect(await jobsOf(id)).toEqual(['email', 'sms']);
    }
  });

  it('fired an hour late: it goes at once; fired early: it waits the rest', async () => {
    // Prepare
    const late = await scheduled(60);
    const early = await scheduled(600);
    const { dispatch } = services();
    advance(3600 + 60);

    // Act
    const lateFiring = await dispatch.fire(late, 'late');
    now = new Date(now.getTime() - 3600_000 - 60_000 + 200_000);
    const earlyFiring = await dispatch.fire(early, 'early');

    // Assess
    expect(lateFiring).toEqual({ outcome: 'dispatched' });
    expect(await jobsOf(late)).toEqual(['email', 'sms']);
    expect(earlyFiring).toEqual({ outcome: 'not_due', waitSeconds: 400 });
    expect((await notifications.find(early))?.status).toBe('scheduled');
  });

  it('a firing that recorded its dispatch and could not queue is finished by its own redelivery, not by another', async () => {
    // Prepare
    const id = await scheduled(60);
    advance(60);
    const refusing = services({
      send: async () => {
        throw Object.assign(new Error('throttled'), { name: 'RequestThrottled' });
      },
    });

    // Act
    const failed = await refusing.dispatch.fire(id, 'message-1').catch((error: Error) => error);
    const other = await services().dispatch.fire(id, 'message-2');
    const redelivered = await services().dispatch.fire(id, 'message-1');

    // Assess
    expect(failed).toMatchObject({ code: 'enqueue_failed' });
    expect(other).toEqual({ outcome: 'duplicate' });
    expect(redelivered).toEqual({ outcome: 'requeued' });
    expect(await jobsOf(id)).toEqual(['email', 'sms']);
  });

  it('a person erased before the time: the firing cancels it, as recipient_erased', async () => {
    // Prepare
    const id = await scheduled(60);
    await notifications.eraseRecipient(id);
    advance(60);

    // Act
    const fired = await services().dispatch.fire(id, 'message-1');

    // Assess
    expect(fired).toEqual({ outcome: 'cancelled' });
    expect(await notifications.find(id)).toMatchObject({ status: 'cancelled', cancel_reason: 'recipient_erased' });
    expect(await jobsOf(id)).toEqual([]);
  });
});

describe('the due drain', () => {
  it('queues what falls due within the lookahead with the rest of its wait, once, and leaves the rest', async () => {
    // Prepare: one due in a day, one in two days
    const soon = await scheduled(86_400);
    const later = await scheduled(2 * 86_400);
    const drain = new DueDrain({
      notifications,
      dispatchQueue: new DispatchQueue(platform.resources.dispatchQueue.url, sqsClient),
    });
    const dispatchMessages = async (id: string) =>
      (await messagesIn(platform.resources.dispatchQueue.url)).filter((message) => message.Body.includes(id));

    // Act: the drain runs ten minutes before the first is due, and again a minute later
    advance(86_400 - 600);
    await drain.drain(now);
    advance(60);
    await drain.drain(now);

    // Assess
    const queued = await dispatchMessages(soon);
    expect(queued).toHaveLength(1);
    expect(await dispatchMessages(later)).toEqual([]);
    expect((await notifications.find(soon))?.due_at).toBeUndefined();
    expect((await notifications.find(later))?.due_at).toBeDefined();
  });
});

describe('a cancel against a worker', () => {
  it("loses to a worker's claim taken first (it is being sent), and wins against one given back after a failure", async () => {
    // Prepare
    const sending = randomUUID();
    const released = randomUUID();
    await claims.claim(sending, 'sms', 0);
    const failed = await claims.claim(released, 'sms', 0);
    if (failed.outcome !== 'claimed') throw new Error('expected a claim');
    await claims.release(released, 'sms', failed.token);

    // Act and assess
    expect(await claims.cancel(sending, 'sms', 0)).toBe(false);
    expect(await claims.cancel(released, 'sms', 0)).toBe(true);
    expect(await claims.claim(released, 'sms', 0)).toEqual({ outcome: 'cancelled' });
  });
});

describe('a cancel key', () => {
  it("stops every pending notification under it at once, the producer's own only", async () => {
    // Prepare
    const key = `order-${randomUUID().slice(0, 8)}-reminder`;
    const ids = await Promise.all([scheduled(600, key), scheduled(900, key), scheduled(86_400, key)]);
    const { cancellation } = services();

    // Act
    const another = await cancellation.cancelByKey(key, { ...producer, name: 'auth-service' });
    const first = await cancellation.cancelByKey(key, producer);
    const again = await cancellation.cancelByKey(key, producer);

    // Assess
    expect(another).toEqual({ cancel_key: key, cancelled: 0 });
    expect(first).toEqual({ cancel_key: key, cancelled: 3 });
    expect(again).toEqual({ cancel_key: key, cancelled: 0 });
    for (const id of ids) expect((await notifications.find(id))?.status).toBe('cancelled');
  });
});

describe('digests', () => {
  const DIGEST_TYPE = 'order_comment';
  const FULL_AT = 8;

  beforeAll(async () => {
    await documentClient.put({
      TableName: platform.resources.tables.templates,
      Item: {
        type: DIGEST_TYPE,
        critical: false,
        owner: 'order-service',
        updated_at: now.toISOString(),
        updated_by: 'order-service',
        digest: { window_seconds: 600, max_items: FULL_AT, key: 'thread_id' },
        email: { subject: '{{ count }} new comments', body: '{% for item in items %}{{ item.text }} {% endfor %}' },
      },
    });
  });

  /** Accepts a comment now; answers its id and its digest's. */
  async function comment(userId: string, text: string, thread = 'T-1', intake = services().intake) {
    const answer = await intake.accept({
      request: { user_id: userId, type: DIGEST_TYPE, payload: { text, thread_id: thread } },
      producer,
    });
    expect(answer).toMatchObject({ status: 'digested', channels: {} });
    const digestId = (await notifications.find(answer.notification_id))?.digest_id ?? '';
    return { id: answer.notification_id, digestId };
  }

  /** The email jobs queued for a digest, with what they render. */
  async function emailJobsOf(digestId: string) {
    const messages = await messagesIn(platform.resources.queues.email.url);
    return messages
      .map(
        (message) =>
          JSON.parse(message.Body) as { notification_id: string; payload: { items: object[]; count: number } },
      )
      .filter((job) => job.notification_id === digestId);
  }

  it('gathers five within the window into one digest, sent when the window closes with the five oldest first', async () => {
    // Prepare
    const userId = await person();
    const members = [];
    for (const text of ['one', 'two', 'three', 'four', 'five']) {
      members.push(await comment(userId, text));
      advance(1);
    }
    const digestId = members[0]?.digestId ?? '';

    // Act
    const early = await services().dispatch.fire(digestId, 'window');
    advance(600);
    const fired = await services().dispatch.fire(digestId, 'window');

    // Assess
    expect(new Set(members.map((member) => member.digestId))).toEqual(new Set([digestId]));
    expect(early.outcome).toBe('not_due');
    expect(fired).toEqual({ outcome: 'dispatched' });
    const [job, ...more] = await emailJobsOf(digestId);
    expect(more).toEqual([]);
    expect(job?.payload).toEqual({
      count: 5,
      items: ['one', 'two', 'three', 'four', 'five'].map((text) => ({ text, thread_id: 'T-1' })),
    });
    for (const member of members) expect((await notifications.find(member.id))?.status).toBe('digested');
  });

  it('keeps threads apart, and goes at once when full, before its window closes', async () => {
    // Prepare
    const userId = await person();
    const other = await comment(userId, 'elsewhere', 'T-2');
    const full = [];
    for (let index = 0; index < FULL_AT; index++) full.push(await comment(userId, `c${index}`, 'T-3'));
    const digestId = full[0]?.digestId ?? '';

    // Act: its time has not come, but it is full
    const fired = await services().dispatch.fire(digestId, 'full');

    // Assess
    expect(other.digestId).not.toBe(digestId);
    expect(fired).toEqual({ outcome: 'dispatched' });
    expect((await emailJobsOf(digestId))[0]?.payload.count).toBe(FULL_AT);
    // The next comment of the thread opens the next digest.
    expect((await comment(userId, 'later', 'T-3')).digestId).not.toBe(digestId);
  });

  it('takes a member arriving while the digest is flushed into the flush, or into the next digest: never lost, never in both', async () => {
    // Prepare: a digest of two, flushed while a third arrives between its read and its write, and a fourth after it
    const userId = await person();
    const first = await comment(userId, 'first');
    await comment(userId, 'second');
    advance(600);
    let during: { id: string; digestId: string } | undefined;
    const interleaving = services();
    const racing = new ScheduledDispatch({
      ...interleaving.common,
      notifications: Object.assign(Object.create(notifications), {
        markDispatched: async (...args: Parameters<NotificationsStore['markDispatched']>) => {
          during ??= await comment(userId, 'during');
          return notifications.markDispatched(...args);
        },
      }),
    });

    // Act
    const fired = await racing.fire(first.digestId, 'window');
    const after = await comment(userId, 'after');

    // Assess
    expect(fired).toEqual({ outcome: 'dispatched' });
    expect(during?.digestId).toBe(first.digestId);
    expect((await emailJobsOf(first.digestId))[0]?.payload.items).toEqual(
      ['first', 'second', 'during'].map((text) => ({ text, thread_id: 'T-1' })),
    );
    expect(after.digestId).not.toBe(first.digestId);
    expect((await notifications.find(after.digestId))?.members?.map((member) => member.notification_id)).toEqual([
      after.id,
    ]);
  });

  it('leaves out a member cancelled before the flush; one cancelled after it was sent is 409', async () => {
    // Prepare
    const userId = await person();
    const keep = await comment(userId, 'keep');
    const drop = await comment(userId, 'drop');
    const { cancellation, dispatch } = services();

    // Act
    const cancelled = await cancellation.cancel(drop.id, producer);
    advance(600);
    await dispatch.fire(keep.digestId, 'window');
    const late = await cancellation.cancel(keep.id, producer).catch((error: Error) => error);

    // Assess
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelled: ['email'] });
    expect((await emailJobsOf(keep.digestId))[0]?.payload).toEqual({
      count: 1,
      items: [{ text: 'keep', thread_id: 'T-1' }],
    });
    expect(late).toMatchObject({ statusCode: 409, code: 'already_sent' });
  });

  it('a digest firing that died before its jobs were queued queues them, with its items, on its redelivery', async () => {
    // Prepare
    const userId = await person();
    const first = await comment(userId, 'kept');
    advance(600);
    const refusing = services({
      send: async () => {
        throw Object.assign(new Error('throttled'), { name: 'RequestThrottled' });
      },
    });

    // Act
    const failed = await refusing.dispatch.fire(first.digestId, 'window').catch((error: Error) => error);
    const redelivered = await services().dispatch.fire(first.digestId, 'window');

    // Assess
    expect(failed).toMatchObject({ code: 'enqueue_failed' });
    expect(redelivered).toEqual({ outcome: 'requeued' });
    expect((await emailJobsOf(first.digestId)).map((job) => job.payload)).toEqual([
      { count: 1, items: [{ text: 'kept', thread_id: 'T-1' }] },
    ]);
  });

  it('opens one digest when six members of a new window arrive at the same moment', async () => {
    // Prepare
    const userId = await person();

    // Act
    const members = await Promise.all(Array.from({ length: 6 }, (_, index) => comment(userId, `m${index}`, 'T-9')));

    // Assess
    const digests = new Set(members.map((member) => member.digestId));
    expect(digests.size).toBe(1);
    const [digestId] = digests;
    expect((await notifications.find(digestId ?? ''))?.member_count).toBe(6);
  });
});

describe('a long quiet-hours wait', () => {
  it('sets the job aside until the end of the window; the drain and the dispatch put it back on its queue then', async () => {
    // Prepare: a job deferred to eight hours from now
    const id = randomUUID();
    const notBefore = new Date(now.getTime() + 8 * 3600_000);
    const job = {
      notification_id: id,
      channel: 'sms' as const,
      user_id: 'user-1',
      type: TYPE,
      producer: 'order-service',
      critical: false,
      payload: { order_id: 'A-1' },
      accepted_at: now.toISOString(),
      not_before: notBefore.toISOString(),
    };
    await new DeferredJobs(platform.resources.tables.notifications, documentClient).setAside(job, notBefore, ['k1']);
    const dispatchQueue = new DispatchQueue(platform.resources.dispatchQueue.url, sqsClient);
    const drain = new DueDrain({ notifications, dispatchQueue });
    const messagesFor = async () =>
      (await messagesIn(platform.resources.dispatchQueue.url)).filter((message) => message.Body.includes(id));

    // Act: a drain an hour before finds nothing; one ten minutes before hands it on
    advance(7 * 3600);
    await drain.drain(now);
    const anHourBefore = await messagesFor();
    advance(50 * 60);
    await drain.drain(now);
    const handedOn = await messagesFor();
    advance(600);
    const released = await services().dispatch.release(id, 'sms');

    // Assess
    expect(anHourBefore).toEqual([]);
    expect(handedOn.map((message) => JSON.parse(message.Body))).toEqual([{ notification_id: id, channel: 'sms' }]);
    expect(released).toEqual({ outcome: 'released' });
    const queued = (await messagesIn(platform.resources.queues.sms.url)).filter((message) => message.Body.includes(id));
    expect(queued.map((message) => JSON.parse(message.Body))).toEqual([job]);
    expect(queued[0]?.MessageAttributes?.address_key?.StringValue).toBe('k1');
  });
});

describe('a frequency cap against the scheduler firing twice', () => {
  it('counts one message once: the firing that lost the dispatch gives its slot back', async () => {
    // Prepare: a type capped at two an hour, one scheduled, fired twice at once
    const CAPPED = 'order_capped';
    await documentClient.put({
      TableName: platform.resources.tables.templates,
      Item: {
        type: CAPPED,
        critical: false,
        owner: 'order-service',
        updated_at: now.toISOString(),
        updated_by: 'order-service',
        throttle: { limit: 2, window_seconds: 3600 },
        sms: { body: 'Order {{ order_id }}' },
      },
    });
    const userId = await person();
    const { intake, dispatch } = services();
    const send = (sendAt?: string) =>
      intake.accept({
        request: {
          user_id: userId,
          type: CAPPED,
          payload: { order_id: 'A-1' },
          ...(sendAt ? { send_at: sendAt } : {}),
        },
        producer,
      });
    const scheduledOne = await send(new Date(now.getTime() + 60_000).toISOString());
    advance(60);

    // Act
    const firings = await Promise.all([
      dispatch.fire(scheduledOne.notification_id, 'first'),
      dispatch.fire(scheduledOne.notification_id, 'second'),
    ]);
    const second = await send();
    const third = await send();

    // Assess
    expect(firings.map(({ outcome }) => outcome).sort()).toEqual(['dispatched', 'duplicate']);
    expect(second.channels.sms).toEqual({ status: 'queued' });
    expect(third.channels.sms).toEqual({ status: 'skipped', reason: 'throttled' });
  });
});
