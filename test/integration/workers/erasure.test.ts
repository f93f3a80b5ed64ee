/**
 * Erasing a person leaves nothing of them that was written before the request: through the real erasure handlers,
 * with texts really sent through the SMS worker to the Twilio-compatible server, which keeps them as Twilio does.
 */
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationsStore } from '../../../lambdas/shared/adapters/notifications-store.js';
import { SuppressionList } from '../../../lambdas/shared/adapters/suppression-list.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { suppressionPeppers } from '../../../lambdas/shared/platform/suppression-keys.js';
import { invoke, lambdaContext, TEST_KEYS } from '../../support/api-gateway.js';
import { sqs } from '../../support/emulator-clients.js';
import { eventually } from '../../support/eventually.js';
import { createUser, saveTemplate } from '../../support/platform-fixtures.js';
import { receiveRecords, sqsEvent } from '../../support/sqs-events.js';
import {
  channelStatus,
  notify,
  runWorker,
  startWorkerPlatform,
  type WorkerPlatform,
} from '../../support/worker-platform.js';

type Handler = Parameters<typeof invoke>[0];
type FollowUp = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;

let world: WorkerPlatform;
let erasure: Handler;
let followUp: FollowUp;
let notifications: NotificationsStore;
let suppressions: SuppressionList;

beforeAll(async () => {
  world = await startWorkerPlatform('erasure-loop');
  notifications = new NotificationsStore(world.platform.resources.tables.notifications, documentClient);
  suppressions = new SuppressionList(world.platform.resources.tables.suppressions, documentClient, suppressionPeppers);
  ({ handler: erasure } = await import('../../../lambdas/user-erasure/handler.js'));
  ({ handler: followUp } = (await import('../../../lambdas/user-erasure/follow-up-handler.js')) as unknown as {
    handler: FollowUp;
  });
  await saveTemplate(world.plane, 'order_shipped', { sms: { body: 'Order {{ order_id }} shipped' } });
});
afterAll(() => world.remove());

const erasureQueue = () => world.platform.resources.erasureQueue.url;
const erase = (userId: string) =>
  invoke(erasure, { operation: 'erasePerson', pathParameters: { user_id: userId }, apiKeyId: TEST_KEYS.admin });

/** A text sent to the person through the SMS worker: its notification and Twilio's sid for it. */
async function textSent(userId: string, order: string): Promise<{ id: string; sid: string }> {
  const id = await notify(world, { user_id: userId, type: 'order_shipped', payload: { order_id: order } });
  const records = await receiveRecords(world.platform.resources.queues.sms.url, 1);
  expect((await runWorker(world, 'sms', sqsEvent(records))).batchItemFailures).toEqual([]);
  const status = await channelStatus(world, id, 'sms');
  expect(status).toMatchObject({ status: 'sent' });
  return { id, sid: status.provider_message_id };
}

/** The next pass, as the erasure queue's event source hands it over (a message of its own, receivable now). */
async function nextPass(userId: string): Promise<SQSBatchResponse> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: erasureQueue(),
      MessageBody: JSON.stringify({ user_id: userId, requested_at: new Date().toISOString() }),
    }),
  );
  const records = await receiveRecords(erasureQueue(), 1);
  return followUp(sqsEvent(records), lambdaContext('erasure-follow-up'));
}

describe("erasing a person's texts at Twilio", () => {
  it('deletes each text Twilio has finished with; redacts at once one still on its way, and deletes it on a later pass', async () => {
    const userId = await createUser(world.plane, { email: false, device: false });
    const done = await textSent(userId, 'A-1');
    await eventually('the first text to be final at Twilio', async () =>
      world.twilio.messages.find((message) => message.sid === done.sid)?.resource.status === 'delivered'
        ? true
        : undefined,
    );
    world.twilio.keepMessagesInFlight(true);
    const inFlight = await textSent(userId, 'A-2');

    const erased = await erase(userId);

    expect(erased.statusCode).toBe(204);
    // The records are erased concurrently: the order of the two is whichever came first.
    const changes = world.twilio.copyChanges.filter((change) => [done.sid, inFlight.sid].includes(change.sid));
    expect(changes.map(({ sid, change }) => `${sid === done.sid ? 'done' : 'in flight'}: ${change}`).sort()).toEqual([
      'done: deleted',
      'in flight: redacted',
    ]);
    expect(world.twilio.messages.find((message) => message.sid === inFlight.sid)?.resource.body).toBe('');
    // Its record keeps the person's id until Twilio's copy is gone: the next pass must find it.
    expect((await notifications.find(done.id))?.user_id).toBeUndefined();
    expect((await notifications.find(inFlight.id))?.user_id).toBe(userId);
    // The next pass is queued, for when the index has settled.
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: erasureQueue(),
        AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
      }),
    );
    expect(Number(Attributes?.ApproximateNumberOfMessagesDelayed)).toBeGreaterThanOrEqual(1);

    // A pass while the text is still on its way leaves it for later; one after it is final deletes it.
    expect((await nextPass(userId)).batchItemFailures).toHaveLength(1);
    world.twilio.keepMessagesInFlight(false);
    await eventually('the second text to be final at Twilio', async () =>
      world.twilio.messages.find((message) => message.sid === inFlight.sid)?.resource.status === 'delivered'
        ? true
        : undefined,
    );
    expect((await nextPass(userId)).batchItemFailures).toEqual([]);

    expect(world.twilio.messages.filter((message) => [done.sid, inFlight.sid].includes(message.sid))).toEqual([]);
    expect((await notifications.find(inFlight.id))?.user_id).toBeUndefined();
  });
});

describe('what else erasure forgets, and what it keeps', () => {
  it('forgets the soft bounces counted for their address, and keeps a suppression without the address', async () => {
    const [counted, suppressed] = [
      await createUser(world.plane, { phone: false, device: false }),
      await createUser(world.plane, { phone: false, device: false }),
    ];
    const rule = { threshold: 3, windowSeconds: 3600 };
    const at = new Date().toISOString();
    await suppressions.countSoftBounce('email', `${counted}@example.com`, 'b1', at, rule);
    await suppressions.countSoftBounce('email', `${suppressed}@example.com`, 'b1', at, rule);
    await suppressions.suppress('email', `${suppressed}@example.com`, 'bounce', at);

    await erase(counted);
    await erase(suppressed);

    expect(await suppressions.find('email', `${counted}@example.com`)).toBeUndefined();
    const kept = await suppressions.find('email', `${suppressed}@example.com`);
    expect(kept).toMatchObject({ reason: 'bounce' });
    expect(kept?.soft_bounce_ids).toBeUndefined();
    // So an erased person who bounced is not mailed again, should their address come back.
    expect(await suppressions.isSuppressed('email', `${suppressed}@example.com`)).toBe(true);
  });

  it('takes the person off a record the first pass could not see yet (the index settles later)', async () => {
    const userId = await createUser(world.plane, { phone: false, device: false });
    await erase(userId);
    // A record written before the request that the index showed the first pass only later.
    const late = await notify(world, { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-3' } });
    expect((await notifications.find(late))?.user_id).toBe(userId);

    expect((await nextPass(userId)).batchItemFailures).toEqual([]);

    expect((await notifications.find(late))?.user_id).toBeUndefined();
  });
});
