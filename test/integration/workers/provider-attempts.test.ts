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
/** The actions the stub received, in order ("SendRawEmail", "Publish"). */
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
});
afterAll(async () => {
  await world.remove();
  provider.closeAllConnections();
  await new Promise((resolve) => provider.close(resolve));
});

/**
 * Sends one notification of `type` to the user on `channel`, runs the channel's worker on its job once, and answers
 * what the provider stub received, the batch's failures and the channel's status afterwards.
 */
async function deliverOnce(userId: string, type: string, channel: 'email' | 'push') {
  const id = await notify(world, { user_id: userId, type, payload: {}, channels: [channel] });
  const queueUrl = world.platform.resources.queues[channel].url;
  const records = await receiveRecords(queueUrl, 1);
  received.length = 0;
  const result = await runWorker(world, channel, sqsEvent(records));
  await settle(queueUrl, records, result);
  return {
    received: [...received],
    failures: result.batchItemFailures,
    status: await channelStatus(world, id, channel),
  };
}

describe('a provider that answers 500', () => {
  it('gets one SendRawEmail from the email worker; the job is retried by the platform, later', async () => {
    const userId = await createUser(world.plane, { phone: false, device: false });

    const attempt = await deliverOnce(userId, 'order_shipped', 'email');

    expect(attempt.received).toEqual(['SendRawEmail']);
    expect(attempt.failures).toHaveLength(1);
    expect(attempt.status).toMatchObject({ status: 'queued' });
  });

  it('times out a call that is never answered after 5 s, once: the job is retried by the platform, later', async () => {
    // Without throwOnRequestTimeout the SDK only warns when its request timeout passes, and waits on.
    const userId = await createUser(world.plane, { phone: false, device: false });

    const attempt = await deliverOnce(userId, 'order_hang', 'email');

    expect(attempt.received).toEqual(['SendRawEmail']);
    expect(attempt.failures).toHaveLength(1);
    expect(attempt.status).toMatchObject({ status: 'queued' });
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

    const attempt = await deliverOnce(userId, 'order_shipped', 'push');

    expect(attempt.received).toEqual(['Publish']);
    expect(attempt.failures).toHaveLength(1);
    expect(attempt.status).toMatchObject({ status: 'queued' });
  });
});
