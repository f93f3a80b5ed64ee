import { randomBytes } from 'node:crypto';
import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { ChannelDefinition, Reachability } from '../../channels/channel-definition.js';
import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../../channels/registry.js';
import { batchGetAll } from '../aws/batch-get.js';
import { conditionHeld, madeOrUndefined } from '../aws/conditional-write.js';
import type { CategoryChoices } from '../domain/categories.js';
import { ownWordAfter, ownWordKey, withOwnWord } from '../domain/own-word.js';
import { DEFAULT_PREFERENCES, type Preferences } from '../domain/preferences.js';
import { USERS_BY_PHONE_NUMBER_INDEX } from '../platform/resources.js';
import { CONTACT_FIELDS, type Contacts } from '../schemas/contacts.js';

/** One item per user: preferences, contacts and the ids of their devices, so the hot path reads it once. */
export interface UserItem extends Contacts, Partial<Record<`${Channel}_switched_by`, SwitchChange>> {
  readonly user_id: string;
  readonly preferences?: Preferences;
  /** What the person unsubscribed from by a link, as `<category>/<channel>`: only they turn it back on. */
  readonly unsubscribes?: ReadonlySet<string>;
  readonly device_ids?: ReadonlySet<string>;
  /**
   * The generation of the person's recipient links (consent-token.ts): made with their first link, forgotten with them,
   * so a person made again under the same id gets a new one and the old links no longer control them.
   */
  readonly link_generation?: string;
  readonly updated_at?: string;
}

/**
 * Who last turned a channel's switch, other than a producer through the API: the person texting STOP or START, or the
 * provider saying they had unsubscribed. Kept beside the preferences as `<channel>_switched_by`.
 */
export interface SwitchChange {
  readonly on: boolean;
  readonly source: 'sms_keyword' | 'provider_unsubscribed';
  /** The keyword the person texted, for sms_keyword. */
  readonly keyword?: string;
  readonly at: string;
  /** Written by this release: the master switch was left as it was (an earlier release's STOP turned it off). */
  readonly leaves_master_switch?: boolean;
}

/** The attributes the person's own links write (unsubscribe, the preference page): a function that only does that may update these. */
export const CONSENT_ATTRIBUTES = ['user_id', 'preferences', 'unsubscribes', 'updated_at'];

/** The attribute the email worker writes: the person's link generation, made with their first link. */
export const LINK_GENERATION_ATTRIBUTES = ['user_id', 'link_generation'];

/** The attributes a producer's preference write touches: never the person's own word (unsubscribes, a STOP). */
export const PRODUCER_PREFERENCE_ATTRIBUTES = ['user_id', 'preferences', 'updated_at'];

/**
 * The attributes a switch change writes: a function that only turns channels off (the provider saying the person
 * unsubscribed) may update these and no other. A STOP leaves the master switch as it is.
 */
export const SWITCH_ATTRIBUTES = (channel: Channel) => ['user_id', `${channel}_switched_by`, 'updated_at'];

/**
 * And a function that turns them back on (START) this one more: `preferences`, written only by a START after a STOP of
 * an earlier release, which turned the master switch off too.
 */
export const SWITCH_BACK_ON_ATTRIBUTES = (channel: Channel) => [...SWITCH_ATTRIBUTES(channel), 'preferences'];

/** Preferences as a producer writes them: choices per category only when it sends them. */
export type ProducerPreferences = Omit<Preferences, 'categories'> & { readonly categories?: CategoryChoices };

/** A change to the person's item that `rewrite` makes, or nothing to write. */
interface Rewrite {
  readonly preferences: Preferences;
  /** The person's own word after the change; left as it is when absent. */
  readonly unsubscribes?: ReadonlySet<string>;
}

