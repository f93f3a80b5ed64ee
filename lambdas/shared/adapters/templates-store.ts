import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { CHANNELS, type Channel } from '../domain/channel.js';
import type { TemplateDocument } from '../schemas/template.js';

export interface TemplateItem extends TemplateDocument {
  readonly type: string;
  readonly updated_at: string;
  readonly updated_by: string;
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

  async save(type: string, template: TemplateDocument, producer: string): Promise<TemplateItem> {
    const item: TemplateItem = { ...template, type, updated_at: new Date().toISOString(), updated_by: producer };
    await this.client.put({ TableName: this.tableName, Item: item });
    this.cache.delete(type);
    return item;
  }
}
