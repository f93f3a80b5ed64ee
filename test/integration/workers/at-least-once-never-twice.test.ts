import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryClaims } from '../../../lambdas/shared/adapters/delivery-claims.js';
import { NOTIFICATION_KEY_PREFIX } from '../../../lambdas/shared/adapters/notifications-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { sqsClient } from '../../../lambdas/shared/aws/sqs.js';
import { sqs } from '../../support/emulator-clients.js';
import { createUser, saveTemplate } from '../../support/platform-fixtures.js';
import { messagesIn } from '../../support/queue-inspection.js';
import { receiveRecords, settle, sqsEvent } from '../../support/sqs-events.js';
import {
  channelStatus,
  notify,
  runWorker,
  startWorkerPlatform,
  type WorkerPlatform,
} from '../../support/worker-platform.js';

/** Long, as deployed: a lease runs out when a test says so (expireClaim), never because the machine was slow. */
const CLAIM_LEASE_SECONDS = 120;
let world: WorkerPlatform;
let smsQueue: string;
/** VisibilityTimeout of every ChangeMessageVisibility the workers send, in order. */
const visibilityChanges: number[] = [];

beforeAll(async () => {
  world = await startWorkerPlatform('never-twice', { CLAIM_LEASE_SECONDS: String(CLAIM_LEASE_SECONDS) });
  smsQueue = world.platform.resources.queues.sms.url;
  await saveTemplate(world.plane, 'code', { sms: { body: 'Your code is {{ code }}' } });
  // Observe, not replace: the workers' own SQS client still talks to the emulator.
  sqsClient.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ChangeMessageVisibilityCommand') {
        visibilityChanges.push((args.input as { VisibilityTimeout: number }).VisibilityTimeout);
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordVisibilityChanges' },
  );
});
afterAll(() => world.remove());
beforeEach(() => {
  world.twilio.reset();
  visibilityChanges.length = 0;
});

const sentWithCode = (code: string) =>
  world.twilio.messages.filter((message) => message.fields.Body === `Your code is ${code}`);

/** Ends a claim's lease at once, as if it had run out: its worker died or stalled past it. */
const expireClaim = (notificationId: string) =>
  documentClient.update({
    TableName: world.platform.resources.tables.notifications,
    Key: { pk: `${NOTIFICATION_KEY_PREFIX}${notificationId}`, sk: 'claim#sms' },
    UpdateExpression: 'SET lease_until = :past',
    ExpressionAttributeValues: { ':past': 1 },
  });

/** Makes a record visible again at once, as if its visibility timeout had run out. */
const expireVisibility = (receiptHandle: string) =>
  sqs.send(
    new ChangeMessageVisibilityCommand({ QueueUrl: smsQueue, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 }),
  );

