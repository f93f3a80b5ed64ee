import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { PushPlatform } from '../schemas/device-registration.js';

/** A user's device: where SNS reaches it. The token itself stays with SNS. */
export interface DeviceItem {
  readonly user_id: string;
  readonly device_id: string;
  readonly platform: PushPlatform;
  readonly endpoint_arn: string;
  readonly created_at: string;
}

export class DevicesStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
  ) {}

  async save(device: DeviceItem): Promise<void> {
    await this.client.put({ TableName: this.tableName, Item: device });
  }

  async find(userId: string, deviceId: string): Promise<DeviceItem | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: { user_id: userId, device_id: deviceId },
      ConsistentRead: true,
    });
    return Item as DeviceItem | undefined;
  }

  async list(userId: string): Promise<DeviceItem[]> {
    const devices: DeviceItem[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.query({
        TableName: this.tableName,
        KeyConditionExpression: 'user_id = :user',
        ExpressionAttributeValues: { ':user': userId },
        ExclusiveStartKey,
      });
      devices.push(...((page.Items ?? []) as DeviceItem[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return devices;
  }

  async remove(userId: string, deviceId: string): Promise<void> {
    await this.client.delete({ TableName: this.tableName, Key: { user_id: userId, device_id: deviceId } });
  }
}
