import { randomUUID } from 'node:crypto';
import {
  CreatePlatformApplicationCommand,
  CreatePlatformEndpointCommand,
  DeleteEndpointCommand,
  DeletePlatformApplicationCommand,
  PublishCommand,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFromLocalStack, sns } from '../support/emulator-clients.js';
import { eventually } from '../support/eventually.js';

interface PublishedMessage {
  TargetArn: string;
  Message: string;
  MessageStructure?: string;
  MessageId: string;
}

describe('SNS mobile push emulator', () => {
  let applicationArn: string;
  let endpointArn: string;

  beforeAll(async () => {
    const application = await sns.send(
      new CreatePlatformApplicationCommand({
        Name: `it-fcm-${randomUUID().slice(0, 8)}`,
        Platform: 'GCM',
        Attributes: { PlatformCredential: 'test-fcm-server-key' },
      }),
    );
    applicationArn = application.PlatformApplicationArn ?? '';
    const endpoint = await sns.send(
      new CreatePlatformEndpointCommand({
        PlatformApplicationArn: applicationArn,
        Token: `device-token-${randomUUID()}`,
      }),
    );
    endpointArn = endpoint.EndpointArn ?? '';
  });

  afterAll(async () => {
    await sns.send(new DeleteEndpointCommand({ EndpointArn: endpointArn }));
    await sns.send(new DeletePlatformApplicationCommand({ PlatformApplicationArn: applicationArn }));
  });

  it('publishes to a device endpoint and keeps the message where a test can read it back', async () => {
    // Prepare: one message per platform, as the push worker will send it
    const notification = { title: 'Order shipped', body: `Parcel ${randomUUID()}` };
    const payload = JSON.stringify({ default: notification.body, GCM: JSON.stringify({ notification }) });

    // Act
    const { MessageId } = await sns.send(
      new PublishCommand({ TargetArn: endpointArn, Message: payload, MessageStructure: 'json' }),
    );

    // Assess
    expect(endpointArn).toMatch(/^arn:aws:sns:.+:endpoint\/GCM\//);
    const published = await eventually('the push message in LocalStack', async () => {
      const { platform_endpoint_messages } = await readFromLocalStack<{
        platform_endpoint_messages: Record<string, PublishedMessage[]>;
      }>('SNS', `/_aws/sns/platform-endpoint-messages?endpointArn=${encodeURIComponent(endpointArn)}`);
      return platform_endpoint_messages[endpointArn]?.find((message) => message.MessageId === MessageId);
    });
    expect(published).toMatchObject({ TargetArn: endpointArn, MessageStructure: 'json' });
    // What reaches the device is the endpoint's own platform part (GCM), not the whole envelope.
    expect(JSON.parse(JSON.parse(published.Message))).toEqual({ notification });
  });
});
