import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { PushPlatform } from './device-registration.js';
import { type PushMessage, platformMessage } from './payload.js';

export type { PushMessage };

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
