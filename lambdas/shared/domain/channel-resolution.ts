import type { Reachability } from '../../channels/channel-definition.js';
import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../../channels/registry.js';
import { type CategoryCatalogue, categoryAllows } from './categories.js';
import type { Preferences } from './preferences.js';
import { quietHoursEnd } from './quiet-hours.js';

export type { Reachability };

export type SkipReason =
  | 'not_in_template'
  | 'unsubscribed'
  | 'opted_out'
  | 'category_opted_out'
  | 'no_contact'
  | 'suppressed'
  | 'throttled';

export type ChannelDecision =
  | { readonly status: 'queued' }
  | { readonly status: 'deferred'; readonly notBefore: Date }
  | { readonly status: 'skipped'; readonly reason: SkipReason };

export interface ChannelResolutionInput {
  /** Channels the producer asked for; undefined means every channel the template has. */
  readonly requested?: readonly Channel[];
  readonly templateChannels: readonly Channel[];
  readonly critical: boolean;
  /** The type's category (categoryOf) and the catalogue it is in. */
  readonly category: string;
  readonly catalogue: CategoryCatalogue;
  readonly preferences: Preferences;
  /**
   * What the person unsubscribed from themselves, beyond a preference: a channel as a whole (`sms`, by texting STOP)
   * or one category on one channel (`marketing/email`, by an email's unsubscribe link).
   */
  readonly unsubscribed: ReadonlySet<string>;
  readonly reachability: Reachability;
  readonly now: Date;
}

/**
 * Decides, for each channel considered, whether its job is queued now, deferred to the end of quiet hours, or
 * skipped and why.
 */
export function resolveChannels(input: ChannelResolutionInput): Partial<Record<Channel, ChannelDecision>> {
  const considered = input.requested ?? input.templateChannels;
  const quiet = input.preferences.quiet_hours;
  // Critical messages (a password reset, a fraud alert) must arrive while they still matter, even at night.
  const quietUntil = quiet === null || input.critical ? undefined : quietHoursEnd(input.now, quiet);
  const decisions: Partial<Record<Channel, ChannelDecision>> = {};
  for (const channel of CHANNELS) {
    if (!considered.includes(channel)) continue;
    if (!input.templateChannels.includes(channel)) {
      decisions[channel] = { status: 'skipped', reason: 'not_in_template' };
    } else if (input.unsubscribed.has(channel) || input.unsubscribed.has(`${input.category}/${channel}`)) {
      // The person's own STOP or unsubscribe link: no producer's preference write and no message type outranks it.
      decisions[channel] = { status: 'skipped', reason: 'unsubscribed' };
    } else if (!input.preferences[channel]) {
      // An opt-out is the user's word; no message type outranks it.
      decisions[channel] = { status: 'skipped', reason: 'opted_out' };
    } else if (!categoryAllows(input.catalogue, input.category, input.preferences.categories, channel)) {
      // A required category always passes here: only the master switch (or an unsubscribe) stops it.
      decisions[channel] = { status: 'skipped', reason: 'category_opted_out' };
    } else if (!canReach(channel, input.reachability)) {
      decisions[channel] = { status: 'skipped', reason: 'no_contact' };
    } else if (quietUntil !== undefined && quiet?.channels.includes(channel)) {
      decisions[channel] = { status: 'deferred', notBefore: quietUntil };
    } else {
      decisions[channel] = { status: 'queued' };
    }
  }
  return decisions;
}

/**
 * The decisions with every channel whose address is on the suppression list (a hard bounce, a complaint)
 * skipped as `suppressed`: no message type outranks it, a critical one included, since the address cannot or must not
 * receive it.
 */
export function withSuppressions(
  decisions: Partial<Record<Channel, ChannelDecision>>,
  suppressed: ReadonlySet<Channel>,
): Partial<Record<Channel, ChannelDecision>> {
  return Object.fromEntries(
    Object.entries(decisions).map(([channel, decision]) => [
      channel,
      decision && decision.status !== 'skipped' && suppressed.has(channel as Channel)
        ? { status: 'skipped', reason: 'suppressed' }
        : decision,
    ]),
  ) as Partial<Record<Channel, ChannelDecision>>;
}

/** The channels a decision would send on: queued now, or deferred to the end of quiet hours. */
export function channelsToSend(decisions: Partial<Record<Channel, ChannelDecision>>): Channel[] {
  return CHANNELS.filter((channel) => {
    const decision = decisions[channel];
    return decision !== undefined && decision.status !== 'skipped';
  });
}

/** 'queued' when at least one channel is queued or deferred (its job goes to SQS either way), else 'suppressed'. */
export function notificationStatus(decisions: Partial<Record<Channel, ChannelDecision>>): 'queued' | 'suppressed' {
  const sent = Object.values(decisions).some((decision) => decision !== undefined && decision.status !== 'skipped');
  return sent ? 'queued' : 'suppressed';
}

function canReach(channel: Channel, person: Reachability): boolean {
  const definition = CHANNEL_DEFINITIONS[channel];
  if ('reachable' in definition) return definition.reachable(person);
  return Boolean(person.contacts[definition.contact.field]);
}
