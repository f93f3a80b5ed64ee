import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ADDRESS_KEY_ATTRIBUTE } from '../../lambdas/shared/adapters/channel-queues.js';
import type { TemplateItem } from '../../lambdas/shared/adapters/templates-store.js';
import type { UserItem } from '../../lambdas/shared/adapters/users-store.js';
import type { ChannelDeliverer, DeliveryResult } from '../../lambdas/shared/delivery/channel-deliverer.js';
import {
  ChannelWorker,
  DeliveryDeferred,
  type WorkerDependencies,
} from '../../lambdas/shared/delivery/channel-worker.js';
import { lookupKeys } from '../../lambdas/shared/domain/address-key.js';
import type { ChannelState } from '../../lambdas/shared/domain/notification.js';
import { SHIPPED_CATEGORIES } from '../support/categories.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const job = {
  notification_id: '6f1c2f4e-8a43-4c1e-9a43-2b6a1f0e9d11',
  channel: 'sms',
  user_id: 'user-1',
  type: 'order_shipped',
  producer: 'order-service',
  critical: false,
  payload: { order_id: 'A-1' },
  accepted_at: NOW.toISOString(),
};
const user: UserItem = { user_id: 'user-1', phone_number: '+4915112345678' };
const PEPPERS = { current: 'test-pepper-0000000000000000000000000000', previous: [], rekeyed: true };
const USER_ADDRESS_KEY = lookupKeys(PEPPERS, 'sms', '+4915112345678')[0] ?? '';
const template = {
  type: 'order_shipped',
  critical: false,
  sms: { body: 'Order {{ order_id }}' },
  updated_at: '',
  updated_by: 'order-service',
  owner: 'order-service',
} satisfies TemplateItem;

function record(body: unknown, receiveCount = 1, sentToAddressKey?: string): SQSRecord {
  return {
    messageId: 'm-1',
    receiptHandle: 'r-1',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
    messageAttributes: sentToAddressKey
      ? { [ADDRESS_KEY_ATTRIBUTE]: { stringValue: sentToAddressKey, dataType: 'String' } }
      : {},
  } as unknown as SQSRecord;
}

/** A worker over fakes that write down what it did, in order. */
function worker(
  options: { result?: DeliveryResult; completes?: boolean; suppressed?: boolean; broadcastCancelled?: boolean } = {},
) {
  const calls: string[] = [];
  const states: ChannelState[] = [];
  const deliverer: ChannelDeliverer = {
    channel: 'sms',
    deliver: async () => {
      calls.push('deliver');
      return options.result ?? { kind: 'sent', providerMessageId: 'SM1' };
    },
  };
  const deps: WorkerDependencies = {
    deliverer,
    deferredJobs: {
      setAside: async () => {
        calls.push('setAside');
      },
    },
    categories: SHIPPED_CATEGORIES,
    broadcasts: {
      cancelled: async () => options.broadcastCancelled ?? false,
      countOutcome: async (_broadcast, outcome) => {
        calls.push(`count:${typeof outcome === 'string' ? outcome : `skipped:${outcome.skipped}`}`);
      },
    },
    users: {
      // Written down when the read answers, so the order shows what waited for it.
      findFresh: async () => {
        await Promise.resolve();
        calls.push('user');
        return user;
      },
    },
    templates: { find: async () => template },
    notifications: {
      recordChannelState: async (_id, _channel, state) => {
        states.push(state);
      },
    },
    claims: {
      claim: async () => {
        calls.push('claim');
        return { outcome: 'claimed', token: 'token-1' };
      },
      complete: async (_id, _channel, token) => {
        calls.push(`complete:${token}`);
        return options.completes ?? true;
      },
      release: async (_id, _channel, token) => {
        calls.push(`release:${token}`);
        return true;
      },
    },
    queues: {
      send: async (_job, delaySeconds) => {
        calls.push(`sendBack:${delaySeconds}`);
      },
    },
    suppressions: {
      lookupKeysOf: async (channel, address) => lookupKeys(PEPPERS, channel, address),
      anySuppressed: async (keys) => {
        calls.push(keys.join(',') === USER_ADDRESS_KEY ? 'suppressed?' : 'suppressed?another-address');
        return options.suppressed ?? false;
      },
    },
    retryLater: async (_record, seconds) => {
      calls.push(`retryLater:${seconds}`);
    },
    deadLetter: async (_record, reason) => {
      calls.push(`deadLetter:${reason}`);
    },
    deliveryAttempts: 8,
    retryBaseSeconds: 10,
    clock: () => NOW,
    random: () => 0,
  };
  return { worker: new ChannelWorker(deps), calls, states };
}

