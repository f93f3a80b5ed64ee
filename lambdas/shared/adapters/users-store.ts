import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { ChannelDefinition, Reachability } from '../../channels/channel-definition.js';
import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../../channels/registry.js';
import { conditionHeld } from '../aws/conditional-write.js';
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
}

/** The attributes the person's own links write (unsubscribe, the preference page): a function that only does that may update these. */
export const CONSENT_ATTRIBUTES = ['user_id', 'preferences', 'unsubscribes', 'updated_at'];

/** The attributes a switch change writes: a function that only switches channels may update these and no other. */
export const SWITCH_ATTRIBUTES = (channel: Channel) => [
  'user_id',
  'preferences',
  `${channel}_switched_by`,
  'updated_at',
];

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

  /** A read that sees the latest write, for the control plane and the workers. */
  async findFresh(userId: string): Promise<UserItem | undefined> {
    const { Item } = await this.client.get({
      TableName: this.tableName,
      Key: { user_id: userId },
      ConsistentRead: true,
    });
    return Item as UserItem | undefined;
  }

  async savePreferences(userId: string, preferences: Preferences): Promise<void> {
    await this.client.update({
      TableName: this.tableName,
      Key: { user_id: userId },
      UpdateExpression: 'SET preferences = :preferences, updated_at = :now',
      ExpressionAttributeValues: { ':preferences': preferences, ':now': new Date().toISOString() },
    });
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
   * Turns one channel's switch on or off for an existing person, recording who did (`<channel>_switched_by`); a person
   * with no preferences yet gets the defaults with that one switch. False when there is no such person.
   */
  async switchChannel(userId: string, channel: Channel, change: SwitchChange): Promise<boolean> {
    const names = { '#channel': channel, '#switched_by': `${channel}_switched_by` };
    const values = { ':change': change, ':now': change.at };
    // Two tries: someone may save the person's first preferences between them.
    for (let attempt = 0; attempt < 2; attempt++) {
      const switched = await conditionHeld(
        this.client.update({
          TableName: this.tableName,
          Key: { user_id: userId },
          UpdateExpression: 'SET preferences.#channel = :on, #switched_by = :change, updated_at = :now',
          ConditionExpression: 'attribute_exists(preferences)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':on': change.on },
        }),
      );
      if (switched) return true;
      const first = await conditionHeld(
        this.client.update({
          TableName: this.tableName,
          Key: { user_id: userId },
          UpdateExpression: 'SET preferences = :preferences, #switched_by = :change, updated_at = :now',
          ConditionExpression: 'attribute_exists(user_id) AND attribute_not_exists(preferences)',
          ExpressionAttributeNames: { '#switched_by': names['#switched_by'] },
          ExpressionAttributeValues: { ...values, ':preferences': { ...DEFAULT_PREFERENCES, [channel]: change.on } },
        }),
      );
      if (first) return true;
    }
    return false;
  }

  /**
   * One-click unsubscribe: the category off on that channel, kept as the person's own word (`unsubscribes`), so no
   * producer's preference write turns it back on. False when there is no such person (erased since the email).
   */
  async unsubscribe(userId: string, category: string, channel: Channel, at: string): Promise<boolean> {
    // Read, changed and written back only if nobody wrote in between (`updated_at`); a few tries.
    for (let attempt = 0; attempt < 3; attempt++) {
      const user = await this.findFresh(userId);
      if (!user) return false;
      const preferences = preferencesOf(user);
      const choices = {
        ...preferences.categories,
        [category]: { ...preferences.categories[category], [channel]: false },
      };
      const written = await conditionHeld(
        this.client.update({
          TableName: this.tableName,
          Key: { user_id: userId },
          UpdateExpression: 'SET preferences = :preferences, updated_at = :now ADD unsubscribes :unsubscribed',
          ConditionExpression: user.updated_at
            ? 'updated_at = :seen'
            : 'attribute_exists(user_id) AND attribute_not_exists(updated_at)',
          ExpressionAttributeValues: {
            ':preferences': { ...preferences, categories: choices },
            ':now': at,
            ':unsubscribed': new Set([`${category}/${channel}`]),
            ...(user.updated_at ? { ':seen': user.updated_at } : {}),
          },
        }),
      );
      if (written) return true;
    }
    throw new Error('the person was changed by others three times while unsubscribing; retry');
  }

  /**
   * The preference page's save: the preferences as the person left them, and the categories they turned back on are
   * no longer unsubscribed. False when there is no such person.
   */
  async saveOwnPreferences(userId: string, preferences: Preferences, resubscribed: readonly string[], at: string) {
    return conditionHeld(
      this.client.update({
        TableName: this.tableName,
        Key: { user_id: userId },
        UpdateExpression: `SET preferences = :preferences, updated_at = :now${resubscribed.length > 0 ? ' DELETE unsubscribes :resubscribed' : ''}`,
        ConditionExpression: 'attribute_exists(user_id)',
        ExpressionAttributeValues: {
          ':preferences': preferences,
          ':now': at,
          ...(resubscribed.length > 0 ? { ':resubscribed': new Set(resubscribed) } : {}),
        },
      }),
    );
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
