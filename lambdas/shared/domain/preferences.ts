import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../../channels/registry.js';
import type { CategoryChoices } from './categories.js';

/**
 * A window of the day, in the user's own time zone, during which non-critical messages on `channels`
 * wait until the window ends. `start` and `end` are "HH:MM" (24-hour); the window may cross midnight.
 */
export interface QuietHours {
  readonly start: string;
  readonly end: string;
  /** An IANA time zone name, e.g. "Europe/Berlin". */
  readonly timezone: string;
  readonly channels: readonly Channel[];
}

/**
 * What a user has said about being contacted: a master switch per channel, their choices per category (each channel on
 * or off; what they have not chosen follows the category's default), and quiet hours. Honoured whoever sends.
 */
export type Preferences = { readonly [Name in Channel]: boolean } & {
  readonly quiet_hours: QuietHours | null;
  readonly categories: CategoryChoices;
};

/** A user the platform has never seen can be reached on every channel, at any hour. */
export const DEFAULT_PREFERENCES: Preferences = {
  ...(Object.fromEntries(CHANNELS.map((channel) => [channel, true])) as Record<Channel, boolean>),
  quiet_hours: null,
  categories: {},
};

/** The channels quiet hours hold back when the person names none: by default SMS and push, not email. */
export const DEFAULT_QUIET_CHANNELS: readonly Channel[] = CHANNELS.filter(
  (channel) => CHANNEL_DEFINITIONS[channel].quietByDefault,
);
