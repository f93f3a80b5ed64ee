/**
 * What a provider says happened to a message after it took it, and the order in which that may be believed. Events
 * arrive late, twice and out of order (SES and Twilio both say so): a status only ever moves forward, so a late
 * Delivery never overwrites a Bounce, and a duplicate changes nothing.
 */

/** The statuses a provider's events set, after the worker's `sent`. */
export const PROVIDER_OUTCOMES = ['delayed', 'delivered', 'bounced', 'rejected', 'undelivered', 'complained'] as const;
export type ProviderOutcome = (typeof PROVIDER_OUTCOMES)[number];

/**
 * How far along each status is. `delayed` may still end either way; `delivered` may still be followed by a bounce (an
 * asynchronous one) or a complaint (a person marked it as spam), which outrank it; a complaint is the last word.
 * The worker's own ends (`skipped`, `failed`) are never moved by a provider event: nothing was sent.
 */
const RANK: Readonly<Record<string, number>> = {
  queued: 0,
  deferred: 0,
  sending: 1,
  sent: 2,
  delayed: 3,
  delivered: 4,
  bounced: 5,
  rejected: 5,
  undelivered: 5,
  complained: 6,
  skipped: Number.POSITIVE_INFINITY,
  failed: Number.POSITIVE_INFINITY,
};

/** One thing a provider said of a message, as the notification's status shows it. */
export interface ProviderEvent {
  readonly status: ProviderOutcome;
  /** When it happened, as the provider says (ISO 8601). */
  readonly at: string;
  /** Its particulars, e.g. bounce_type and bounce_sub_type, an error code; never an address or content. */
  readonly detail?: Readonly<Record<string, string>>;
}

/** Whether an event saying `next` moves a channel that stands at `current` (undefined: not recorded yet). */
export function movesForward(current: string | undefined, next: ProviderOutcome): boolean {
  const from = current === undefined ? 0 : (RANK[current] ?? Number.POSITIVE_INFINITY);
  return (RANK[next] ?? 0) > from;
}

/** The statuses `next` may replace: for a conditional write that keeps statuses moving forward only. */
export function statusesBefore(next: ProviderOutcome): string[] {
  return Object.entries(RANK)
    .filter(([, rank]) => rank < (RANK[next] ?? 0))
    .map(([status]) => status);
}
