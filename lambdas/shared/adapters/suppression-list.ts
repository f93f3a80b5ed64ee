import { createHash } from 'node:crypto';
import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../../channels/registry.js';
import { conditionHeld } from '../aws/conditional-write.js';

/** Why an address is suppressed. */
export type SuppressionReason = 'bounce' | 'complaint' | 'soft_bounces' | 'opt_out';

export interface SuppressionItem {
  readonly address_key: string;
  readonly channel: Channel;
  /** Set once the address is suppressed; the first reason stays. */
  readonly reason?: SuppressionReason;
  readonly since?: string;
  readonly detail?: Readonly<Record<string, string>>;
  /** The provider's ids of the soft bounces counted in the current window: a duplicate event counts once. */
  readonly soft_bounce_ids?: ReadonlySet<string>;
  readonly soft_bounces_since?: string;
}

export interface SoftBounceRule {
  /** Soft bounces within the window that suppress the address. */
  readonly threshold: number;
  readonly windowSeconds: number;
}

/** As addresses are compared: an email address in lower case, anything else as it is, trimmed. */
export function normalisedAddress(channel: Channel, address: string): string {
  const trimmed = address.trim();
  return channel === 'email' ? trimmed.toLowerCase() : trimmed;
}

/** The key of an address: a hash, safe to log, that names neither the address nor the person. */
export function addressKey(channel: Channel, address: string): string {
  return createHash('sha256')
    .update(`${channel}:${normalisedAddress(channel, address)}`)
    .digest('hex');
}

/**
 * The addresses a channel must not send to: suppressed by a provider's verdict (a hard bounce, a complaint, repeated
 * soft bounces) or the person's own STOP, until an admin lifts it.
 */
export class SuppressionList {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
  ) {}

  async find(channel: Channel, address: string): Promise<SuppressionItem | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: { address_key: addressKey(channel, address) },
      ConsistentRead: true,
    });
    return Item as SuppressionItem | undefined;
  }

  /** Of the addresses given, by channel, the channels whose address is suppressed: one read for all of them. */
  async suppressedChannels(addresses: Readonly<Partial<Record<Channel, string>>>): Promise<Set<Channel>> {
    const entries = Object.entries(addresses).filter((entry): entry is [Channel, string] => Boolean(entry[1]));
    if (entries.length === 0) return new Set();
    const byKey = new Map(entries.map(([channel, address]) => [addressKey(channel, address), channel]));
    const { Responses } = await this.client.batchGet({
      RequestItems: {
        [this.tableName]: {
          Keys: [...byKey.keys()].map((address_key) => ({ address_key })),
          ConsistentRead: true,
          ProjectionExpression: 'address_key, since',
        },
      },
    });
    const suppressed = new Set<Channel>();
    for (const item of Responses?.[this.tableName] ?? []) {
      const channel = byKey.get(item.address_key as string);
      if (channel && item.since !== undefined) suppressed.add(channel);
    }
    return suppressed;
  }

  /** Whether the address of this key is suppressed (a consistent read of one item). */
  async isKeySuppressed(key: string): Promise<boolean> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: { address_key: key },
      ConsistentRead: true,
      ProjectionExpression: 'since',
    });
    return Item?.since !== undefined;
  }

  async isSuppressed(channel: Channel, address: string): Promise<boolean> {
    return this.isKeySuppressed(addressKey(channel, address));
  }

  /** Suppresses the address from `at` on; an address already suppressed keeps its first reason and time. */
  async suppress(
    channel: Channel,
    address: string,
    reason: SuppressionReason,
    at: string,
    detail: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    await this.client.update({
      TableName: this.tableName,
      Key: { address_key: addressKey(channel, address) },
      UpdateExpression:
        'SET channel = :channel, reason = if_not_exists(reason, :reason), since = if_not_exists(since, :at), ' +
        'detail = if_not_exists(detail, :detail)',
      ExpressionAttributeValues: { ':channel': channel, ':reason': reason, ':at': at, ':detail': detail },
    });
  }

  /**
   * Counts a soft bounce (by the provider's id for it, so a duplicate counts once) in the current window, starting a
   * new window when the last one has passed; suppresses the address when the window holds `threshold` of them.
   * Answers whether the address is now suppressed.
   */
  async countSoftBounce(
    channel: Channel,
    address: string,
    bounceId: string,
    at: string,
    rule: SoftBounceRule,
  ): Promise<boolean> {
    const key = { address_key: addressKey(channel, address) };
    const windowStart = new Date(new Date(at).getTime() - rule.windowSeconds * 1000).toISOString();
    // A window that began before windowStart is over: this bounce starts the next one.
    const restarted = await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'SET channel = :channel, soft_bounce_ids = :ids, soft_bounces_since = :at',
        ConditionExpression: 'attribute_not_exists(soft_bounces_since) OR soft_bounces_since < :windowStart',
        ExpressionAttributeValues: {
          ':channel': channel,
          ':ids': new Set([bounceId]),
          ':at': at,
          ':windowStart': windowStart,
        },
      }),
    );
    let count = 1;
    if (!restarted) {
      const { Attributes } = await this.client.update({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'ADD soft_bounce_ids :ids',
        ExpressionAttributeValues: { ':ids': new Set([bounceId]) },
        ReturnValues: 'ALL_NEW',
      });
      count = (Attributes?.soft_bounce_ids as Set<string> | undefined)?.size ?? 1;
    }
    if (count < rule.threshold) return false;
    await this.suppress(channel, address, 'soft_bounces', at, { soft_bounces: String(count) });
    return true;
  }

  /** Lifts the suppression (and forgets the soft bounces counted): the address may be sent to again. */
  async lift(channel: Channel, address: string): Promise<boolean> {
    const { Attributes } = await this.client.delete({
      TableName: this.tableName,
      Key: { address_key: addressKey(channel, address) },
      ReturnValues: 'ALL_OLD',
    });
    return Attributes?.since !== undefined;
  }
}
