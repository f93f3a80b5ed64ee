import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, type Channel } from '../../../lambdas/channels/registry.js';
import { ChannelQueues } from '../../../lambdas/shared/adapters/channel-queues.js';
import { sqsClient } from '../../../lambdas/shared/aws/sqs.js';
import type { ChannelJob } from '../../../lambdas/shared/schemas/channel-job.js';
import { messagesIn, type QueuedMessage } from '../../support/queue-inspection.js';
import { receiveRecords, settle } from '../../support/sqs-events.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let queues: ChannelQueues;
let urls: Record<Channel, string>;

beforeAll(async () => {
  platform = await provisionTestPlatform('channel-queues');
  urls = Object.fromEntries(CHANNELS.map((channel) => [channel, platform.resources.queues[channel].url])) as Record<
    Channel,
    string
  >;
  queues = new ChannelQueues(urls, sqsClient);
});
afterAll(() => platform.remove());

function job(channel: Channel, overrides: Partial<ChannelJob> = {}): ChannelJob {
  return {
    notification_id: randomUUID(),
    channel,
    user_id: `user-${randomUUID()}`,
    type: 'order_shipped',
    producer: 'order-service',
    critical: false,
    payload: { order_id: 'A-1', note: 'Grüße ✓' },
    accepted_at: '2030-01-01T12:00:00.000Z',
    ...overrides,
  };
}

/** The messages (delayed and in flight too) of a notification on a channel's queue, read without receiving them. */
async function queuedFor(channel: Channel, notificationId: string): Promise<QueuedMessage[]> {
  return (await messagesIn(urls[channel])).filter(
    (message) => message.MessageAttributes?.notification_id?.StringValue === notificationId,
  );
}

describe('send', () => {
  it("puts the job on its own channel's queue, whole, with only ids as attributes", async () => {
    // Prepare
    const sms = job('sms');

    // Act
    await queues.send(sms);

    // Assess
    const onSms = await queuedFor('sms', sms.notification_id);
    expect(onSms).toHaveLength(1);
    expect(JSON.parse(onSms[0]?.Body ?? '{}')).toEqual(sms);
    expect(onSms[0]?.MessageAttributes).toEqual({
      notification_id: { DataType: 'String', StringValue: sms.notification_id },
      type: { DataType: 'String', StringValue: 'order_shipped' },
      producer: { DataType: 'String', StringValue: 'order-service' },
    });
    expect(onSms[0]?.Attributes?.IsDelayed).toBe('false');
    expect(await queuedFor('email', sms.notification_id)).toEqual([]);
    expect(await queuedFor('push', sms.notification_id)).toEqual([]);
  });

  it("sends each channel's job to that channel's queue and nowhere else", async () => {
    const notificationId = randomUUID();

    await Promise.all(CHANNELS.map((channel) => queues.send(job(channel, { notification_id: notificationId }))));

    for (const channel of CHANNELS) {
      const messages = await queuedFor(channel, notificationId);
      expect(messages.map((message) => JSON.parse(message.Body).channel)).toEqual([channel]);
    }
  });

  it('holds a deferred job back by delaySeconds, and queues a job with no delay (or a negative one) at once', async () => {
    // Prepare
    const deferred = job('push', { not_before: '2030-01-01T12:10:00.000Z' });
    const now = job('push');
    const late = job('push');

    // Act
    await queues.send(deferred, 600);
    await queues.send(now, 0);
    await queues.send(late, -5);

    // Assess
    expect((await queuedFor('push', deferred.notification_id)).map((m) => m.Attributes?.IsDelayed)).toEqual(['true']);
    expect((await queuedFor('push', now.notification_id)).map((m) => m.Attributes?.IsDelayed)).toEqual(['false']);
    expect((await queuedFor('push', late.notification_id)).map((m) => m.Attributes?.IsDelayed)).toEqual(['false']);
  });

  it('hands a worker the job it was given when the queue delivers it', async () => {
    const email = job('email');
    await queues.send(email);

    // Every job on the queue (none is delayed there), so that the receive does not wait for more than there are.
    const records = await receiveRecords(urls.email, (await messagesIn(urls.email)).length);
    const mine = records.filter(
      (record) => record.messageAttributes.notification_id?.stringValue === email.notification_id,
    );
    await settle(urls.email, records, { batchItemFailures: [] });

    expect(mine.map((record) => JSON.parse(record.body))).toEqual([email]);
  });

  it("fails, and queues nothing, when the channel's queue does not exist", async () => {
    // Prepare: the SMS queue's URL with a name nobody created
    const missing = new ChannelQueues({ ...urls, sms: `${urls.sms}-missing-${randomUUID().slice(0, 8)}` }, sqsClient);
    const sms = job('sms');

    // Act
    const attempt = missing.send(sms);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: expect.stringMatching(/QueueDoesNotExist|NonExistentQueue/) });
    expect(await queuedFor('sms', sms.notification_id)).toEqual([]);
  });
});
