import type { SendMessageBatchCommand, SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { ChannelQueues } from '../../lambdas/shared/adapters/channel-queues.js';
import { CoalescedChannelQueues } from '../../lambdas/shared/adapters/coalesced-channel-queues.js';
import { CoalescedDispatchQueue } from '../../lambdas/shared/adapters/coalesced-dispatch-queue.js';
import { CoalescedSuppressionList } from '../../lambdas/shared/adapters/coalesced-suppression-list.js';
import { CoalescedUserReads } from '../../lambdas/shared/adapters/coalesced-user-reads.js';
import type { UserItem } from '../../lambdas/shared/adapters/users-store.js';
import { lookupKeys } from '../../lambdas/shared/domain/address-key.js';
import type { ChannelJob } from '../../lambdas/shared/schemas/channel-job.js';
import { TEST_SUPPRESSION_KEYS } from '../support/categories.js';

const QUEUES = { email: 'https://sqs.test/email', sms: 'https://sqs.test/sms' };

const job = (n: number, channel: 'email' | 'sms' = 'email'): ChannelJob => ({
  notification_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  channel,
  user_id: `u-${n}`,
  type: 'order_shipped',
  producer: 'order-service',
  critical: false,
  payload: { n },
  accepted_at: '2026-01-01T00:00:00.000Z',
});

/** An SQS client that takes SendMessageBatch calls and answers what `answer` says of each. */
function fakeSqs(answer: (input: SendMessageBatchCommand['input']) => SendMessageBatchCommandOutput | Error) {
  const calls: SendMessageBatchCommand['input'][] = [];
  return {
    calls,
    send: async (command: SendMessageBatchCommand) => {
      calls.push(command.input);
      const outcome = answer(command.input);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
}

const allTaken = (input: SendMessageBatchCommand['input']) =>
  ({
    Successful: (input.Entries ?? []).map(({ Id }) => ({ Id, MessageId: `m-${Id}` })),
    Failed: [],
    $metadata: {},
  }) as never;

describe('CoalescedChannelQueues', () => {
  it('sends the jobs of one moment as one SendMessageBatch per queue, ten at most, each the message a single send sends', async () => {
    // Prepare
    const sqs = fakeSqs(allTaken);
    const queues = new ChannelQueues(QUEUES, {} as never);
    const coalesced = new CoalescedChannelQueues(queues, sqs as never);

    // Act
    await Promise.all([
      ...Array.from({ length: 23 }, (_, n) => coalesced.send(job(n), n % 2 === 0 ? 0 : 60, ['key-a'])),
      coalesced.send(job(99, 'sms')),
    ]);

    // Assess
    const email = sqs.calls.filter((call) => call.QueueUrl === QUEUES.email);
    expect(email.map((call) => call.Entries?.length)).toEqual([10, 10, 3]);
    expect(sqs.calls.filter((call) => call.QueueUrl === QUEUES.sms).map((call) => call.Entries?.length)).toEqual([1]);
    const { QueueUrl: _queue, ...single } = queues.message(job(1), 60, ['key-a']);
    expect(email[0]?.Entries?.[1]).toEqual({ Id: '1', ...single });
  });

  it('fails only the send whose entry SQS refused, as its SendMessage would have', async () => {
    const sqs = fakeSqs(
      (input) =>
        ({
          Successful: (input.Entries ?? []).filter(({ Id }) => Id !== '2').map(({ Id }) => ({ Id, MessageId: 'm' })),
          Failed: [{ Id: '2', Code: 'InternalError', SenderFault: false }],
          $metadata: {},
        }) as never,
    );
    const coalesced = new CoalescedChannelQueues(new ChannelQueues(QUEUES, {} as never), sqs as never);

    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, (_, n) => coalesced.send(job(n))));

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ name: 'InternalError' });
  });

  it('fails every send of a call that failed whole, and none of another call', async () => {
    let call = 0;
    const sqs = fakeSqs((input) =>
      call++ === 0 ? Object.assign(new Error('throttled'), { name: 'ThrottlingException' }) : allTaken(input),
    );
    const coalesced = new CoalescedChannelQueues(new ChannelQueues(QUEUES, {} as never), sqs as never);

    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, n) => coalesced.send(job(n))));

    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(10);
    expect(outcomes.slice(10).map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
  });

  it('fails a send for a channel with no queue here, before anything is sent', async () => {
    const sqs = fakeSqs(allTaken);
    const coalesced = new CoalescedChannelQueues(new ChannelQueues({ email: QUEUES.email }, {} as never), sqs as never);

    await expect(coalesced.send(job(1, 'sms'))).rejects.toThrow(/no queue/);
    expect(sqs.calls).toEqual([]);
  });
});

