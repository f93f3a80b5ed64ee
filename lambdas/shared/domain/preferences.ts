import type { Channel } from './channel.js';

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

/** What a user has said about being contacted. One document, honoured whoever sends. */
export interface Preferences {
  readonly email: boolean;
  readonly sms: boolean;
  readonly push: boolean;
  readonly quiet_hours: QuietHours | null;
}

/** A user the platform has never seen can be reached on every channel, at any hour. */
export const DEFAULT_PREFERENCES: Preferences = { email: true, sms: true, push: true, quiet_hours: null };

/** An email does not wake anyone: by default quiet hours hold back only SMS and push. */
export const DEFAULT_QUIET_CHANNELS: readonly Channel[] = ['sms', 'push'];
