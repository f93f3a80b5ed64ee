import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { sqsClient } from '../../../lambdas/shared/aws/sqs.js';
import { invoke, TEST_KEYS } from '../../support/api-gateway.js';
import { saveTemplate } from '../../support/platform-fixtures.js';
import { receiveRecords, settle, sqsEvent } from '../../support/sqs-events.js';
import { channelStatus, runWorker, startWorkerPlatform, type WorkerPlatform } from '../../support/worker-platform.js';

// Two races between readers and writers of the platform's state, each reproduced through the real handlers: a
// cached read older than a write, and a status write older than the worker's.
type Middleware = (
  next: (args: unknown) => Promise<unknown>,
  context: { commandName?: string },
) => (args: unknown) => Promise<unknown>;
interface Instrumentable {
  middlewareStack: { add(middleware: Middleware, options: object): void; remove(name: string): boolean };
}

let world: WorkerPlatform;
const installed: { client: Instrumentable; name: string }[] = [];

beforeAll(async () => {
  world = await startWorkerPlatform('consistency');
  await saveTemplate(world.plane, 'order_code', {
    email: { subject: 'Code', body: 'Your code is {{ code }}' },
    sms: { body: 'Your code is {{ code }}' },
  });
});
afterEach(() => {
  for (const { client, name } of installed.splice(0)) client.middlewareStack.remove(name);
});
afterAll(() => world.remove());

function intercept(client: unknown, name: string, step: string, middleware: Middleware): void {
  (client as Instrumentable).middlewareStack.add(middleware, { step, name });
  installed.push({ client: client as Instrumentable, name });
}

const send = (body: object, idempotencyKey?: string) =>
  invoke(world.ingest, {
    operation: 'sendNotification',
    body,
    apiKeyId: TEST_KEYS.orderService,
    headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
  });

const putContacts = (userId: string, contacts: object) =>
  invoke(world.plane.contacts, {
    operation: 'putContacts',
    pathParameters: { user_id: userId },
    body: contacts,
  });

describe('a contact added just now', () => {
  it('is used even while the cached read of the user still has none: the skip is confirmed on a consistent read', async () => {
    // Prepare: the number was set a moment ago; the hot-path read (DAX when deployed, up to a minute old, misses
    // included) still answers the user as it was before, without it.
    const userId = `user-${randomUUID()}`;
    await putContacts(userId, { email_address: 'grace@example.com' });
    const usersTable = world.platform.resources.tables.users;
    await putContacts(userId, { email_address: 'grace@example.com', phone_number: '+4915112345678' });
    let staleReads = 0;
    intercept(documentClient, 'staleUserCache', 'build', (next, context) => async (args) => {
      const input = (args as { input: { TableName?: string; ConsistentRead?: boolean } }).input;
      if (context.commandName === 'GetItemCommand' && input.TableName === usersTable && !input.ConsistentRead) {
        staleReads++;
        return {
          output: { $metadata: {}, Item: { user_id: { S: userId }, email_address: { S: 'grace@example.com' } } },
        };
      }
      return next(args);
    });

    // Act
    const accepted = await send({ user_id: userId, type: 'order_code', payload: { code: '1234' } });

    // Assess
    expect(staleReads).toBe(1);
    expect(accepted.statusCode).toBe(202);
    expect(accepted.json.channels).toEqual({ email: { status: 'queued' }, sms: { status: 'queued' } });
    // The SMS queue is the next test's: its job is taken off.
    const queued = await receiveRecords(world.platform.resources.queues.sms.url, 1);
    await settle(world.platform.resources.queues.sms.url, queued, { batchItemFailures: [] });
  });
});

describe('an ingest retry that finishes after a fast worker', () => {
  it('leaves the channel sent: the restored "queued" of a late retry never overwrites it', async () => {
    // Prepare: SQS refuses the SMS job once, so the producer retries with the same key; on the retry, the worker
    // delivers the job between SQS accepting it and the retry recording that it did.
    const userId = `user-${randomUUID()}`;
    await putContacts(userId, { phone_number: '+4915112345678' });
    const smsQueue = world.platform.resources.queues.sms.url;
    let refusals = 1;
    let delivered: string | undefined;
    intercept(sqsClient, 'raceWithTheWorker', 'initialize', (next, context) => async (args) => {
      const input = (args as { input: { QueueUrl?: string } }).input;
      if (context.commandName !== 'SendMessageCommand' || input.QueueUrl !== smsQueue) return next(args);
      if (refusals-- > 0)
        throw Object.assign(new Error('SQS is unavailable'), { name: 'ServiceUnavailable', $retryable: {} });
      const output = await next(args);
      const records = await receiveRecords(smsQueue, 1);
      const result = await runWorker(world, 'sms', sqsEvent(records));
      await settle(smsQueue, records, result);
      delivered = JSON.parse(records[0]?.body ?? '{}').notification_id;
      return output;
    });
    const key = randomUUID();
    const body = { user_id: userId, type: 'order_code', payload: { code: '5678' }, channels: ['sms'] };

    // Act
    const refused = await send(body, key);
    const retried = await send(body, key);

    // Assess
    expect(refused.statusCode).toBe(503);
    expect(retried.statusCode).toBe(202);
    expect(delivered).toBe(retried.json.notification_id);
    expect(await channelStatus(world, retried.json.notification_id, 'sms')).toMatchObject({ status: 'sent' });
    expect(world.twilio.messages.filter((message) => message.fields.Body === 'Your code is 5678')).toHaveLength(1);
  });
});
