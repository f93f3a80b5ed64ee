import type { Channel } from '../../channels/registry.js';
import type { TemplateItem } from '../adapters/templates-store.js';
import { chosenLocale } from '../domain/locale.js';
import type { TemplatePart } from '../templates/render.js';

/**
 * A channel's part of the template in the person's language: their locale's, else its language's, else the default
 * (lambdas/shared/domain/locale.ts). `locale` names the one chosen, for the status; none for the default. Undefined
 * when the template has no part for the channel.
 */
export function localizedPart(
  template: TemplateItem,
  channel: Channel,
  personLocale: string | undefined,
): { readonly part: TemplatePart; readonly locale?: string } | undefined {
  const fallback = template[channel] as TemplatePart | undefined;
  if (!fallback) return undefined;
  const locales = Object.entries(template.locales ?? {}).filter(([, parts]) => parts[channel] !== undefined);
  const locale = chosenLocale(
    locales.map(([tag]) => tag),
    personLocale,
  );
  const part = locale ? (template.locales?.[locale]?.[channel] as TemplatePart | undefined) : undefined;
  return part && locale ? { part, locale } : { part: fallback };
}
