import type { DeliveryJob, WebhookDeliveries } from '../shared/adapters/webhook-deliveries.js';
import type { WebhooksStore } from '../shared/adapters/webhooks-store.js';
import { STATE_EVENT_TYPES, type StateEvent } from '../shared/domain/state-events.js';
import { DELIVERY_LANES, laneOf, type WebhookEndpoint, wantsEvent } from '../shared/domain/webhooks.js';

/** How long a producer's endpoints are read from memory: a new endpoint receives events within this. */
export const ENDPOINTS_CACHE_MS = 10_000;

/** An event as EventBridge hands it to a target. */
export interface BusEnvelope {
  readonly 'detail-type'?: string;
  readonly detail?: StateEvent;
}

/** The state event an envelope carries, or undefined when it carries none the platform published. */
export function stateEventOf(envelope: unknown): StateEvent | undefined {
  const detail = (envelope as BusEnvelope | undefined)?.detail;
  if (typeof detail !== 'object' || detail === null) return undefined;
  if (typeof detail.event_id !== 'string' || typeof detail.producer !== 'string') return undefined;
  return STATE_EVENT_TYPES.includes(detail.event_type) ? detail : undefined;
}

/**
 * The fan-out of state events to webhooks: each event becomes one delivery job per endpoint of its producer that wants
 * its type, on the lane the endpoint's health says (prompt, or slow for one failing or slow). A producer's endpoints
 * are read once per ENDPOINTS_CACHE_MS, not once per event.
 */
export class WebhookFanOut {
  private readonly cache = new Map<string, { readonly endpoints: WebhookEndpoint[]; readonly until: number }>();

  constructor(
    private readonly store: Pick<WebhooksStore, 'endpointsOf'>,
    private readonly deliveries: Pick<WebhookDeliveries, 'send'>,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Queues the events' deliveries; answers how many. Throws when some could not be queued (the batch comes back). */
  async fanOut(events: readonly StateEvent[]): Promise<number> {
    const jobs = new Map(DELIVERY_LANES.map((lane) => [lane, [] as DeliveryJob[]]));
    for (const event of events) {
      for (const endpoint of await this.endpointsOf(event.producer)) {
        if (!wantsEvent(endpoint, event.event_type)) continue;
        jobs.get(laneOf(endpoint))?.push({
          endpoint_id: endpoint.endpointId,
          producer: event.producer,
          attempt: 1,
          event,
        });
      }
    }
    let queued = 0;
    for (const [lane, laneJobs] of jobs) {
      if (laneJobs.length === 0) continue;
      await this.deliveries.send(lane, laneJobs);
      queued += laneJobs.length;
    }
    return queued;
  }

  private async endpointsOf(producer: string): Promise<WebhookEndpoint[]> {
    const cached = this.cache.get(producer);
    if (cached && cached.until > this.clock()) return cached.endpoints;
    const endpoints = await this.store.endpointsOf(producer);
    this.cache.set(producer, { endpoints, until: this.clock() + ENDPOINTS_CACHE_MS });
    return endpoints;
  }
}
