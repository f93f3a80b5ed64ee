/**
 * What the preference page's form says, read into preferences. Pure. A checkbox is sent when ticked and left out
 * when not, so every channel of every category the person may switch is set by the form; a required category is never
 * read from it (it cannot be turned off), and a field the page did not draw is ignored.
 */
import { CHANNELS, type Channel } from '../channels/registry.js';
import type { CategoryCatalogue } from '../shared/domain/categories.js';
import { DEFAULT_QUIET_CHANNELS, type Preferences } from '../shared/domain/preferences.js';
import { isClockTime, isValidTimeZone } from '../shared/domain/quiet-hours.js';

export type FormReading =
  | {
      readonly preferences: Preferences;
      /** `<category>/<channel>` turned back on: no longer unsubscribed. */
      readonly resubscribed: readonly string[];
    }
  | { readonly problem: 'bad_time' | 'bad_time_zone' };

export function readPreferenceForm(
  form: Readonly<Record<string, string>>,
  current: Preferences,
  catalogue: CategoryCatalogue,
): FormReading {
  const categories: Record<string, Partial<Record<Channel, boolean>>> = { ...current.categories };
  const resubscribed: string[] = [];
  for (const [name, category] of Object.entries(catalogue.categories)) {
    if (category.required) continue;
    const choices: Partial<Record<Channel, boolean>> = {};
    for (const channel of CHANNELS) {
      const on = Object.hasOwn(form, `${name}.${channel}`);
      choices[channel] = on;
      if (on) resubscribed.push(`${name}/${channel}`);
    }
    categories[name] = choices;
  }
  let quietHours: Preferences['quiet_hours'] = null;
  if (Object.hasOwn(form, 'quiet')) {
    const start = form.quiet_start ?? '';
    const end = form.quiet_end ?? '';
    const timezone = form.quiet_timezone ?? '';
    if (!isClockTime(start) || !isClockTime(end) || start === end) return { problem: 'bad_time' };
    if (!isValidTimeZone(timezone)) return { problem: 'bad_time_zone' };
    quietHours = { start, end, timezone, channels: current.quiet_hours?.channels ?? [...DEFAULT_QUIET_CHANNELS] };
  }
  return { preferences: { ...current, categories, quiet_hours: quietHours }, resubscribed };
}
