/**
 * The preference page a person reaches from an email: their categories by channel (required ones shown, not
 * switchable) and quiet hours, as a plain form. Pure: the model in, the HTML out. No script, no framework: it works
 * with a keyboard and a screen reader (a fieldset and legend per category, a label per control, the natural focus
 * order) and on a phone (one column, large targets). Everything shown is escaped.
 */
import { createHash } from 'node:crypto';
import { CHANNELS, type Channel } from '../channels/registry.js';
import type { CategoryCatalogue } from '../shared/domain/categories.js';
import type { Language } from '../shared/domain/language.js';
import type { Preferences } from '../shared/domain/preferences.js';
import { escapeHtml } from '../shared/http/escape-html.js';
import { PAGE_TEXT } from './page-text.js';

export interface PreferencePageModel {
  readonly language: Language;
  readonly catalogue: CategoryCatalogue;
  readonly preferences: Preferences;
  /** `<category>/<channel>` the person unsubscribed from by a link. */
  readonly unsubscribed: ReadonlySet<string>;
  /** The category and channel of the link they came from: shown first. */
  readonly from: { readonly category: string; readonly channel: Channel };
  /** The form's CSRF field. */
  readonly csrf: string;
  /**
   * Set for a link past the age that may change anything (this many days): the page may only turn things off, so what
   * is off and quiet hours are shown but not changeable.
   */
  readonly unsubscribeOnlyAfterDays?: number;
  readonly notice?: 'saved' | 'unsubscribed';
  /** What was wrong with the form just posted, shown above it. */
  readonly problem?: string;
  readonly timeZones: readonly string[];
}

const STYLE = `
  :root { color-scheme: light; }
  body { font: 1.05rem/1.5 system-ui, sans-serif; margin: 0; color: #1b1b1f; background: #f6f6f8; }
  main { max-width: 38rem; margin: 0 auto; padding: 1.25rem; }
  h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; hyphens: auto; overflow-wrap: break-word; }
  fieldset { background: #fff; border: 1px solid #c8c8d0; border-radius: 0.5rem; margin: 0 0 1rem; padding: 0.75rem 1rem; min-width: 0; }
  legend { font-weight: 600; padding: 0 0.25rem; }
  .channels { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; margin-top: 0.25rem; }
  label { display: inline-flex; align-items: center; gap: 0.5rem; min-height: 2.75rem; }
  input[type=checkbox] { width: 1.4rem; height: 1.4rem; flex: none; }
  input, select, button { font: inherit; }
  .zone { display: flex; flex-wrap: wrap; }
  .zone select { flex: 1 1 12rem; min-width: 0; }
  select, input[type=time] { min-height: 2.75rem; padding: 0 0.5rem; border: 1px solid #6b6b76; border-radius: 0.375rem; }
  .note { color: #44444e; margin: 0.25rem 0 0; }
  .notice { background: #e7f5ec; border: 1px solid #1f7a45; border-radius: 0.5rem; padding: 0.75rem 1rem; }
  .problem { background: #fdecec; border: 1px solid #a61b1b; border-radius: 0.5rem; padding: 0.75rem 1rem; }
  button { background: #1d4ed8; color: #fff; border: 0; border-radius: 0.5rem; padding: 0.75rem 1.5rem; min-height: 2.75rem; }
  :focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
`;

/** Only this page's own style: no script, nothing loaded, the form posted to this same URL only. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Cache-Control': 'no-store',
  // Not no-referrer: a form posted under it says Origin: null, which the CSRF check refuses. The token in the URL
  // still never leaves for another site.
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

export function preferencePage(model: PreferencePageModel): string {
  const text = PAGE_TEXT[model.language];
  // The category the link was for first, then the rest in the installation's order.
  const names = Object.keys(model.catalogue.categories).sort(
    (a, b) => Number(b === model.from.category) - Number(a === model.from.category),
  );
  const categories = names.map((name) => categoryFieldset(model, name)).join('\n');
  const quiet = model.preferences.quiet_hours;
  const zone = quiet?.timezone ?? 'UTC';
  const zones = model.timeZones.includes(zone) ? model.timeZones : [zone, ...model.timeZones];
  return page(
    model.language,
    text.title,
    `${model.notice ? `<p class="notice" role="status">${escapeHtml(text[model.notice])}</p>` : ''}
${model.problem ? `<p class="problem" role="alert">${escapeHtml(model.problem)}</p>` : ''}
<p>${escapeHtml(text.intro)}</p>
${model.unsubscribeOnlyAfterDays === undefined ? '' : `<p class="note" role="note">${escapeHtml(text.unsubscribeOnly(model.unsubscribeOnlyAfterDays))}</p>`}
<form method="post">
<input type="hidden" name="csrf" value="${escapeHtml(model.csrf)}">
${categories}
<fieldset${model.unsubscribeOnlyAfterDays === undefined ? '' : ' disabled'}>
<legend>${escapeHtml(text.quietHours)}</legend>
<label><input type="checkbox" name="quiet" ${quiet ? 'checked' : ''}> ${escapeHtml(text.quietOn)}</label>
<div class="channels">
<label>${escapeHtml(text.from)} <input type="time" name="quiet_start" value="${escapeHtml(quiet?.start ?? '22:00')}"></label>
<label>${escapeHtml(text.until)} <input type="time" name="quiet_end" value="${escapeHtml(quiet?.end ?? '07:00')}"></label>
</div>
<label class="zone">${escapeHtml(text.timeZone)} <select name="quiet_timezone">${zones
      .map((name) => `<option${name === zone ? ' selected' : ''}>${escapeHtml(name)}</option>`)
      .join('')}</select></label>
<p class="note">${escapeHtml(text.quietNote)}</p>
</fieldset>
<button type="submit">${escapeHtml(text.save)}</button>
</form>`,
  );
}

function categoryFieldset(model: PreferencePageModel, name: string): string {
  const text = PAGE_TEXT[model.language];
  const category = model.catalogue.categories[name];
  if (!category) return '';
  const choices = model.preferences.categories[name] ?? {};
  const boxes = CHANNELS.map((channel) => {
    const on =
      category.required ||
      (!model.unsubscribed.has(`${name}/${channel}`) && (choices[channel] ?? category.defaults[channel]));
    // An old link may turn a category off, never back on.
    const locked = model.unsubscribeOnlyAfterDays !== undefined;
    const attributes = category.required ? 'checked disabled' : on ? 'checked' : locked ? 'disabled' : '';
    return `<label><input type="checkbox" name="${escapeHtml(`${name}.${channel}`)}" ${attributes}> ${escapeHtml(text.channels[channel as Channel] ?? channel)}</label>`;
  }).join('\n');
  const off = CHANNELS.filter((channel) => !model.preferences[channel]);
  return `<fieldset>
<legend>${escapeHtml(category.labels[model.language] ?? category.label)}</legend>
<div class="channels">
${boxes}
</div>
${category.required ? `<p class="note">${escapeHtml(text.required)}</p>` : ''}${off.length > 0 ? `<p class="note">${escapeHtml(text.masterOff(off.map((channel) => text.channels[channel] ?? channel)))}</p>` : ''}
</fieldset>`;
}

/** A page with one message: a link that is not valid, nothing left to change. */
export function messagePage(language: Language, title: string, message: string): string {
  return page(language, title, `<p>${escapeHtml(message)}</p>`);
}

function page(language: Language, title: string, body: string): string {
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`;
}
