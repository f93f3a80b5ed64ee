import type { Channel } from '../../channels/registry.js';
import type { NotificationItem } from '../adapters/notifications-store.js';
import type { ProviderEvent } from '../domain/provider-outcome.js';
import { countWith } from '../observability.js';

/**
 * Counts a provider's outcome (ProviderOutcomes) by channel, outcome, producer and notification type, and a bounce by
 * its type too: when the bounce or complaint rate climbs, this says which service and which message cause it.
 */
export function countOutcome(
  channel: Channel,
  event: Pick<ProviderEvent, 'status' | 'detail'>,
  notification: Pick<NotificationItem, 'producer' | 'type'>,
): void {
  countWith('ProviderOutcomes', {
    channel,
    outcome: event.status,
    producer: notification.producer,
    notification_type: notification.type,
    ...(event.detail?.bounce_type ? { bounce_type: event.detail.bounce_type } : {}),
  });
}