export class UsersStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
    /** Where the hot path reads (DAX when deployed with it); writes always go to DynamoDB. */
    private readonly readClient: DynamoDBDocument = client,
  ) {}

  /** The hot-path read: through the cache when there is one. */
  async find(userId: string): Promise<UserItem | undefined> {
    const { Item } = await this.readClient.get({ TableName: this.tableName, Key: { user_id: userId } });
    return Item as UserItem | undefined;
  }

  /** Many people read as `find` reads one (through the cache when there is one), a hundred a request: by id. */
  findMany(userIds: readonly string[]): Promise<Map<string, UserItem>> {
    return this.readMany(this.readClient, userIds, false);
  }

  /** A read that sees the latest write, for the control plane and the workers. */
  async findFresh(userId: string): Promise<UserItem | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: { user_id: userId },
      ConsistentRead: true,
    });
    return Item as UserItem | undefined;
  }

  /** Many people read as findFresh reads one, a hundred a request (a broadcast's chunk): those that exist, by id. */
  findManyFresh(userIds: readonly string[]): Promise<Map<string, UserItem>> {
    return this.readMany(this.client, userIds, true);
  }

  private async readMany(
    client: DynamoDBDocument,
    userIds: readonly string[],
    consistentRead: boolean,
  ): Promise<Map<string, UserItem>> {
    const keys = userIds.map((user_id) => ({ user_id }));
    const items = await batchGetAll(client, this.tableName, keys, { consistentRead });
    return new Map(items.map((item) => [String(item.user_id), item as unknown as UserItem]));
  }

  /**
   * A producer's preferences: the master switches and quiet hours as sent, and the choices per category as sent or, when
   * it sent none, as they were. What the person turned off themselves stays off. Answers what is stored.
   */
  async savePreferences(
    userId: string,
    update: ProducerPreferences,
    at: string,
  ): Promise<{ readonly preferences: Preferences; readonly unsubscribed: Set<string> }> {
    let stored = { preferences: DEFAULT_PREFERENCES, unsubscribed: new Set<string>() };
    await this.rewrite(userId, at, (user) => {
      const preferences = {
        ...update,
        categories: withOwnWord(update.categories ?? preferencesOf(user).categories, user?.unsubscribes ?? new Set()),
      };
      stored = { preferences, unsubscribed: unsubscribesOf(user) };
      return { preferences };
    });
    return stored;
  }

  /** PUT semantics: the contacts become exactly what was sent; a field left out is removed. */
  async replaceContacts(userId: string, contacts: Contacts): Promise<void> {
    const set = ['updated_at = :now'];
    const remove: string[] = [];
    const values: Record<string, unknown> = { ':now': new Date().toISOString() };
    for (const field of CONTACT_FIELDS) {
      const value = contacts[field];
      if (value === undefined) {
        remove.push(field);
      } else {
        set.push(`${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    await this.client.update({
      TableName: this.tableName,
      Key: { user_id: userId },
      UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
      ExpressionAttributeValues: values,
    });
  }

  /**
   * The people whose phone number this is: Twilio knows the number a STOP came from, not the person, and a shared
   * phone may be several people's. The index is eventually consistent: a number saved a moment ago may be missing.
   */
  async userIdsWithPhoneNumber(phoneNumber: string): Promise<string[]> {
    const userIds: string[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.query({
        TableName: this.tableName,
        IndexName: USERS_BY_PHONE_NUMBER_INDEX,
        KeyConditionExpression: 'phone_number = :number',
        ExpressionAttributeValues: { ':number': phoneNumber },
        ExclusiveStartKey,
      });
      userIds.push(...(page.Items ?? []).map((item) => String(item.user_id)));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return userIds;
  }

  /**
   * The person turned one channel off or back on by its own means (STOP and START, or the provider saying they had
   * unsubscribed), recorded as `<channel>_switched_by` and honoured on top of the master switch, which stays as the
   * producers and the person left it: START undoes a STOP and nothing more. False when there is no such person.
   */
  async switchChannel(userId: string, channel: Channel, change: SwitchChange): Promise<boolean> {
    const names = { '#switched_by': `${channel}_switched_by` };
    const values = { ':change': { ...change, leaves_master_switch: true }, ':now': change.at };
    if (change.on) {
      // A STOP of an earlier release turned the master switch off too: its START turns it back on.
      const undidEarlierStop = await conditionHeld(
        this.client.update({
          TableName: this.tableName,
          Key: { user_id: userId },
          UpdateExpression: 'SET preferences.#channel = :on, #switched_by = :change, updated_at = :now',
          ConditionExpression:
            'attribute_exists(preferences) AND #switched_by.#on = :off AND attribute_not_exists(#switched_by.leaves_master_switch)',
          ExpressionAttributeNames: { ...names, '#channel': channel, '#on': 'on' },
          ExpressionAttributeValues: { ...values, ':on': true, ':off': false },
        }),
      );
      if (undidEarlierStop) return true;
    }
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: { user_id: userId },
        UpdateExpression: 'SET #switched_by = :change, updated_at = :now',
        ConditionExpression: 'attribute_exists(user_id)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /**
   * One-click unsubscribe: the category off on that channel, kept as the person's own word (`unsubscribes`), so no
   * producer's preference write turns it back on. False when there is no such person (erased since the email).
   */
  async unsubscribe(userId: string, category: string, channel: Channel, at: string): Promise<boolean> {
    const key = ownWordKey(category, channel);
    const written = await this.rewrite(userId, at, (user) => {
      if (!user) return undefined;
      const preferences = preferencesOf(user);
      return {
        preferences: {
          ...preferences,
          categories: {
            ...preferences.categories,
            [category]: { ...preferences.categories[category], [channel]: false },
          },
        },
        unsubscribes: ownWordAfter(user.unsubscribes ?? new Set(), { off: [key], on: [] }),
      };
    });
    return written !== undefined;
  }

  /**
   * The preference page's save: the preferences as the person left them; what they turned off there is their own word,
   * and what they turned back on is no longer unsubscribed. False when there is no such person.
   */
  async saveOwnPreferences(
    userId: string,
    preferences: Preferences,
    change: { readonly off: readonly string[]; readonly on: readonly string[] },
    at: string,
  ): Promise<boolean> {
    const written = await this.rewrite(userId, at, (user) =>
      user ? { preferences, unsubscribes: ownWordAfter(user.unsubscribes ?? new Set(), change) } : undefined,
    );
    return written !== undefined;
  }

  /**
   * Reads the person, changes what `change` says (nothing, when it answers undefined), and writes it back only if
   * nobody wrote in between (`updated_at`): a few tries. A person never seen is created.
   */
  private async rewrite(
    userId: string,
    at: string,
    change: (user: UserItem | undefined) => Rewrite | undefined,
  ): Promise<Rewrite | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const user = await this.findFresh(userId);
      const rewrite = change(user);
      if (!rewrite) return undefined;
      const ownWord = rewrite.unsubscribes;
      const written = await conditionHeld(
        this.client.update({
          TableName: this.tableName,
          Key: { user_id: userId },
          UpdateExpression:
            'SET preferences = :preferences, updated_at = :now' +
            (ownWord === undefined ? '' : ownWord.size > 0 ? ', unsubscribes = :unsubscribes' : ' REMOVE unsubscribes'),
          ConditionExpression: !user
            ? 'attribute_not_exists(user_id)'
            : user.updated_at
              ? 'updated_at = :seen'
              : 'attribute_exists(user_id) AND attribute_not_exists(updated_at)',
          ExpressionAttributeValues: {
            ':preferences': rewrite.preferences,
            ':now': at,
            ...(ownWord && ownWord.size > 0 ? { ':unsubscribes': new Set(ownWord) } : {}),
            ...(user?.updated_at ? { ':seen': user.updated_at } : {}),
          },
        }),
      );
      if (written) return rewrite;
    }
    throw new Error('the person was changed by others three times while this was written; retry');
  }

  /**
   * The person's link generation, made now if they have none yet; undefined when there is no such person (erased
   * since the job was queued).
   */
  async linkGeneration(user: UserItem): Promise<string | undefined> {
    if (user.link_generation) return user.link_generation;
    const made = await madeOrUndefined(
      this.client.update({
        TableName: this.tableName,
        Key: { user_id: user.user_id },
        UpdateExpression: 'SET link_generation = if_not_exists(link_generation, :generation)',
        ConditionExpression: 'attribute_exists(user_id)',
        ExpressionAttributeValues: { ':generation': randomBytes(12).toString('base64url') },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return made?.Attributes?.link_generation as string | undefined;
  }

  /** Forgets the person's item: preferences, contacts, locale, the list of their devices. */
  async remove(userId: string): Promise<void> {
    await this.client.delete({ TableName: this.tableName, Key: { user_id: userId } });
  }
}

/** The person's preferences; saved before categories existed, they have chosen none. */
export function preferencesOf(user: UserItem | undefined): Preferences {
  const saved = user?.preferences;
  return saved ? { ...saved, categories: saved.categories ?? {} } : DEFAULT_PREFERENCES;
}

/**
 * What the person unsubscribed from themselves (channel-resolution's `unsubscribed`): a channel they turned off by
 * its own means, as texting STOP turns off SMS (`<channel>_switched_by`, until START), and each category they left by
 * an email's link (`<category>/<channel>`, until they turn it back on on their preference page).
 */
export function unsubscribesOf(user: UserItem | undefined): Set<string> {
  return new Set([
    ...CHANNELS.filter((channel) => user?.[`${channel}_switched_by`]?.on === false),
    ...(user?.unsubscribes ?? []),
  ]);
}

export function reachabilityOf(user: UserItem | undefined): Reachability {
  const contacts: Record<string, string | undefined> = {};
  for (const field of CONTACT_FIELDS) if (field !== 'locale') contacts[field] = user?.[field];
  return { contacts, deviceCount: user?.device_ids?.size ?? 0 };
}

/** The person's address on each channel that has one in their contacts (email_address for email, ...). */
export function addressesOf(user: UserItem | undefined): Partial<Record<Channel, string>> {
  const addresses: Partial<Record<Channel, string>> = {};
  for (const channel of CHANNELS) {
    const definition: ChannelDefinition = CHANNEL_DEFINITIONS[channel];
    const address = definition.contact && user?.[definition.contact.field as keyof Contacts];
    if (address) addresses[channel] = address;
  }
  return addresses;
}
