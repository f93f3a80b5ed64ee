import { BroadcastProgressStore } from '../shared/adapters/broadcast-progress.js';
import { NotificationLog } from '../shared/adapters/notification-log.js';
import { type NotificationItem, NotificationsStore } from '../shared/adapters/notifications-store.js';
import { documentClient } from '../shared/aws/dynamodb.js';
import { hasScope } from '../shared/domain/producer.js';
import { invalidRequest, notFound } from '../shared/http/api-error.js';
import { operationsHandler } from '../shared/http/operation-handler.js';
import { producerNames } from '../shared/http/producer.js';
import { json } from '../shared/http/responses.js';
import { ENV, requiredEnv } from '../shared/platform/environment.js';
import { pageCursor } from '../shared/schemas/paging.js';

const notificationsTable = requiredEnv(ENV.notificationsTable);
const notifications = new NotificationsStore(notificationsTable, documentClient);
const broadcasts = new BroadcastProgressStore(notificationsTable, documentClient);
const log = new NotificationLog(notificationsTable, documentClient);

/** An instant as the records write theirs (toISOString), so that it compares with them as text. */
const normalized = (instant: string | undefined) =>
  instant === undefined ? undefined : new Date(instant).toISOString();

/** The request and where each channel stands; and the log of a producer's notifications. */
export const handler = operationsHandler({
  listNotifications: async ({ producer, query }) => {
    const [since, until] = [normalized(query.since), normalized(query.until)];
    if (since !== undefined && until !== undefined && since > until)
      throw invalidRequest([{ field: 'since', message: 'must not be after until' }]);
    const readAll = hasScope(producer, 'notifications:read_all');
    const page = await log.page({
      producers: readAll ? producerNames() : [producer.name],
      anyProducer: readAll,
      userId: query.user_id,
      type: query.type,
      status: query.status,
      since,
      until,
      before: query.cursor?.before,
      limit: query.limit,
    });
    return json(200, {
      notifications: page.notifications.map((item) => ({
        ...identityOf(item),
        kind: item.kind,
        topic: item.topic,
        broadcast_id: item.broadcast_id,
        digest_id: item.digest_id,
        channels: Object.fromEntries(
          Object.entries(item.channels ?? {}).map(([channel, state]) => [
            channel,
            { status: state?.status, reason: state?.reason },
          ]),
        ),
      })),
      ...(page.next === undefined ? {} : { next_cursor: pageCursor({ before: page.next }) }),
    });
  },
  getNotification: async ({ producer, path: { notification_id } }) => {
    const item = await notifications.find(notification_id);
    // Another producer's notification is answered exactly as one that does not exist: its id reveals nothing.
    if (!item || (item.producer !== producer.name && !hasScope(producer, 'notifications:read_all')))
      throw notFound(`notification ${notification_id}`);
    const channels = Object.fromEntries(
      Object.entries(item.channels).map(([channel, state]) => {
        // What the platform keeps for itself: when ingest queued the job, which events it has counted already.
        const { enqueued_at: _queuedAt, event_keys: _seen, ...visible } = state ?? {};
        return [channel, visible];
      }),
    );
    return json(200, {
      ...identityOf(item),
      send_at: item.send_at,
      dispatched_at: item.dispatched_at,
      cancel_key: item.cancel_key,
      cancelled_at: item.cancelled_at,
      cancel_reason: item.cancel_reason,
      digest_id: item.digest_id,
      topic: item.topic,
      broadcast_id: item.broadcast_id,
      ...(item.kind === 'digest' ? { digest: digestOf(item) } : {}),
      ...(item.kind === 'broadcast' ? { broadcast: await broadcasts.progressOf(notification_id) } : {}),
      channels,
    });
  },
});

/** What every answer says of a notification first: whose, what, when, and where it stands. */
function identityOf(item: NotificationItem) {
  return {
    notification_id: item.notification_id,
    user_id: item.user_id,
    type: item.type,
    producer: item.producer,
    created_at: item.created_at,
    status: item.status ?? statusOfChannels(item),
  };
}

/** A record made before notifications had a status of their own: queued when any channel was sent on. */
function statusOfChannels(item: NotificationItem): 'queued' | 'suppressed' {
  return Object.values(item.channels).some((state) => state?.status !== 'skipped') ? 'queued' : 'suppressed';
}

/** A digest's members: each one's id, those cancelled before it went left out. */
function digestOf(item: NotificationItem): { members: string[]; count: number } {
  const cancelled = item.cancelled_members ?? new Set<string>();
  const members = (item.members ?? []).map((member) => member.notification_id).filter((id) => !cancelled.has(id));
  return { members, count: members.length };
}
