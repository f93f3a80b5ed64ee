import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import type { ChannelDefinition, Reachability } from '../../channels/channel-definition.js';
import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../../channels/registry.js';
import { DEFAULT_PREFERENCES, type Preferences } from '../domain/preferences.js';
import { CONTACT_FIELDS, type Contacts } from '../schemas/contacts.js';

/** One item per user: preferences, contacts and the ids of their devices, so the hot path reads it once. */
export interface UserItem extends Contacts {
  readonly user_id: string;
  readonly preferences?: Preferences;
  readonly device_ids?: ReadonlySet<string>;
  readonly updated_at?: string;
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

  /** Forgets the person's item: preferences, contacts, locale, the list of their devices. */
  async remove(userId: string): Promise<void> {
    await this.client.delete({ TableName: this.tableName, Key: { user_id: userId } });
  }
}

export function preferencesOf(user: UserItem | undefined): Preferences {
  return user?.preferences ?? DEFAULT_PREFERENCES;
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