describe('redelivery', () => {
  it('calls the provider once when the same job is delivered twice in a row', async () => {
    const userId = await createUser(world.plane, { email: false, device: false });
    const id = await notify(world, { user_id: userId, type: 'code', payload: { code: '111111' } });
    const records = await receiveRecords(smsQueue, 1);

    const first = await runWorker(world, 'sms', sqsEvent(records));
    const second = await runWorker(world, 'sms', sqsEvent(records));

    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    expect(sentWithCode('111111')).toHaveLength(1);
    expect(await channelStatus(world, id, 'sms')).toMatchObject({ status: 'sent' });
    await settle(smsQueue, records, second);
  });

  it('calls the provider once when the same job is delivered twice at the same time', async () => {
    const userId = await createUser(world.plane, { email: false, device: false });
    await notify(world, { user_id: userId, type: 'code', payload: { code: '222222' } });
    const records = await receiveRecords(smsQueue, 1);
    world.twilio.failNext(1, { kind: 'slow', delayMs: 300 });

    const answers = await Promise.all([
      runWorker(world, 'sms', sqsEvent(records)),
      runWorker(world, 'sms', sqsEvent(records)),
    ]);

    expect(sentWithCode('222222')).toHaveLength(1);
    // The loser saw the claim held and asked to look again after the lease.
    expect(answers.flatMap((answer) => answer.batchItemFailures)).toHaveLength(1);
    await settle(smsQueue, records, { batchItemFailures: [] });
  });

  it('retries a job whose worker died holding the claim once the claim expires, and sends it once', async () => {
    const userId = await createUser(world.plane, { email: false, device: false });
    const id = await notify(world, { user_id: userId, type: 'code', payload: { code: '333333' } });
    const records = await receiveRecords(smsQueue, 1);
    // A worker claimed the job and died before calling Twilio.
    const claims = new DeliveryClaims(
      world.platform.resources.tables.notifications,
      documentClient,
      CLAIM_LEASE_SECONDS,
    );
    await claims.claim(id, 'sms', Math.floor(Date.now() / 1000) + 3600);

    const whileHeld = await runWorker(world, 'sms', sqsEvent(records));
    await expireClaim(id);
    const afterExpiry = await runWorker(world, 'sms', sqsEvent(records));

    expect(whileHeld.batchItemFailures).toHaveLength(1);
    expect(afterExpiry.batchItemFailures).toEqual([]);
    expect(sentWithCode('333333')).toHaveLength(1);
    await settle(smsQueue, records, afterExpiry);
  });
});

describe('claims with an owner', () => {
  it('lets an attempt that outlived its lease neither release nor complete the claim of the attempt that took over', async () => {
    // Prepare: attempt A claimed and stalled past its lease; attempt B took the claim over and is sending
    const userId = await createUser(world.plane, { email: false, device: false });
    const id = await notify(world, { user_id: userId, type: 'code', payload: { code: '777777' } });
    const records = await receiveRecords(smsQueue, 1);
    const claims = new DeliveryClaims(
      world.platform.resources.tables.notifications,
      documentClient,
      CLAIM_LEASE_SECONDS,
    );
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const stalled = await claims.claim(id, 'sms', expiresAt);
    await expireClaim(id);
    const takenOver = await claims.claim(id, 'sms', expiresAt);
    if (stalled.outcome !== 'claimed' || takenOver.outcome !== 'claimed') throw new Error('both should have claimed');

    // Act: A wakes up, fails, and releases; or succeeds and completes
    const released = await claims.release(id, 'sms', stalled.token);
    const completed = await claims.complete(id, 'sms', stalled.token);
    const redelivered = await runWorker(world, 'sms', sqsEvent(records));

    // Assess: B still holds the claim, so the redelivered job waits instead of being sent beside B's send
    expect([released, completed]).toEqual([false, false]);
    expect(redelivered.batchItemFailures).toHaveLength(1);
    expect(sentWithCode('777777')).toHaveLength(0);
    expect(await claims.complete(id, 'sms', takenOver.token)).toBe(true);
  });
});

describe('a batch of ten', () => {
  it('sends eight once, moves the poison message to the DLQ at once with why, and records the permanent failure without retrying it', async () => {
    // Prepare: eight good jobs, one for a number Twilio refuses, one body that is not a job
    const good = await createUser(world.plane, { email: false, device: false });
    const ids: string[] = [];
    for (let index = 0; index < 8; index++) {
      ids.push(await notify(world, { user_id: good, type: 'code', payload: { code: `9000${index}0` } }));
    }
    // Twilio's magic test number that is never valid.
    const invalid = await createUser(world.plane, { email: false, device: false, phone: '+15005550001' });
    const invalidId = await notify(world, { user_id: invalid, type: 'code', payload: { code: '999999' } });
    await sqs.send(new SendMessageCommand({ QueueUrl: smsQueue, MessageBody: '{"not":"a job"' }));
    const records = await receiveRecords(smsQueue, 10);

    // Act
    const result = await runWorker(world, 'sms', sqsEvent(records));
    await settle(smsQueue, records, result);

    // Assess: nothing comes back; the poison message rests in the DLQ, saying why, after one receive
    expect(result.batchItemFailures).toEqual([]);
    const deadLetters = await messagesIn(world.platform.resources.queues.sms.deadLetterUrl);
    const poison = deadLetters.find((message) => message.Body === '{"not":"a job"');
    expect(poison?.MessageAttributes?.dead_letter_reason?.StringValue).toBe('poison: the body is not JSON');
    expect((await messagesIn(smsQueue)).filter((message) => message.Body === '{"not":"a job"')).toEqual([]);
    for (let index = 0; index < 8; index++) expect(sentWithCode(`9000${index}0`)).toHaveLength(1);
    expect(await channelStatus(world, invalidId, 'sms')).toMatchObject({
      status: 'failed',
      reason: 'twilio_21211_invalid_number',
    });
    expect(world.twilio.requests.filter((request) => request.fields.To === '+15005550001')).toHaveLength(1);
    for (const id of ids) expect(await channelStatus(world, id, 'sms')).toMatchObject({ status: 'sent' });
  });
});

