import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../../channels/registry.js';
import { conditionHeld, madeOrUndefined } from '../aws/conditional-write.js';
import { type AddressKeyPeppers, addressKey, keyGeneration, lookupKeys } from '../domain/address-key.js';

/** Why an address is suppressed. */
export type SuppressionReason = 'bounce' | 'complaint' | 'soft_bounces' | 'opt_out';

export interface SuppressionItem {
  /** The address's key (domain/address-key.ts): never the address. */
  readonly address_key: string;
  /** Which generation of peppers the key is of (absent: 0, unpeppered, from before peppers). */
  readonly key_generation?: number;
  readonly channel: Channel;
  /** Set once the address is suppressed; the first reason stays. */
  readonly reason?: SuppressionReason;
  readonly since?: string;
  readonly detail?: Readonly<Record<string, string>>;
  /** The provider's ids of the soft bounces counted in the current window: a duplicate event counts once. */
  readonly soft_bounce_ids?: ReadonlySet<string>;
  readonly soft_bounces_since?: string;
  /** A count of soft bounces alone expires with its window (DynamoDB's TTL); a suppression does not. */
  readonly expires_at?: number;
}

export interface SoftBounceRule {
  /** Soft bounces within the window that suppress the address. */
  readonly threshold: number;
  readonly windowSeconds: number;
}

/**
 * The addresses a channel must not send to: suppressed by a provider's verdict (a hard bounce, a complaint, repeated
 * soft bounces), until an admin lifts it. Keyed by the address's peppered key: the address itself is never stored.
 */
