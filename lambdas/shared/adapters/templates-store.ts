import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { CHANNELS, type Channel } from '../../channels/registry.js';
import type { TemplateDocument } from '../schemas/template.js';

export interface TemplateItem extends TemplateDocument {
  readonly type: string;
  readonly updated_at: string;
  readonly updated_by: string;
  /** The producer that created it: only it (or an admin) may change it. */
  readonly owner: string;
}

/** The template exists and belongs to another producer. */
export class TemplateOwnedByAnother extends Error {
  constructor(readonly type: string) {
    super(`the template ${type} belongs to another producer`);
    this.name = 'TemplateOwnedByAnother';
  }
}

export function templateChannels(template: TemplateDocument): Channel[] {
  return CHANNELS.filter((channel) => template[channel] !== undefined);
}

/**
 * Templates change rarely and are read on every notification, so each function instance keeps the ones
 * it read for `cacheSeconds`. A saved template reaches every instance within that time.
 */
export class TemplatesStore {
  private readonly cache = new Map<string, { item: TemplateItem | undefined; readAt: number }>();

  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
    private readonly cacheSeconds = 30,
    private readonly clock: () => number = Date.now,
  ) {}

  async find(type: string): Promise<TemplateItem | undefined> {
    const cached = this.cache.get(type);
    if (cached?.item && this.clock() - cached.readAt < this.cacheSeconds * 1000) return cached.item;
    const item = await this.findFresh(type);
    // Only templates that exist are cached: a type saved a moment ago must not stay unknown.
    if (item) this.cache.set(type, { item, readAt: this.clock() });
    return item;
  }

  async findFresh(type: string): Promise<TemplateItem | undefined> {
    const { Item } = await this.client.get({ TableName: this.tableName, Key: { type }, ConsistentRead: true });
    return Item as TemplateItem | undefined;
  }

  /**
   * Up to `limit` templates, from after the one of type `after` (a Scan: in the table's order, not by type), and the
   * type the next page starts after, while there may be more. A Scan reads at most 1 MB, so a page of large templates
   * may hold fewer than `limit`, and an answer stays far below Lambda's 6 MB.
   */
  async page({ limit, after }: { limit: number; after?: string }): Promise<{ items: TemplateItem[]; last?: string }> {
    const { Items, LastEvaluatedKey } = await this.client.scan({
      TableName: this.tableName,
      Limit: limit,
      ...(after === undefined ? {} : { ExclusiveStartKey: { type: after } }),
      // A template saved a moment ago is listed, as findFresh reads it.
      ConsistentRead: true,
    });
    const last = LastEvaluatedKey?.type as string | undefined;
    return { items: (Items ?? []) as TemplateItem[], ...(last === undefined ? {} : { last }) };
  }

  /**
   * Saves the template whole (a channel left out is removed). A new template belongs to `producer`; an existing one
   * keeps its owner, and may be changed only by it, unless `overrideOwner` (an admin) says otherwise. One
   * conditional write, so two producers creating the same type at once cannot both own it.
   */
  async save(
    type: string,
    template: TemplateDocument,
    producer: string,
    { overrideOwner = false }: { overrideOwner?: boolean } = {},
  ): Promise<TemplateItem> {
    const set = [
      '#critical = :critical',
      'updated_at = :now',
      'updated_by = :producer',
      '#owner = if_not_exists(#owner, :producer)',
    ];
    const remove: string[] = [];
    const names: Record<string, string> = { '#critical': 'critical', '#owner': 'owner' };
    const values: Record<string, unknown> = {
      ':critical': template.critical,
      ':now': new Date().toISOString(),
      ':producer': producer,
    };
    // A PUT replaces the document: a category, locales, digest or throttle left out are removed (the type then takes the default).
    for (const field of ['category', 'locales', 'digest', 'throttle'] as const) {
      names[`#${field}`] = field;
      if (template[field] === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = template[field];
      }
    }
    for (const channel of CHANNELS) {
      names[`#${channel}`] = channel;
      if (template[channel] === undefined) remove.push(`#${channel}`);
      else {
        set.push(`#${channel} = :${channel}`);
        values[`:${channel}`] = template[channel];
      }
    }
    try {
      const { Attributes } = await this.client.update({
        TableName: this.tableName,
        Key: { type },
        UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: overrideOwner ? undefined : 'attribute_not_exists(#type) OR #owner = :producer',
        ExpressionAttributeNames: overrideOwner ? names : { ...names, '#type': 'type' },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      });
      return Attributes as TemplateItem;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') throw new TemplateOwnedByAnother(type);
      throw error;
    } finally {
      this.cache.delete(type);
    }
  }
}