describe('a struggling provider', () => {
  it('survives 429 then 500: sends once, with a longer visibility timeout after each failure', async () => {
    const userId = await createUser(world.plane, { email: false, device: false });
    const id = await notify(world, { user_id: userId, type: 'code', payload: { code: '444444' } });
    world.twilio.failNext(1, { kind: 'throttle', retryAfterSeconds: 1 });
    world.twilio.failNext(1, { kind: 'server_error' });

    const attempts = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const records = await receiveRecords(smsQueue, 1);
      expect(records[0]?.attributes.ApproximateReceiveCount).toBe(String(attempt));
      const result = await runWorker(world, 'sms', sqsEvent(records));
      await settle(smsQueue, records, result);
      attempts.push(result.batchItemFailures.length);
      // Instead of waiting out the backoff, let the emulator's clock "pass".
      if (result.batchItemFailures.length > 0) await expireVisibility(records[0]?.receiptHandle ?? '');
    }

    expect(attempts).toEqual([1, 1, 0]);
    expect(sentWithCode('444444')).toHaveLength(1);
    expect(visibilityChanges).toHaveLength(2);
    const [afterThrottle = 0, afterServerError = 0] = visibilityChanges;
    expect(afterThrottle).toBeGreaterThanOrEqual(10);
    expect(afterThrottle).toBeLessThanOrEqual(20);
    expect(afterServerError).toBeGreaterThan(afterThrottle);
    expect(afterServerError).toBeLessThanOrEqual(40);
    expect(await channelStatus(world, id, 'sms')).toMatchObject({ status: 'sent' });
  });
});

describe('the last attempt', () => {
  it('records why, then moves the job to the DLQ itself, with the reason, and is done with it', async () => {
    const userId = await createUser(world.plane, { email: false, device: false });
    const id = await notify(world, { user_id: userId, type: 'code', payload: { code: '555555' } });
    const [record] = await receiveRecords(smsQueue, 1);
    // The eighth receive, as SQS would count it after seven failed attempts.
    const lastAttempt = { ...(record as NonNullable<typeof record>) };
    lastAttempt.attributes = { ...lastAttempt.attributes, ApproximateReceiveCount: '8' };
    world.twilio.failNext(1, { kind: 'server_error' });

    const result = await runWorker(world, 'sms', sqsEvent([lastAttempt]));

    // Done with (deleted from the queue), with no backoff asked for; the status and the DLQ copy both say why.
    expect(result.batchItemFailures).toEqual([]);
    expect(visibilityChanges).toEqual([]);
    const status = await channelStatus(world, id, 'sms');
    expect(status).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/^dead_lettered_after_8_attempts:twilio/),
    });
    const resting = (await messagesIn(world.platform.resources.queues.sms.deadLetterUrl)).filter(
      (message) => message.Body === lastAttempt.body,
    );
    expect(resting).toHaveLength(1);
    expect(resting[0]?.MessageAttributes?.dead_letter_reason?.StringValue).toBe(status.reason);
    await settle(smsQueue, [lastAttempt], result);
  });
});
