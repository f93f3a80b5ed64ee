/**
 * What the preference page's form says, read into preferences. Pure. A checkbox is sent when ticked and left out
 * when not, so every channel of every category the person may switch is set by the form; a required category is never
 * read from it (it cannot be turned off), and a field the page did not draw is ignored.
 */
import { CHANNELS, type Channel } from '../channels/registry.js';
import type { CategoryCatalogue } from '../shared/domain/categories.js';
import { ownWordKey } from '../shared/domain/own-word.js';
import { DEFAULT_QUIET_CHANNELS, type Preferences } from '../shared/domain/preferences.js';
import { isClockTime, isValidTimeZone } from '../shared/domain/quiet-hours.js';

export type FormReading =
  | {
      readonly preferences: Preferences;
      /** `<category>/<channel>` the person left off (their own word) and turned on (no longer unsubscribed). */
      readonly change: { readonly off: readonly string[]; readonly on: readonly string[] };
    }
  | { readonly problem: 'bad_time' | 'bad_time_zone' };

/**
 * `mayTurnOn: false` is a link past the age that may change anything: it may turn categories off, never back on, and
 * leaves quiet hours as they are (a forwarded email's old link may unsubscribe, not re-subscribe).
 */
export function readPreferenceForm(
  form: Readonly<Record<string, string>>,
  current: { readonly preferences: Preferences; readonly ownWord: ReadonlySet<string> },
  catalogue: CategoryCatalogue,
  mayTurnOn: boolean,
): FormReading {
  const categories: Record<string, Partial<Record<Channel, boolean>>> = { ...current.preferences.categories };
  const off: string[] = [];
  const on: string[] = [];
  for (const [name, category] of Object.entries(catalogue.categories)) {
    if (category.required) continue;
    const choices: Partial<Record<Channel, boolean>> = { ...categories[name] };
    for (const channel of CHANNELS) {
      const key = ownWordKey(name, channel);
      const wasOn = !current.ownWord.has(key) && (choices[channel] ?? category.defaults[channel]);
      const ticked = Object.hasOwn(form, `${name}.${channel}`) && (mayTurnOn || wasOn);
      choices[channel] = ticked;
      (ticked ? on : off).push(key);
    }
    categories[name] = choices;
  }
  const quietHours = mayTurnOn ? readQuietHours(form, current.preferences) : current.preferences.quiet_hours;
  if (typeof quietHours === 'string') return { problem: quietHours };
  return { preferences: { ...current.preferences, categories, quiet_hours: quietHours }, change: { off, on } };
}

function readQuietHours(
  form: Readonly<Record<string, string>>,
  current: Preferences,
): Preferences['quiet_hours'] | 'bad_time' | 'bad_time_zone' {
  if (!Object.hasOwn(form, 'quiet')) return null;
  const start = form.quiet_start ?? '';
  const end = form.quiet_end ?? '';
  const timezone = form.quiet_timezone ?? '';
  if (!isClockTime(start) || !isClockTime(end) || start === end) return 'bad_time';
  if (!isValidTimeZone(timezone)) return 'bad_time_zone';
  return { start, end, timezone, channels: current.quiet_hours?.channels ?? [...DEFAULT_QUIET_CHANNELS] };
}
