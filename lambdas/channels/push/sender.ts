import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { PushPlatform } from './device-registration.js';

export interface PushMessage {
  readonly title: string;
  readonly body: string;
  /** Ids the app can act on (never personal data). */
  readonly data: Readonly<Record<string, string>>;
}

/**
 * The message in the shape each platform expects, under SNS's per-platform keys (MessageStructure json).
 * APNs gets both keys, production and sandbox: SNS uses the one that matches the platform application.
 */
export function platformMessage(platform: PushPlatform, message: PushMessage): string {
  if (platform === 'apns') {
    const apns = JSON.stringify({
      aps: { alert: { title: message.title, body: message.body }, sound: 'default' },
      ...message.data,
    });
    return JSON.stringify({ default: message.body, APNS: apns, APNS_SANDBOX: apns });
  }
  const fcm = JSON.stringify({
    fcmV1Message: { message: { notification: { title: message.title, body: message.body }, data: message.data } },
  });
  return JSON.stringify({ default: message.body, GCM: fcm });
}

/** Publishes to one device's SNS platform endpoint; answers SNS's message id. */
export class PushSender {
  constructor(private readonly client: SNSClient) {}

  async publish(endpointArn: string, platform: PushPlatform, message: PushMessage): Promise<string> {
    const { MessageId } = await this.client.send(
      new PublishCommand({
        TargetArn: endpointArn,
        MessageStructure: 'json',
        Message: platformMessage(platform, message),
      }),
    );
    if (!MessageId) throw new Error('SNS returned no MessageId');
    return MessageId;
  }
}
