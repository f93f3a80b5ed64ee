/**
 * When a scheduled notification goes out, and how it waits until then. Pure: no AWS import.
 *
 * A send due within DISPATCH_LOOKAHEAD_SECONDS waits on the dispatch queue itself (SQS's DelaySeconds, to the second).
 * One due later waits in the notifications table's due-time index, which the due drain reads every minute: what falls
 * due within the lookahead goes onto the dispatch queue with the rest of its wait as its delay. No message hops through
 * SQS for days, and a schedule a year ahead costs one index entry (docs/scheduling.md compares the choices).
 */

/** SQS's longest DelaySeconds (900), less the drain's interval and a minute's slack for a late drain. */
export const DISPATCH_LOOKAHEAD_SECONDS = 780;

/** How often the due drain runs when deployed (an EventBridge rule); the local runtime runs it more often. */
export const DUE_DRAIN_INTERVAL_SECONDS = 60;

/**
 * The due-time index's partition keys: a schedule goes to one of these by its id, so that a burst of schedules for the
 * same minute spreads over this many partitions (each takes 1,000 writes a second) instead of heating one.
 */
export const DUE_INDEX_SHARDS = 16;

export const DEFAULT_MAX_SCHEDULE_DAYS = 366;

/** Why `sendAt` cannot be scheduled at `now`, or undefined when it can. */
export function scheduleProblem(sendAt: Date, now: Date, maxDaysAhead: number): string | undefined {
  if (Number.isNaN(sendAt.getTime())) return 'must be an RFC 3339 date-time with an offset';
  if (sendAt.getTime() <= now.getTime()) return `must be in the future (it is ${now.toISOString()} now)`;
  const latest = now.getTime() + maxDaysAhead * 86_400_000;
  if (sendAt.getTime() > latest) return `must be at most ${maxDaysAhead} days ahead`;
  return undefined;
}

/** Seconds from `now` until `sendAt`, whole and never negative: a late schedule goes at once. */
export function secondsUntil(sendAt: Date, now: Date): number {
  return Math.max(0, Math.ceil((sendAt.getTime() - now.getTime()) / 1000));
}

/** Whether a send due at `sendAt` waits on the dispatch queue now, rather than in the due-time index. */
export function dueWithinLookahead(sendAt: Date, now: Date): boolean {
  return secondsUntil(sendAt, now) <= DISPATCH_LOOKAHEAD_SECONDS;
}

/** The due-time index partition of a notification: a stable spread of its id over DUE_INDEX_SHARDS. */
export function dueShardOf(notificationId: string, shards = DUE_INDEX_SHARDS): string {
  let hash = 0;
  for (const character of notificationId) hash = (hash * 31 + (character.codePointAt(0) ?? 0)) >>> 0;
  return dueShard(hash % shards);
}

export function dueShard(index: number): string {
  return `due#${index}`;
}
