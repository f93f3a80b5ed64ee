/**
 * What a person said themselves, which no producer's write undoes: one category on one channel (`marketing/email`),
 * turned off by an email's unsubscribe link or left unticked on their own preference page, until they tick it there
 * again; and a channel as a whole (`sms`), turned off by texting STOP, until START. Pure.
 */
import type { Channel } from '../../channels/registry.js';
import type { CategoryChoices } from './categories.js';

/** The key of one category on one channel in the person's own word. */
export function ownWordKey(category: string, channel: Channel): string {
  return `${category}/${channel}`;
}

/**
 * The choices a producer writes, with what the person turned off themselves kept off: a producer may turn a category
 * off, never back on.
 */
export function withOwnWord(choices: CategoryChoices, ownWord: ReadonlySet<string>): CategoryChoices {
  const kept: Record<string, Partial<Record<Channel, boolean>>> = Object.fromEntries(
    Object.entries(choices).map(([category, channels]) => [category, { ...channels }]),
  );
  for (const key of ownWord) {
    const [category, channel] = key.split('/') as [string, Channel | undefined];
    if (channel === undefined) continue;
    kept[category] = { ...kept[category], [channel]: false };
  }
  return kept;
}

/** The person's word after they changed it: what they turned on is theirs again, what they turned off is off. */
export function ownWordAfter(
  ownWord: ReadonlySet<string>,
  change: { readonly off: readonly string[]; readonly on: readonly string[] },
): Set<string> {
  const after = new Set(ownWord);
  for (const key of change.on) after.delete(key);
  for (const key of change.off) after.add(key);
  return after;
}
