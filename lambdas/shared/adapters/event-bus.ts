import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type StateEvent } from '../domain/state-events.js';

/** PutEvents takes at most ten entries a call. */
const ENTRIES_PER_CALL = 10;

export interface EventBusOptions {
  /** Calls made for one set of entries before the rest is given up to the caller (which retries the whole later). */
  readonly attempts?: number;
  readonly sleep?: (milliseconds: number) => Promise<void>;
}

/** The events of entries PutEvents refused: throttled, or the bus failing. */
export class EventsNotPublishedError extends Error {
  override readonly name = 'EventsNotPublishedError';
  constructor(
    readonly unpublished: readonly StateEvent[],
    readonly errorCodes: readonly string[],
  ) {
    super(`${unpublished.length} events were not published (${[...new Set(errorCodes)].join(', ')})`);
  }
}

/**
 * The stack's event bus. PutEvents answers per entry: an entry it refused (throttled, an internal error) is sent
 * again, alone with the others refused, with backoff; what is still refused after the attempts is thrown, so that the
 * caller's source (the table's stream) gives it again. An event published twice keeps its `event_id`.
 */
export class EventBus {
  private readonly attempts: number;
  private readonly sleep: (milliseconds: number) => Promise<void>;

  constructor(
    private readonly busName: string,
    private readonly client: Pick<EventBridgeClient, 'send'>,
    options: EventBusOptions = {},
  ) {
    this.attempts = options.attempts ?? 4;
    this.sleep = options.sleep ?? ((milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)));
  }

  /** Publishes `events` ten to a call, in their order. */
  async publish(events: readonly StateEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += ENTRIES_PER_CALL)
      await this.publishCall(events.slice(start, start + ENTRIES_PER_CALL));
  }

  private async publishCall(events: readonly StateEvent[]): Promise<void> {
    let pending = events;
    let errorCodes: string[] = [];
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (attempt > 1) await this.sleep(100 * 2 ** (attempt - 2) * (0.5 + Math.random()));
      const { Entries = [], FailedEntryCount = 0 } = await this.client.send(
        new PutEventsCommand({ Entries: pending.map((event) => this.entryOf(event)) }),
      );
      if (FailedEntryCount === 0) return;
      // Entries answer in the order they were sent; a refused one has an ErrorCode and no EventId.
      errorCodes = Entries.flatMap((entry) => (entry.ErrorCode ? [entry.ErrorCode] : []));
      pending = pending.filter((_, index) => Entries[index]?.ErrorCode !== undefined || !Entries[index]?.EventId);
      if (pending.length === 0) return;
    }
    throw new EventsNotPublishedError(pending, errorCodes);
  }

  private entryOf(event: StateEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.busName,
      Source: EVENT_SOURCE,
      DetailType: event.event_type,
      Time: new Date(event.occurred_at),
      Detail: JSON.stringify(event),
    };
  }
}
