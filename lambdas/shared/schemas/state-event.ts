/**
 * The shape of each state event's detail (domain/state-events.ts), per detail-type: what docs/events/ publishes as
 * JSON Schema (`npm run events:schemas`) and what consumers may rely on within a schema version.
 */
import { CHANNELS } from '../../channels/registry.js';
import { PROVIDER_OUTCOMES } from '../domain/provider-outcome.js';
import { EVENT_SCHEMA_VERSION, NOTIFICATION_EVENT_TYPES, type StateEventType } from '../domain/state-events.js';
import * as z from './zod.js';

const instant = z.iso.datetime({ offset: true });
const id = z.string().check(z.minLength(1));

/** What every event carries, whatever its type. */
const common = {
  schema_version: z.literal(EVENT_SCHEMA_VERSION),
  event_id: z
    .uuid()
    .check(z.describe('The same for the same change, however often it is delivered: deduplicate on it.')),
  occurred_at: instant.check(z.describe('When the change happened.')),
  notification_id: z.uuid(),
  producer: id.check(z.describe('The producer that sent the notification.')),
  notification_type: id,
  category: z.optional(id),
  critical: z.boolean(),
  kind: z.optional(
    z
      .enum(['digest', 'broadcast'])
      .check(z.describe('A notification the platform made of others: a digest (its members name it), or a broadcast.')),
  ),
  user_id: z.optional(id.check(z.describe('The person; absent for a broadcast and once the person was erased.'))),
  topic: z.optional(id),
  broadcast_id: z.optional(z.uuid()),
  digest_id: z.optional(z.uuid()),
};

/**
 * The status an event says: the channel's (a throttled message is skipped), or the notification's; a new notification's
 * is whatever it was accepted as (queued, scheduled, suppressed, digesting, fanning_out).
 */
function statusOf(type: StateEventType) {
  if (type === 'notification.accepted') return id;
  if (type === 'message.throttled') return z.literal('skipped');
  return z.literal(type.slice(type.indexOf('.') + 1));
}

/** Reasons are the platform's own words (no_contact, opted_out, throttled, ...), never a provider's free text. */
const reason = id;

const messageFields = {
  channel: z.enum(CHANNELS),
  provider_message_id: z.optional(id),
};

const PROVIDER_EVENT_TYPES: readonly string[] = PROVIDER_OUTCOMES.map((outcome) => `message.${outcome}`);

/** The detail of one detail-type. */
export function stateEventSchema(type: StateEventType) {
  const event_type = z.literal(type);
  if ((NOTIFICATION_EVENT_TYPES as readonly string[]).includes(type))
    return z.strictObject({
      ...common,
      event_type,
      status: statusOf(type),
      ...(type === 'notification.scheduled' ? { send_at: instant } : {}),
      ...(type === 'notification.cancelled' ? { reason: z.optional(reason) } : {}),
    });
  const withReason = ['message.skipped', 'message.throttled', 'message.failed', 'message.cancelled'];
  return z.strictObject({
    ...common,
    ...messageFields,
    event_type,
    status: statusOf(type),
    ...(withReason.includes(type) ? { reason: type === 'message.cancelled' ? z.optional(reason) : reason } : {}),
    ...(type === 'message.deferred' ? { not_before: instant } : {}),
    ...(PROVIDER_EVENT_TYPES.includes(type) ? { provider_detail: z.optional(z.record(z.string(), z.string())) } : {}),
  });
}
