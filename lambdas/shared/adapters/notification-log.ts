import type { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from '../aws/batch-get.js';
import { type LogEntry, logPartitionsOf, logTimeOf, mergedPage } from '../domain/notification-log.js';
import {
  NOTIFICATION_RECORD_SORT_KEY,
  NOTIFICATIONS_BY_PRODUCER_INDEX,
  NOTIFICATIONS_BY_USER_INDEX,
} from '../platform/resources.js';
import { NOTIFICATION_KEY_PREFIX, type NotificationItem } from './notifications-store.js';

export interface LogQuery {
  /** Whose notifications: one producer's, or (`notifications:read_all`) every one of these. */
  readonly producers: readonly string[];
  /** `notifications:read_all`: a person's notifications from any producer, configured now or not. */
  readonly anyProducer?: boolean;
  /** Only this person's: read from the person's index rather than the producers'. */
  readonly userId?: string;
  readonly type?: string;
  /** The notification's status, or any of its channels'. */
  readonly status?: string;
  /** ISO 8601: created at or after `since`, at or before `until`. */
  readonly since?: string;
  readonly until?: string;
  /** Where the page before ended: the log time of its last entry. */
  readonly before?: string;
  readonly limit: number;
}

/** Index pages read for one page of the log before it is answered short: a rare filter costs bounded reads. */
const ROUNDS_PER_PAGE = 4;

/**
 * The log a producer searches (domain/notification-log.ts): each partition of the producers' log index (or the
 * person's index) read newest first, merged, and the records read with BatchGetItem, then filtered by type and
 * status. A page may hold fewer than `limit` when a filter passes few, and still say where the next one starts.
 */
export class NotificationLog {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocument,
  ) {}

  async page(query: LogQuery): Promise<{ notifications: NotificationItem[]; next?: string }> {
    const notifications: NotificationItem[] = [];
    let before = query.before;
    for (let round = 0; round < ROUNDS_PER_PAGE; round++) {
      const page = await this.entries(query, before, query.limit - notifications.length);
      const records = await this.records(page.entries);
      notifications.push(...records.filter((record) => matches(record, query)));
      before = page.entries.at(-1)?.logTime ?? before;
      if (!page.more) return { notifications };
      if (notifications.length >= query.limit) break;
    }
    return { notifications, next: before };
  }

  /** The next `limit` entries before `before`, newest first, across every partition the query reads. */
  private async entries(query: LogQuery, before: string | undefined, limit: number) {
    const reads =
      query.userId === undefined
        ? logPartitionsOf(query.producers).map((partition) => this.producerPartition(partition, query, before, limit))
        : [this.personPartition(query.userId, query, before, limit)];
    return mergedPage(await Promise.all(reads), limit, before);
  }

  private async producerPartition(partition: string, query: LogQuery, before: string | undefined, limit: number) {
    const upper = minOf(before, query.until === undefined ? undefined : `${query.until}#~`);
    const range = keyRange('log_time', query.since, upper);
    const answer = await this.client.query({
      TableName: this.tableName,
      IndexName: NOTIFICATIONS_BY_PRODUCER_INDEX,
      KeyConditionExpression: ['log_partition = :partition', ...range.conditions].join(' AND '),
      ExpressionAttributeValues: { ':partition': partition, ...range.values },
      ScanIndexForward: false,
      Limit: limit,
    });
    const entries = (answer.Items ?? []).map((item) => ({
      notificationId: idOf(item),
      logTime: String(item.log_time),
    }));
    return { entries, more: answer.LastEvaluatedKey !== undefined };
  }

  /** A person's index is sorted by time alone: ties at the page's edge are read again and dropped by the merge. */
  private async personPartition(userId: string, query: LogQuery, before: string | undefined, limit: number) {
    const beforeTime = before?.split('#')[0];
    const range = keyRange('created_at', query.since, minOf(beforeTime, query.until));
    const answer = await this.client.query({
      TableName: this.tableName,
      IndexName: NOTIFICATIONS_BY_USER_INDEX,
      KeyConditionExpression: ['user_id = :user', ...range.conditions].join(' AND '),
      ExpressionAttributeValues: { ':user': userId, ...range.values },
      ScanIndexForward: false,
      Limit: limit + TIE_SLACK,
    });
    const entries = (answer.Items ?? []).map((item) => ({
      notificationId: idOf(item),
      logTime: logTimeOf(String(item.created_at), idOf(item)),
    }));
    return { entries, more: answer.LastEvaluatedKey !== undefined };
  }

  /** The records of the entries, in the entries' order (one erased meanwhile is left out). */
  private async records(entries: readonly LogEntry[]): Promise<NotificationItem[]> {
    if (entries.length === 0) return [];
    const keys = entries.map(({ notificationId }) => ({
      pk: `${NOTIFICATION_KEY_PREFIX}${notificationId}`,
      sk: NOTIFICATION_RECORD_SORT_KEY,
    }));
    // The index is read eventually; the records need not be read strongly.
    const items = (await batchGetAll(this.client, this.tableName, keys, {
      consistentRead: false,
    })) as unknown as NotificationItem[];
    const byId = new Map(items.map((item) => [item.notification_id, item]));
    return entries.flatMap(({ notificationId }) => byId.get(notificationId) ?? []);
  }
}

/** Entries of a person's index read past a page's limit, for the ties at its edge (made in the same millisecond). */
const TIE_SLACK = 25;

/**
 * A sort key's range, both ends included (the merge drops the entry the page before ended at): `since` to `upper`,
 * either left open.
 */
function keyRange(attribute: string, since: string | undefined, upper: string | undefined) {
  const conditions =
    since !== undefined && upper !== undefined
      ? [`${attribute} BETWEEN :since AND :upper`]
      : since !== undefined
        ? [`${attribute} >= :since`]
        : upper !== undefined
          ? [`${attribute} <= :upper`]
          : [];
  const values: Record<string, string> = {
    ...(since === undefined ? {} : { ':since': since }),
    ...(upper === undefined ? {} : { ':upper': upper }),
  };
  return { conditions, values };
}

const idOf = (item: Record<string, unknown>) => String(item.pk).slice(NOTIFICATION_KEY_PREFIX.length);

function minOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

function matches(record: NotificationItem, query: LogQuery): boolean {
  if (!query.anyProducer && !query.producers.includes(record.producer)) return false;
  if (query.type !== undefined && record.type !== query.type) return false;
  if (query.status === undefined) return true;
  return (
    record.status === query.status ||
    Object.values(record.channels ?? {}).some((state) => state?.status === query.status)
  );
}
