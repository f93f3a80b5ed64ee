/**
 * A template rendered on this machine as the channel workers render it: the part a person of the locale gets
 * (localizedPart, as every deliverer chooses it), through the channel's own render.ts (renderInProcess, what the
 * workers' render processes run). What the workers add at sending, an email's unsubscribe footer and a text's opt-out
 * line, depends on the installation's settings and the person, and is not shown.
 */
import { CHANNELS, type Channel } from '../lambdas/channels/registry.js';
import type { TemplateItem } from '../lambdas/shared/adapters/templates-store.js';
import { localizedPart } from '../lambdas/shared/delivery/localized-part.js';
import type { TemplateDocument } from '../lambdas/shared/schemas/template.js';
import { TemplateRenderError } from '../lambdas/shared/templates/render.js';
import { renderInProcess } from '../lambdas/shared/templates/render-in-process.js';

export interface RenderedChannel {
  readonly channel: Channel;
  /** What the channel sends, by field (email: subject, html, text); undefined when it did not render. */
  readonly rendered?: Readonly<Record<string, unknown>>;
  /** Why it did not render, naming the field ("email.body: does not render: ..."). */
  readonly error?: string;
}

export interface LocalePreview {
  /** The locale asked for; undefined for the template's default content. */
  readonly asked: string | undefined;
  /** The template's locale a person of `asked` gets, or undefined for its default content. */
  readonly chosen: string | undefined;
  readonly channels: readonly RenderedChannel[];
}

/** Every channel, for the default content and each of the template's locales, or for the one locale asked. */
export async function previewTemplate(
  type: string,
  template: TemplateDocument,
  payload: Record<string, unknown>,
  locale?: string,
): Promise<LocalePreview[]> {
  // The deliverers choose from a stored template; these fields do not take part in the choice.
  const item: TemplateItem = { ...template, type, owner: '', updated_at: '', updated_by: '' };
  const asked = locale === undefined ? [undefined, ...Object.keys(template.locales ?? {}).sort()] : [locale];
  const previews: LocalePreview[] = [];
  for (const personLocale of asked) {
    const channels: RenderedChannel[] = [];
    let chosen: string | undefined;
    for (const channel of CHANNELS) {
      const localized = localizedPart(item, channel, personLocale);
      if (!localized) continue;
      chosen ??= localized.locale;
      try {
        const rendered = await renderInProcess(channel, localized.part, payload, localized.locale);
        channels.push({ channel, rendered: rendered as Record<string, unknown> });
      } catch (error) {
        if (!(error instanceof TemplateRenderError)) throw error;
        channels.push({ channel, error: `${error.field}: ${error.message}` });
      }
    }
    previews.push({ asked: personLocale, chosen, channels });
  }
  return previews;
}

/** The previews as text for a person: one block per locale, one line per field, multi-line values indented. */
export function describePreviews(type: string, previews: readonly LocalePreview[]): string {
  const lines: string[] = [];
  for (const { asked, chosen, channels } of previews) {
    const heading =
      asked === undefined
        ? 'default content'
        : `locale ${asked}${chosen ? (chosen === asked ? '' : ` → ${chosen}`) : ' → default content'}`;
    lines.push(`== ${type}, ${heading} ==`);
    for (const { channel, rendered, error } of channels) {
      if (error !== undefined) {
        lines.push(`${channel}: ERROR ${error}`);
        continue;
      }
      for (const [field, value] of Object.entries(rendered ?? {})) {
        // A body's last line break would print as an empty line.
        const [first = '', ...rest] = String(value).replace(/\n+$/, '').split('\n');
        lines.push(
          `${`${channel}.${field}:`.padEnd(16)}${first}`,
          ...rest.map((line) => `${' '.repeat(16)}${line}`.trimEnd()),
        );
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}