export class SuppressionList {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
    /** The peppers the keys are made with (platform/suppression-keys.ts). */
    private readonly peppers: () => Promise<AddressKeyPeppers>,
  ) {}

  /** The address's key now: what is logged, and what names it in the API. */
  async keyOf(channel: Channel, address: string): Promise<string> {
    return addressKey(await this.peppers(), channel, address);
  }

  /** Every key the address may be found under (more than one only while a rotation's re-keying is under way). */
  async lookupKeysOf(channel: Channel, address: string): Promise<string[]> {
    return lookupKeys(await this.peppers(), channel, address);
  }

  /** The suppression of the address (or its soft bounces counted), under whichever key it is stored. */
  async find(channel: Channel, address: string): Promise<SuppressionItem | undefined> {
    const items = await this.read(await this.lookupKeysOf(channel, address));
    return items.find((item) => item.since !== undefined) ?? items[0];
  }

  async findByKey(key: string): Promise<SuppressionItem | undefined> {
    return (await this.read([key]))[0];
  }

  /**
   * Of the addresses given, by channel: the channels whose address is suppressed, and the keys each address is looked
   * up by (a job carries them to its worker). One read for all of them.
   */
  async screen(
    addresses: Readonly<Partial<Record<Channel, string>>>,
  ): Promise<{ suppressed: Set<Channel>; keys: Partial<Record<Channel, string[]>> }> {
    const entries = Object.entries(addresses).filter((entry): entry is [Channel, string] => Boolean(entry[1]));
    const peppers = await this.peppers();
    const keys = Object.fromEntries(
      entries.map(([channel, address]) => [channel, lookupKeys(peppers, channel, address)]),
    ) as Partial<Record<Channel, string[]>>;
    const channelOf = new Map(
      Object.entries(keys).flatMap(([channel, list]) => (list ?? []).map((key) => [key, channel as Channel])),
    );
    const suppressed = new Set<Channel>();
    for (const item of await this.read([...channelOf.keys()])) {
      const channel = channelOf.get(item.address_key);
      if (channel && item.since !== undefined) suppressed.add(channel);
    }
    return { suppressed, keys };
  }

  /** Whether an address looked up by these keys is suppressed (consistent reads). */
  async anySuppressed(keys: readonly string[]): Promise<boolean> {
    return (await this.read(keys)).some((item) => item.since !== undefined);
  }

  async isSuppressed(channel: Channel, address: string): Promise<boolean> {
    return this.anySuppressed(await this.lookupKeysOf(channel, address));
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
      Key: { address_key: await this.keyOf(channel, address) },
      UpdateExpression:
        'SET channel = :channel, key_generation = :generation, reason = if_not_exists(reason, :reason), ' +
        'since = if_not_exists(since, :at), detail = if_not_exists(detail, :detail) REMOVE expires_at',
      ExpressionAttributeValues: {
        ':channel': channel,
        ':generation': keyGeneration(await this.peppers()),
        ':reason': reason,
        ':at': at,
        ':detail': detail,
      },
    });
  }

  /**
   * Counts a soft bounce (by the provider's id for it, so a duplicate counts once) in the current window, starting a
   * new window when the last one has passed; suppresses the address when the window holds `threshold` of them.
   * Answers whether the address is now suppressed. A count that never reaches it expires with its window.
   */
  async countSoftBounce(
    channel: Channel,
    address: string,
    bounceId: string,
    at: string,
    rule: SoftBounceRule,
  ): Promise<boolean> {
    const key = { address_key: await this.keyOf(channel, address) };
    const windowStart = new Date(new Date(at).getTime() - rule.windowSeconds * 1000).toISOString();
    // A window that began before windowStart is over: this bounce starts the next one. An address suppressed already
    // counts nothing more (and its entry, unlike a count's, never expires).
    const restarted = await conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: key,
        UpdateExpression:
          'SET channel = :channel, key_generation = :generation, soft_bounce_ids = :ids, soft_bounces_since = :at, ' +
          'expires_at = :expires',
        ConditionExpression:
          'attribute_not_exists(since) AND (attribute_not_exists(soft_bounces_since) OR soft_bounces_since < :windowStart)',
        ExpressionAttributeValues: {
          ':channel': channel,
          ':generation': keyGeneration(await this.peppers()),
          ':ids': new Set([bounceId]),
          ':at': at,
          ':windowStart': windowStart,
          ':expires': Math.floor(new Date(at).getTime() / 1000) + rule.windowSeconds,
        },
      }),
    );
    let count = 1;
    if (!restarted) {
      const counted = await madeOrUndefined(
        this.client.update({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'ADD soft_bounce_ids :ids',
          ConditionExpression: 'attribute_not_exists(since)',
          ExpressionAttributeValues: { ':ids': new Set([bounceId]) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (!counted) return true;
      count = (counted.Attributes?.soft_bounce_ids as Set<string> | undefined)?.size ?? 1;
    }
    if (count < rule.threshold) return false;
    await this.suppress(channel, address, 'soft_bounces', at, { soft_bounces: String(count) });
    return true;
  }

  /** Lifts the suppression of the entry with this key (and forgets its soft bounces): true when there was one. */
  async liftKey(key: string): Promise<boolean> {
    const { Attributes } = await this.client.delete({
      TableName: this.tableName,
      Key: { address_key: key },
      ReturnValues: 'ALL_OLD',
    });
    return Attributes?.since !== undefined;
  }

  /**
   * Forgets the soft bounces counted for the address (a person erased): a count alone is deleted; a suppression stays,
   * keyed and without the address, so that an erased person who bounced is not mailed again.
   */
  async forgetSoftBounces(channel: Channel, address: string): Promise<void> {
    for (const key of await this.lookupKeysOf(channel, address)) {
      const deleted = await conditionHeld(
        this.client.delete({
          TableName: this.tableName,
          Key: { address_key: key },
          ConditionExpression: 'attribute_exists(address_key) AND attribute_not_exists(since)',
        }),
      );
      if (!deleted)
        await conditionHeld(
          this.client.update({
            TableName: this.tableName,
            Key: { address_key: key },
            UpdateExpression: 'REMOVE soft_bounce_ids, soft_bounces_since, expires_at',
            ConditionExpression: 'attribute_exists(since)',
          }),
        );
    }
  }

  /**
   * The entries with these keys, read consistently: a GetItem for one, a BatchGetItem for more (a batch's requests
   * read many together: coalesced-suppression-list.ts).
   */
  protected async read(keys: readonly string[]): Promise<SuppressionItem[]> {
    if (keys.length === 0) return [];
    if (keys.length === 1) {
      const { Item } = await this.client.get({
        TableName: this.tableName,
        Key: { address_key: keys[0] },
        ConsistentRead: true,
      });
      return Item ? [Item as SuppressionItem] : [];
    }
    const { Responses } = await this.client.batchGet({
      RequestItems: {
        [this.tableName]: { Keys: [...new Set(keys)].map((address_key) => ({ address_key })), ConsistentRead: true },
      },
    });
    return (Responses?.[this.tableName] ?? []) as SuppressionItem[];
  }
}