describe('ChannelWorker', () => {
  it('claims, delivers, and completes its own claim with its own token', async () => {
    const { worker: sms, calls, states } = worker();

    await sms.handle(record(job));

    expect(calls).toEqual(['claim', 'user', 'suppressed?', 'deliver', 'complete:token-1']);
    expect(states).toEqual([{ status: 'sent', provider_message_id: 'SM1', updated_at: NOW.toISOString() }]);
  });

  it("reads the suppression list beside the claim when ingest sent the job's address key, and once", async () => {
    const { worker: sms, calls } = worker();

    await sms.handle(record(job, 1, USER_ADDRESS_KEY));

    expect(calls).toEqual(['claim', 'suppressed?', 'user', 'deliver', 'complete:token-1']);
  });

  it('skips, on the read made beside the claim, an address suppressed since ingest', async () => {
    const { worker: sms, calls, states } = worker({ suppressed: true });

    await sms.handle(record(job, 1, USER_ADDRESS_KEY));

    expect(calls).toEqual(['claim', 'suppressed?', 'user', 'complete:token-1']);
    expect(states).toEqual([{ status: 'skipped', reason: 'suppressed', updated_at: NOW.toISOString() }]);
  });

  it('reads the suppression list again for an address the person changed since ingest', async () => {
    const { worker: sms, calls } = worker();

    await sms.handle(record(job, 1, lookupKeys(PEPPERS, 'sms', '+4915100000000')[0]));

    expect(calls).toEqual([
      'claim',
      'suppressed?another-address',
      'user',
      'suppressed?',
      'deliver',
      'complete:token-1',
    ]);
  });

  it('skips an address suppressed since the job was queued, completing its claim without calling the provider', async () => {
    const { worker: sms, calls, states } = worker({ suppressed: true });

    await sms.handle(record(job));

    expect(calls).toEqual(['claim', 'user', 'suppressed?', 'complete:token-1']);
    expect(states).toEqual([{ status: 'skipped', reason: 'suppressed', updated_at: NOW.toISOString() }]);
  });

  it.each([
    ['a body that is not JSON', '{"notification_id":', 'poison: the body is not JSON'],
    ['a body that is not a job', { hello: 'world' }, 'poison: not a channel job: notification_id'],
    ['another channel’s job', { ...job, channel: 'email' }, 'poison: a email job on the sms queue'],
  ])('moves %s to the DLQ at once, with why, and is done with it', async (_case, body, reason) => {
    const { worker: sms, calls } = worker();

    await sms.handle(record(body));

    expect(calls).toHaveLength(1);
    expect(calls[0]?.startsWith(`deadLetter:${reason}`)).toBe(true);
  });

  it('is done with a job whose claim another attempt took over meanwhile, without completing that claim', async () => {
    const { worker: sms, calls, states } = worker({ completes: false });

    await sms.handle(record(job));

    expect(calls).toEqual(['claim', 'user', 'suppressed?', 'deliver', 'complete:token-1']);
    expect(states.map((state) => state.status)).toEqual(['sent']);
  });

  it('releases only its own claim when the provider fails for now, and hides the job for the backoff', async () => {
    const { worker: sms, calls } = worker({ result: { kind: 'transient', reason: 'twilio_throttled' } });

    await expect(sms.handle(record(job))).rejects.toBeInstanceOf(DeliveryDeferred);

    expect(calls).toEqual(['claim', 'user', 'suppressed?', 'deliver', 'release:token-1', 'retryLater:10']);
  });

  it('gives up on the last attempt: the status says why, then the job moves to the DLQ with the reason', async () => {
    const { worker: sms, calls, states } = worker({ result: { kind: 'transient', reason: 'twilio_throttled' } });

    await sms.handle(record(job, 8));

    expect(states.map((state) => state.reason)).toEqual(['dead_lettered_after_8_attempts:twilio_throttled']);
    expect(calls.at(-1)).toBe('deadLetter:dead_lettered_after_8_attempts:twilio_throttled');
  });

  it("counts a broadcast's job in its progress once it completes its claim, and not a plain job", async () => {
    const broadcastJob = { ...job, broadcast_id: '0d4c7a52-5b1e-4f7a-9c39-52b0b7f2a0aa' };
    const { worker: sms, calls } = worker();

    await sms.handle(record(broadcastJob));
    await sms.handle(record(job));

    expect(calls.filter((call) => call.startsWith('count:'))).toEqual(['count:sent']);
  });

  it('does not count a job whose claim another attempt took over: that attempt counts it', async () => {
    const { worker: sms, calls } = worker({ completes: false });

    await sms.handle(record({ ...job, broadcast_id: '0d4c7a52-5b1e-4f7a-9c39-52b0b7f2a0aa' }));

    expect(calls.filter((call) => call.startsWith('count:'))).toEqual([]);
  });

  it('stops the job of a cancelled broadcast before the provider, completing its claim as cancelled', async () => {
    const { worker: sms, calls, states } = worker({ broadcastCancelled: true });

    await sms.handle(record({ ...job, broadcast_id: '0d4c7a52-5b1e-4f7a-9c39-52b0b7f2a0aa' }));

    expect(calls).not.toContain('deliver');
    expect(calls).toContain('complete:token-1');
    expect(calls.at(-1)).toBe('count:cancelled');
    expect(states.map((state) => state.status)).toEqual(['cancelled']);
  });

  it('sends back a job due within the lookahead with its delay, and sets one due later aside for the scheduler', async () => {
    const soon = worker();
    const later = worker();

    await soon.worker.handle(record({ ...job, not_before: new Date(NOW.getTime() + 600_000).toISOString() }));
    await later.worker.handle(record({ ...job, not_before: new Date(NOW.getTime() + 8 * 3600_000).toISOString() }));

    // Neither is claimed: a job not yet due is not the worker's to send.
    expect(soon.calls).toEqual(['sendBack:600']);
    expect(later.calls).toEqual(['setAside']);
  });
});
