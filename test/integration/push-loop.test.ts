/**
 * Push feedback through `npm start`: a device registered over HTTP, its endpoint disabled in SNS as APNs or FCM would
 * have SNS do, and SNS's DeliveryFailure event published to the local platform's push feedback topic (LocalStack
 * publishes none itself). The local runtime's feedback poller hands it to the feedback function, and the device is
 * gone from the person's devices before any notification is sent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CreateTopicCommand, PublishCommand, SetEndpointAttributesCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../lambdas/shared/aws/dynamodb.js';
import { LOCAL_RESOURCE_NAMES } from '../../lambdas/shared/platform/resources.js';
import { sns } from '../support/emulator-clients.js';
import { eventually } from '../support/eventually.js';
import { type RunningLocalPlatform, startLocalPlatformProcess } from '../support/local-runtime-process.js';
import { deliveryFailure } from '../support/push-events.js';

const PREFIX = `it-push-loop-${randomUUID().slice(0, 8)}`;
let platform: RunningLocalPlatform;

beforeAll(async () => {
  platform = await startLocalPlatformProcess([], { LOCAL_RESOURCE_PREFIX: PREFIX });
});
afterAll(async () => {
  expect(await platform.stop()).toBe(0);
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${platform.url}/v1${path}`, {
    method,
    headers: { 'x-api-key': 'local-dev-key', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json().catch(() => undefined)) as Record<string, unknown> };
}

const devicesOf = async (userId: string) =>
  ((await call('GET', `/users/${userId}/devices`)).json.devices as { device_id: string }[]).map(
    (device) => device.device_id,
  );

describe('push feedback through npm start', () => {
  it('forgets a device at once when SNS reports that its endpoint was disabled', async () => {
    const userId = `push-loop-${randomUUID().slice(0, 8)}`;
    const register = () =>
      call('POST', `/users/${userId}/devices`, { platform: 'fcm', token: `fcm-${randomBytes(24).toString('hex')}` });
    const gone = (await register()).json.device_id as string;
    const kept = (await register()).json.device_id as string;
    const { Item } = await documentClient.get({
      TableName: LOCAL_RESOURCE_NAMES.table(PREFIX, 'devices'),
      Key: { device_id: gone },
    });
    const endpointArn = Item?.endpoint_arn as string;
    await sns.send(new SetEndpointAttributesCommand({ EndpointArn: endpointArn, Attributes: { Enabled: 'false' } }));
    // CreateTopic answers the existing topic's ARN.
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({ Name: LOCAL_RESOURCE_NAMES.feedback(PREFIX, 'push') }),
    );

    await sns.send(
      new PublishCommand({ TopicArn, Message: JSON.stringify(deliveryFailure(endpointArn, 'EndpointDisabled')) }),
    );

    await eventually('the device to be forgotten', async () =>
      (await devicesOf(userId)).includes(gone) ? undefined : true,
    );
    expect(await devicesOf(userId)).toEqual([kept]);
  });
});
