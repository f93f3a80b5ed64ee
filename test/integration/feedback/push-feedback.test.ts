/**
 * The push feedback function against the emulators: the platform applications' endpoint events, published to the
 * push feedback topic the local platform provisions, delivered raw to its queue, read by the real handler. LocalStack
 * (4.13) keeps the applications' event attributes but publishes no event, so the tests publish SNS's JSON; from the
 * topic on, the path is the deployed one, and the endpoints, devices and users are real.
 */
import { randomBytes } from 'node:crypto';
import {
  DeleteEndpointCommand,
  GetEndpointAttributesCommand,
  GetPlatformApplicationAttributesCommand,
  PublishCommand,
  SetEndpointAttributesCommand,
} from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../../../lambdas/channels/push/device-registry.js';
import { PushEndpoints } from '../../../lambdas/channels/push/endpoints.js';
import { PUSH_EVENT_ATTRIBUTES } from '../../../lambdas/channels/push/feedback.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { lambdaContext } from '../../support/api-gateway.js';
import { sns, sqs } from '../../support/emulator-clients.js';
import { deliveryFailure, endpointEvent } from '../../support/push-events.js';
import { messagesIn } from '../../support/queue-inspection.js';
import { receiveRecords, settle, sqsEvent } from '../../support/sqs-events.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

type Handler = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;

let platform: TestPlatform;
let handler: Handler;
let registry: DeviceRegistry;

beforeAll(async () => {
  platform = await provisionTestPlatform('push-feedback');
  registry = new DeviceRegistry(
    { devices: platform.resources.tables.devices, users: platform.resources.tables.users },
    documentClient,
    new PushEndpoints(sns),
  );
  ({ handler } = (await import('../../../lambdas/channels/push/feedback-handler.js')) as { handler: Handler });
});
afterAll(() => platform.remove());

let people = 0;

/** A person with `count` FCM devices, registered as the devices API registers them. */
async function personWithDevices(count: number): Promise<{ userId: string; endpoints: string[] }> {
  const userId = `push-feedback-${++people}-${randomBytes(4).toString('hex')}`;
  for (let index = 0; index < count; index++) {
    await registry.register(
      userId,
      {
        platform: 'fcm',
        token: `fcm-${randomBytes(24).toString('hex')}`,
        platformApplicationArn: platform.resources.platformApplications.fcm,
      },
      10,
    );
  }
  const devices = await registry.listFor(userId);
  return { userId, endpoints: devices.map((device) => device.endpoint_arn) };
}

/** Publishes the event to the feedback topic as SNS would, then hands what reaches the queue to the handler. */
async function publishAndHandle(...events: object[]): Promise<SQSBatchResponse> {
  const { topicArn } = platform.resources.pushFeedback;
  for (const event of events)
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(event) }));
  return handleQueue(events.length);
}

async function handleQueue(count: number): Promise<SQSBatchResponse> {
  const { queueUrl } = platform.resources.pushFeedback;
  const records = await receiveRecords(queueUrl, count);
  const response = await handler(sqsEvent(records), lambdaContext('push-feedback'));
  await settle(queueUrl, records, response);
  return response;
}

async function deviceIdsOf(userId: string): Promise<string[]> {
  const { Item } = await documentClient.get({
    TableName: platform.resources.tables.users,
    Key: { user_id: userId },
    ConsistentRead: true,
  });
  return [...((Item?.device_ids as Set<string> | undefined) ?? [])].sort();
}