describe('CoalescedDispatchQueue', () => {
  it('hands scheduled sends over ten to a SendMessageBatch, and fails only the ones SQS did not take', async () => {
    const batches: { notificationId: string; delaySeconds: number }[][] = [];
    const coalesced = new CoalescedDispatchQueue({
      sendAll: async (due) => {
        batches.push([...due]);
        return new Set(due.map((_, index) => index).filter((index) => due[index]?.notificationId !== 'n-3'));
      },
    });

    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, n) => coalesced.send(`n-${n}`, n)));

    expect(batches.map((batch) => batch.length)).toEqual([10, 2]);
    expect(batches[0]?.[4]).toEqual({ notificationId: 'n-4', delaySeconds: 4 });
    expect(outcomes.map((outcome) => outcome.status).indexOf('rejected')).toBe(3);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(1);
  });
});

describe('CoalescedUserReads', () => {
  function fakeUsers() {
    const cached: string[][] = [];
    const fresh: string[][] = [];
    const item = (id: string): UserItem => ({ user_id: id });
    const read = (log: string[][]) => async (ids: readonly string[]) => {
      log.push([...ids]);
      return new Map(ids.filter((id) => !id.startsWith('gone')).map((id) => [id, item(id)]));
    };
    return { cached, fresh, findMany: read(cached), findManyFresh: read(fresh) };
  }

  it('reads ahead a whole batch in calls of a hundred, then finds each from what it read', async () => {
    const users = fakeUsers();
    const reads = new CoalescedUserReads(users);
    const ids = Array.from({ length: 150 }, (_, n) => `u-${n}`);

    await reads.readAhead([...ids, 'u-1']);
    const found = await Promise.all([reads.find('u-7'), reads.find('u-149'), reads.find('gone-1')]);

    expect(users.cached.map((call) => call.length)).toEqual([100, 50, 1]);
    expect(found).toEqual([{ user_id: 'u-7' }, { user_id: 'u-149' }, undefined]);
  });

  it('reads fresh every time, gathering the reads of one moment and naming each person once', async () => {
    const users = fakeUsers();
    const reads = new CoalescedUserReads(users);

    const first = await Promise.all([reads.findFresh('u-1'), reads.findFresh('u-2'), reads.findFresh('u-1')]);
    await reads.findFresh('u-1');

    expect(first).toEqual([{ user_id: 'u-1' }, { user_id: 'u-2' }, { user_id: 'u-1' }]);
    expect(users.fresh).toEqual([['u-1', 'u-2'], ['u-1']]);
    expect(users.cached).toEqual([]);
  });

  it('leaves a failed read ahead to each find, which reads again', async () => {
    let failing = true;
    const reads = new CoalescedUserReads({
      findMany: async (ids) => {
        if (failing) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
        return new Map(ids.map((id) => [id, { user_id: id }]));
      },
      findManyFresh: async () => new Map(),
    });

    await reads.readAhead(['u-1']);
    failing = false;

    expect(await reads.find('u-1')).toEqual({ user_id: 'u-1' });
  });
});

describe('CoalescedSuppressionList', () => {
  it('screens the addresses of one moment in one consistent BatchGetItem, each key once, each screen its own answer', async () => {
    // Prepare
    const suppressed = lookupKeys(TEST_SUPPRESSION_KEYS, 'email', 'bounced@example.com')[0] ?? '';
    const calls: { Keys: { address_key: string }[]; ConsistentRead?: boolean }[] = [];
    const client = {
      batchGet: async ({ RequestItems }: { RequestItems: Record<string, (typeof calls)[number]> }) => {
        const request = RequestItems.suppressions as (typeof calls)[number];
        calls.push(request);
        const found = request.Keys.filter(({ address_key }) => address_key === suppressed).map(({ address_key }) => ({
          address_key,
          channel: 'email',
          since: '2026-01-01T00:00:00Z',
        }));
        return { Responses: { suppressions: found } };
      },
    };
    const list = new CoalescedSuppressionList('suppressions', client as never, async () => TEST_SUPPRESSION_KEYS);

    // Act
    const screens = await Promise.all([
      list.screen({ email: 'bounced@example.com', sms: '+4915112345678' }),
      list.screen({ email: 'ada@example.com', sms: '+4915112345678' }),
      list.screen({ email: 'bounced@example.com' }),
    ]);

    // Assess
    expect(calls).toHaveLength(1);
    expect(calls[0]?.ConsistentRead).toBe(true);
    expect(new Set(calls[0]?.Keys.map(({ address_key }) => address_key)).size).toBe(calls[0]?.Keys.length);
    expect(screens.map(({ suppressed: channels }) => [...channels])).toEqual([['email'], [], ['email']]);
    expect(screens[0]?.keys.email).toEqual(lookupKeys(TEST_SUPPRESSION_KEYS, 'email', 'bounced@example.com'));
  });
});
