import { CHANNELS, type Channel } from '../../channels/registry.js';
import type { Language } from './language.js';

/**
 * What a message is about, as a person chooses what to receive: security alerts, their orders, marketing. Each
 * notification type belongs to one category (its template says which); platform.config.ts declares the categories,
 * each with a label, whether a channel is on for a person who has not chosen, and whether it is required: a person
 * cannot turn off a required category (security, legal), only a channel as a whole.
 */
export interface Category {
  readonly label: string;
  /** The label in other languages the platform speaks (`de`: ...), where the installation gives one. */
  readonly labels: Readonly<Partial<Record<Language, string>>>;
  readonly required: boolean;
  /** Whether each channel is on for this category until the person chooses. */
  readonly defaults: Readonly<Record<Channel, boolean>>;
  /** At most `limit` messages of the category in any `windowSeconds`, per person and channel (frequency-caps.ts). */
  readonly throttle?: { readonly limit: number; readonly windowSeconds: number };
}

export interface CategoryCatalogue {
  readonly categories: Readonly<Record<string, Category>>;
  /** The category of a non-critical type whose template names none. */
  readonly defaultCategory: string;
}

/** A category's name: what templates, preferences and links say. */
export const CATEGORY_NAME = /^[a-z][a-z0-9_]{0,31}$/;

/** A person's choices per category: each channel on or off; a channel left out follows the category's default. */
export type CategoryChoices = Readonly<Record<string, Readonly<Partial<Record<Channel, boolean>>>>>;

/**
 * The category a template belongs to: the one it names, or, when it names none (a template saved before categories),
 * the first required category for a critical type and the default category for the rest.
 */
export function categoryOf(
  template: { readonly category?: string; readonly critical: boolean },
  catalogue: CategoryCatalogue,
): string {
  if (template.category) return template.category;
  if (template.critical) return requiredCategories(catalogue)[0] ?? catalogue.defaultCategory;
  return catalogue.defaultCategory;
}

export function requiredCategories(catalogue: CategoryCatalogue): string[] {
  return Object.entries(catalogue.categories)
    .filter(([, category]) => category.required)
    .map(([name]) => name);
}

/**
 * Whether the person's choices let a message of `category` use `channel`. A required category always does; a category
 * the catalogue no longer has (removed since the template was saved) is left to the master switches alone.
 */
export function categoryAllows(
  catalogue: CategoryCatalogue,
  category: string,
  choices: CategoryChoices,
  channel: Channel,
): boolean {
  const known = catalogue.categories[category];
  if (!known || known.required) return true;
  return choices[category]?.[channel] ?? known.defaults[channel];
}

/** Why a person's choices cannot be saved, by field (e.g. `categories.marketing`); none when they can. */
export function choiceProblems(
  catalogue: CategoryCatalogue,
  choices: CategoryChoices,
): { readonly field: string; readonly message: string }[] {
  return Object.entries(choices).flatMap(([name, channels]) => {
    const category = catalogue.categories[name];
    if (!category)
      return [
        {
          field: `categories.${name}`,
          message: `is not a category; the categories are ${Object.keys(catalogue.categories).join(', ')}`,
        },
      ];
    if (!category.required) return [];
    return CHANNELS.filter((channel) => channels[channel] === false).map((channel) => ({
      field: `categories.${name}.${channel}`,
      message: `${name} is required and cannot be turned off; turn ${channel} off as a whole instead`,
    }));
  });
}

/**
 * Whether a message of this type must arrive at once and every time, never capped nor digested: a critical type (a
 * password reset) or one of a required category (a security alert).
 */
export function mustArrive(
  template: { readonly category?: string; readonly critical: boolean },
  catalogue: CategoryCatalogue,
): boolean {
  return template.critical || (catalogue.categories[categoryOf(template, catalogue)]?.required ?? false);
}
