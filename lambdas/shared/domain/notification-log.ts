/**
 * The log a producer searches (GET /v1/notifications): its notifications newest first. Pure: where a record sits in
 * the log's index, and how the pages of several of the index's partitions are merged into one. The adapter
 * (adapters/notification-log.ts) reads the index and the records.
 *
 * A producer's notifications are spread over LOG_SHARDS partitions of the index (by their id), so that a producer
 * sending a thousand a second writes no one partition of it past DynamoDB's limit (1,000 writes a second a partition);
 * a page reads every shard and merges them.
 */

/** The partitions a producer's log is spread over. */
export const LOG_SHARDS = 4;

/** Where a notification sits in the log: its producer's shard, and its time (ties broken by its id). */
export function logKeyOf(producer: string, notificationId: string, createdAt: string) {
  const shard = Number.parseInt(notificationId.replace(/-/g, '').slice(-4), 16) % LOG_SHARDS;
  return {
    log_partition: `${producer}#${Number.isNaN(shard) ? 0 : shard}`,
    log_time: logTimeOf(createdAt, notificationId),
  };
}

/** A record's place in the log's order: its creation time, then its id. */
export function logTimeOf(createdAt: string, notificationId: string): string {
  return `${createdAt}#${notificationId}`;
}

/** Every partition of the producers' logs. */
export function logPartitionsOf(producers: readonly string[]): string[] {
  return producers.flatMap((producer) => Array.from({ length: LOG_SHARDS }, (_, shard) => `${producer}#${shard}`));
}

/** One entry read from a partition: a notification's id and its place in the log. */
export interface LogEntry {
  readonly notificationId: string;
  readonly logTime: string;
}

/**
 * The newest `limit` entries of partitions each read newest first, strictly before `before`; and whether any partition
 * may hold more after them (it was cut short, or entries were left over).
 */
export function mergedPage(
  partitions: readonly { readonly entries: readonly LogEntry[]; readonly more: boolean }[],
  limit: number,
  before?: string,
): { entries: LogEntry[]; more: boolean } {
  const all = partitions
    .flatMap(({ entries }) => entries)
    .filter((entry) => before === undefined || entry.logTime < before)
    .sort((a, b) => (a.logTime < b.logTime ? 1 : a.logTime > b.logTime ? -1 : 0));
  const entries = all.slice(0, limit);
  return { entries, more: all.length > limit || partitions.some((partition) => partition.more) };
}
