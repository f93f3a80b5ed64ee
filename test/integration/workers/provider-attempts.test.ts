import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { createUser, saveTemplate } from '../../support/platform-fixtures.js';
import { receiveRecords, settle, sqsEvent } from '../../support/sqs-events.js';
import {
  channelStatus,
  notify,
  runWorker,
  startWorkerPlatform,
  type WorkerPlatform,
} from '../../support/worker-platform.js';

// SES and SNS answer 500 here, as they do now and then: exactly where a message may already have gone out. The
// worker's clients must then make one attempt, not the SDK's three, and leave the retry to the platform's backoff.
let world: WorkerPlatform;
let provider: Server;
/** The actions the stub received, in order ("SendEmail", "Publish"). */
const received: string[] = [];

beforeAll(async () => {
  provider = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const form = new URLSearchParams(body);
      received.push(form.get('Action') ?? request.headers['x-amz-target']?.toString() ?? '?');
      // An email whose subject says so is never answered: the connection hangs, as a provider's sometimes does.
      if (form.get('Message.Subject.Data') === 'Hang') return;
      response.writeHead(500, { 'Content-Type': 'text/xml' });
      response.end(
        '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>stub</Message></Error>' +
          '<RequestId>stub</RequestId></ErrorResponse>',
      );
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  world = await startWorkerPlatform('provider-attempts', { AWS_ENDPOINT_URL_SES: url, AWS_ENDPOINT_URL_SNS: url });
  await saveTemplate(world.plane, 'order_shipped', {
    email: { subject: 'Shipped', body: 'On its way' },
    push: { title: 'Shipped', body: 'On its way' },
  });
  await saveTemplate(world.plane, 'order_hang', { email: { subject: 'Hang', body: 'Never answered' } });
}, 60_000);
afterAll(async () => {
  await world.remove();
  provider.closeAllConnections();
  await new Promise((resolve) => provider.close(resolve));
});

describe('a provider that answers 500', () => {
  it('gets one SendEmail from the email worker; the job is retried by the platform, later', async () => {
    const userId = await createUser(world.plane, { phone: false, device: false });
    const id = await notify(world, { user_id: userId, type: 'order_shipped', payload: {}, channels: ['email'] });
    const records = await receiveRecords(world.platform.resources.queues.email.url, 1);
    received.length = 0;

    const result = await runWorker(world, 'email', sqsEvent(records));
    await settle(world.platform.resources.queues.email.url, records, result);

    expect(received).toEqual(['SendEmail']);
    expect(result.batchItemFailures).toHaveLength(1);
    expect(await channelStatus(world, id, 'email')).toMatchObject({ status: 'queued' });
  });

  it('times out a call that is never answered after 5 s, once: the job is retried by the platform, later', async () => {
    // Without throwOnRequestTimeout the SDK only warns when its request timeout passes, and waits on.
    const userId = await createUser(world.plane, { phone: false, device: false });
    const id = await notify(world, { user_id: userId, type: 'order_hang', payload: {} });
    const records = await receiveRecords(world.platform.resources.queues.email.url, 1);
    received.length = 0;

    const result = await runWorker(world, 'email', sqsEvent(records));
    await settle(world.platform.resources.queues.email.url, records, result);

    expect(received).toEqual(['SendEmail']);
    expect(result.batchItemFailures).toHaveLength(1);
    expect(await channelStatus(world, id, 'email')).toMatchObject({ status: 'queued' });
  });

  it('gets one Publish per device from the push worker; the job is retried by the platform, later', async () => {
    // The device is written as registration would leave it: registration itself talks to SNS, answering 500 here.
    const userId = await createUser(world.plane, { email: false, phone: false, device: false });
    const deviceId = 'd'.repeat(32);
    await documentClient.put({
      TableName: world.platform.resources.tables.devices,
      Item: {
        device_id: deviceId,
        user_id: userId,
        platform: 'fcm',
        endpoint_arn: 'arn:aws:sns:us-east-1:000000000000:endpoint/GCM/stub/1',
        created_at: new Date().toISOString(),
      },
    });
    await documentClient.update({
      TableName: world.platform.resources.tables.users,
      Key: { user_id: userId },
      UpdateExpression: 'ADD device_ids :device',
      ExpressionAttributeValues: { ':device': new Set([deviceId]) },
    });
    const id = await notify(world, { user_id: userId, type: 'order_shipped', payload: {}, channels: ['push'] });
    const records = await receiveRecords(world.platform.resources.queues.push.url, 1);
    received.length = 0;

    const result = await runWorker(world, 'push', sqsEvent(records));
    await settle(world.platform.resources.queues.push.url, records, result);

    expect(received).toEqual(['Publish']);
    expect(result.batchItemFailures).toHaveLength(1);
    expect(await channelStatus(world, id, 'push')).toMatchObject({ status: 'queued' });
  });
});
