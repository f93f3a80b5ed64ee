import { htmlToText } from '../../shared/templates/html-to-text.js';
import { htmlLiquid, textLiquid } from '../../shared/templates/liquid-engine.js';
import type { TemplatePart } from '../../shared/templates/render.js';
import { renderLiquid } from '../../shared/templates/render-in-process.js';

export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  /** The plain-text alternative: what the HTML part shows, as text. */
  readonly text: string;
}

/** An email: its subject on one line, its body as HTML (payload values escaped) and as the text the HTML shows. */
export async function render(
  part: TemplatePart,
  payload: Record<string, unknown>,
  locale?: string,
): Promise<RenderedEmail> {
  const subject = await renderLiquid(textLiquid, 'email.subject', part.subject ?? '', payload, locale);
  const html = await renderLiquid(htmlLiquid, 'email.body', part.body ?? '', payload, locale);
  // Converting the escaped HTML, rather than an unescaped render, shows a payload's "a<b" or "&lt;" as the HTML
  // part does, instead of reading it as markup.
  return { subject: oneHeaderLine(subject), html, text: htmlToText(html) };
}

/** A line break in a header would start a header of the payload's choosing. */
function oneHeaderLine(subject: string): string {
  return subject.replace(/\s*[\r\n\u0085\u2028\u2029]+\s*/g, ' ').trim();
}