async function endpointExists(endpointArn: string): Promise<boolean> {
  try {
    await sns.send(new GetEndpointAttributesCommand({ EndpointArn: endpointArn }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'NotFoundException') return false;
    throw error;
  }
}

const disable = (endpointArn: string) =>
  sns.send(new SetEndpointAttributesCommand({ EndpointArn: endpointArn, Attributes: { Enabled: 'false' } }));

describe('the push feedback path', () => {
  it("sends both applications' endpoint events to the feedback topic", async () => {
    for (const application of Object.values(platform.resources.platformApplications)) {
      const { Attributes = {} } = await sns.send(
        new GetPlatformApplicationAttributesCommand({ PlatformApplicationArn: application }),
      );
      for (const attribute of PUSH_EVENT_ATTRIBUTES)
        expect(Attributes[attribute]).toBe(platform.resources.pushFeedback.topicArn);
    }
  });
});

describe('the push feedback function', () => {
  it('forgets a device at once when a delivery failed because SNS disabled its endpoint; a duplicate changes nothing', async () => {
    const { userId, endpoints } = await personWithDevices(2);
    const [gone = '', kept = ''] = endpoints;
    await disable(gone);
    const event = deliveryFailure(gone, 'EndpointDisabled');

    const response = await publishAndHandle(event);

    expect(response.batchItemFailures).toEqual([]);
    const remaining = await registry.listFor(userId);
    expect(remaining.map((device) => device.endpoint_arn)).toEqual([kept]);
    expect(await deviceIdsOf(userId)).toEqual(remaining.map((device) => device.device_id));
    expect(await registry.heldAt(gone)).toEqual([]);
    expect(await endpointExists(gone)).toBe(false);

    // SNS delivers at least once: the same event again finds no device and changes nothing.
    expect((await publishAndHandle(event)).batchItemFailures).toEqual([]);
    expect(await registry.listFor(userId)).toEqual(remaining);
    expect(await endpointExists(kept)).toBe(true);
  });

  it('forgets the device of an endpoint someone deleted', async () => {
    const { userId, endpoints } = await personWithDevices(1);
    const [deleted = ''] = endpoints;
    await sns.send(new DeleteEndpointCommand({ EndpointArn: deleted }));

    const response = await publishAndHandle(endpointEvent(deleted, 'EndpointDeleted'));

    expect(response.batchItemFailures).toEqual([]);
    expect(await registry.listFor(userId)).toEqual([]);
    expect(await deviceIdsOf(userId)).toEqual([]);
  });

  it('forgets the device of an endpoint updated to disabled, and keeps one updated but still enabled', async () => {
    const { userId, endpoints } = await personWithDevices(2);
    const [disabled = '', enabled = ''] = endpoints;
    await disable(disabled);

    const response = await publishAndHandle(
      endpointEvent(disabled, 'EndpointUpdated'),
      endpointEvent(enabled, 'EndpointUpdated'),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect((await registry.listFor(userId)).map((device) => device.endpoint_arn)).toEqual([enabled]);
  });

  it('keeps a device whose endpoint is enabled again (registered since the failure), and one whose message only expired', async () => {
    const { userId, endpoints } = await personWithDevices(2);
    const [registeredAgain = '', offline = ''] = endpoints;
    await disable(offline);

    const response = await publishAndHandle(
      deliveryFailure(registeredAgain, 'InvalidPlatformToken'),
      deliveryFailure(offline, 'NotificationTTLExpired'),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect((await registry.listFor(userId)).map((device) => device.endpoint_arn).sort()).toEqual(
      [registeredAgain, offline].sort(),
    );
  });

  it('drops an event of an endpoint no device holds, and sets aside in the feedback DLQ what is no event, failing nothing', async () => {
    const { userId, endpoints } = await personWithDevices(1);
    const unknown = `${platform.resources.platformApplications.fcm.replace(':app/', ':endpoint/')}/0f0e0d0c-0b0a-4908-8706-050403020100`;

    const response = await publishAndHandle(
      deliveryFailure(unknown, 'EndpointDisabled'),
      endpointEvent(unknown, 'EndpointDeleted'),
    );
    await sqs.send(
      new SendMessageCommand({ QueueUrl: platform.resources.pushFeedback.queueUrl, MessageBody: 'plain text' }),
    );
    await sqs.send(
      new SendMessageCommand({ QueueUrl: platform.resources.pushFeedback.queueUrl, MessageBody: '{"not":"an event"}' }),
    );
    const garbage = await handleQueue(2);

    expect(response.batchItemFailures).toEqual([]);
    expect(garbage.batchItemFailures).toEqual([]);
    expect((await registry.listFor(userId)).map((device) => device.endpoint_arn)).toEqual(endpoints);
    const setAside = await messagesIn(platform.resources.pushFeedback.deadLetterUrl);
    expect(setAside.map((message) => message.MessageAttributes?.reason?.StringValue).sort()).toEqual([
      'not_an_sns_event',
      'not_json',
    ]);
  });
});
