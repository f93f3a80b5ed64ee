import { createHash } from 'node:crypto';
import type { BatchGetCommandOutput, DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { transactionCancellationCodes } from '../../shared/aws/conditional-write.js';
import { DEVICES_BY_ENDPOINT_INDEX } from '../../shared/platform/resources.js';
import type { PushPlatform } from './device-registration.js';
import type { PushEndpoints } from './endpoints.js';

/** A device: where SNS reaches it, and the one person it belongs to. The token itself stays with SNS. */
export interface DeviceItem {
  readonly device_id: string;
  readonly user_id: string;
  readonly platform: PushPlatform;
  readonly endpoint_arn: string;
  /** When it was registered to its current owner: the oldest device goes first when a person has too many. */
  readonly created_at: string;
}

/**
 * The same token registered again is the same device: its id is derived from the token, so an app that registers
 * on every launch does not pile up devices. The id reveals nothing of the token.
 */
export function deviceIdOf(platform: PushPlatform, token: string): string {
  return createHash('sha256').update(`${platform}:${token}`).digest('hex').slice(0, 32);
}

export interface RegisteredDevice {
  readonly deviceId: string;
  /** The person who held the token before (a shared or handed-on phone), when there was one. */
  readonly movedFrom?: string;
  /** Devices forgotten because the person now holds more than the limit, oldest first. */
  readonly evicted: readonly string[];
}

const REGISTRATION_ATTEMPTS = 3;

/**
 * Which person each push device belongs to. A device (one token) belongs to one person at a time: the devices table
 * is keyed by the device, and the person's item lists the devices they hold (`device_ids`, read with the rest of the
 * person on the hot path). Both change in one transaction, so the two can never disagree; an SNS endpoint is deleted
 * only once no person holds its device.
 */
export class DeviceRegistry {
  constructor(
    private readonly tables: { readonly devices: string; readonly users: string },
    private readonly client: DynamoDBDocument,
    private readonly endpoints: Pick<PushEndpoints, 'register' | 'remove'>,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Registers the token for `userId`: a token another person held moves to this one (their device list loses it,
   * the endpoint stays). Beyond `maxDevices`, the person's oldest devices are forgotten.
   */
  async register(
    userId: string,
    device: { platform: PushPlatform; token: string; platformApplicationArn: string },
    maxDevices: number,
  ): Promise<RegisteredDevice> {
    const deviceId = deviceIdOf(device.platform, device.token);
    const endpointArn = await this.endpoints.register(device.platformApplicationArn, device.token);
    let movedFrom: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const existing = await this.find(deviceId);
      movedFrom = existing && existing.user_id !== userId ? existing.user_id : undefined;
      try {
        await this.client.transactWrite({
          TransactItems: [
            { Put: this.ownership({ deviceId, userId, platform: device.platform, endpointArn }, existing) },
            { Update: this.holding(userId, 'ADD', deviceId) },
            ...(movedFrom ? [{ Update: this.holding(movedFrom, 'DELETE', deviceId) }] : []),
          ],
        });
        break;
      } catch (error) {
        // Someone registered or forgot the same token between the read and the write: read again and retry.
        if (!isConditionRace(error) || attempt >= REGISTRATION_ATTEMPTS) throw error;
      }
    }
    const evicted = await this.evictBeyond(userId, maxDevices);
    return { deviceId, movedFrom, evicted };
  }

  async find(deviceId: string): Promise<DeviceItem | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tables.devices,
      Key: { device_id: deviceId },
      ConsistentRead: true,
    });
    return Item as DeviceItem | undefined;
  }

  /**
   * The devices SNS reaches at this endpoint (one, unless SNS gave an endpoint a new token), read consistently: the
   * index, which holds keys only, may lag the table.
   */
  async heldAt(endpointArn: string): Promise<DeviceItem[]> {
    const { Items = [] } = await this.client.query({
      TableName: this.tables.devices,
      IndexName: DEVICES_BY_ENDPOINT_INDEX,
      KeyConditionExpression: 'endpoint_arn = :endpoint',
      ExpressionAttributeValues: { ':endpoint': endpointArn },
    });
    const devices = await Promise.all(Items.map((item) => this.find(item.device_id as string)));
    return devices.filter((device): device is DeviceItem => device?.endpoint_arn === endpointArn);
  }

  /** The devices a person holds: those of `deviceIds` (from their item) that still name them as owner. */
  async devicesOf(userId: string, deviceIds: Iterable<string>): Promise<DeviceItem[]> {
    const ids = [...deviceIds];
    const found: DeviceItem[] = [];
    for (let start = 0; start < ids.length; start += 100) {
      let keys: Record<string, unknown>[] | undefined = ids
        .slice(start, start + 100)
        .map((device_id) => ({ device_id }));
      while (keys && keys.length > 0) {
        const answer: BatchGetCommandOutput = await this.client.batchGet({
          RequestItems: { [this.tables.devices]: { Keys: keys, ConsistentRead: true } },
        });
        found.push(...((answer.Responses?.[this.tables.devices] ?? []) as DeviceItem[]));
        keys = answer.UnprocessedKeys?.[this.tables.devices]?.Keys;
      }
    }
    return found.filter((device) => device.user_id === userId).sort(byRegistration);
  }

  /** The person's devices, read from their item first. */
  async listFor(userId: string): Promise<DeviceItem[]> {
    const { Item } = await this.client.get({
      TableName: this.tables.users,
      Key: { user_id: userId },
      ProjectionExpression: 'device_ids',
      ConsistentRead: true,
    });
    return this.devicesOf(userId, (Item?.device_ids as Set<string> | undefined) ?? []);
  }

  /**
   * Forgets the person's device: it leaves their list and the devices table in one transaction, then its SNS endpoint
   * is deleted, unless someone registered the token again meanwhile. False when the device is not theirs.
   * Every way a device is forgotten goes through here: deletion by a producer, an endpoint APNs or FCM gave up (at the
   * send, or in SNS's feedback), a person with too many devices, the erasure of a person.
   */
  async forget(userId: string, device: Pick<DeviceItem, 'device_id' | 'endpoint_arn'>): Promise<boolean> {
    try {
      await this.client.transactWrite({
        TransactItems: [
          {
            Delete: {
              TableName: this.tables.devices,
              Key: { device_id: device.device_id },
              ConditionExpression: 'user_id = :user',
              ExpressionAttributeValues: { ':user': userId },
            },
          },
          { Update: this.holding(userId, 'DELETE', device.device_id) },
        ],
      });
    } catch (error) {
      if (isConditionRace(error)) return false;
      throw error;
    }
    // A registration of the same token in the last moment reuses the endpoint: then it must stay.
    if (!(await this.find(device.device_id))) await this.endpoints.remove(device.endpoint_arn);
    return true;
  }

  private async evictBeyond(userId: string, maxDevices: number): Promise<string[]> {
    const devices = await this.listFor(userId);
    const evicted = devices.slice(0, Math.max(0, devices.length - maxDevices));
    for (const device of evicted) await this.forget(userId, device);
    return evicted.map((device) => device.device_id);
  }

  /** The device's item, written only if it is still as last read: absent, or owned by the same person. */
  private ownership(
    device: { deviceId: string; userId: string; platform: PushPlatform; endpointArn: string },
    existing: DeviceItem | undefined,
  ) {
    const item: DeviceItem = {
      device_id: device.deviceId,
      user_id: device.userId,
      platform: device.platform,
      endpoint_arn: device.endpointArn,
      // Re-registering a device one already holds keeps its age; a device handed on is the new owner's newest.
      created_at: existing?.user_id === device.userId ? existing.created_at : this.clock().toISOString(),
    };
    return {
      TableName: this.tables.devices,
      Item: item,
      ...(existing
        ? { ConditionExpression: 'user_id = :owner', ExpressionAttributeValues: { ':owner': existing.user_id } }
        : { ConditionExpression: 'attribute_not_exists(device_id)' }),
    };
  }

  /** Adds the device to, or takes it from, the person's list. */
  private holding(userId: string, action: 'ADD' | 'DELETE', deviceId: string) {
    return {
      TableName: this.tables.users,
      Key: { user_id: userId },
      UpdateExpression: `${action} device_ids :device SET updated_at = :now`,
      ExpressionAttributeValues: { ':device': new Set([deviceId]), ':now': this.clock().toISOString() },
    };
  }
}

function byRegistration(a: DeviceItem, b: DeviceItem): number {
  return a.created_at.localeCompare(b.created_at) || a.device_id.localeCompare(b.device_id);
}

/** A transaction cancelled because a condition no longer held (or a concurrent transaction touched the items). */
function isConditionRace(error: unknown): boolean {
  return transactionCancellationCodes(error).some(
    (code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict',
  );
}
