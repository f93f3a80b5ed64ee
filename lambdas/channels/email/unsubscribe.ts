/**
 * What an email of a category a person may leave carries so that they can leave it: the List-Unsubscribe header with
 * an HTTPS one-click URL (and a mailto, if configured) and List-Unsubscribe-Post (RFC 8058, which Gmail and Yahoo
 * require of bulk senders), and a footer linking to the preference page. The footer links to the page, not to the
 * one-click URL: a GET (a link checker's, a prefetch) must never unsubscribe anyone. Pure.
 */
import type { Language } from '../../shared/domain/language.js';
import { escapeHtml } from '../../shared/http/escape-html.js';
import type { RenderedEmail } from './render.js';

export interface UnsubscribeLinks {
  /** Where a mail provider POSTs List-Unsubscribe=One-Click. */
  readonly oneClick: string;
  /** The person's preference page. */
  readonly page: string;
  readonly mailto?: string;
  /** What the person sees the email is about: the category's label. */
  readonly categoryLabel: string;
  /** The footer's language: the person's. */
  readonly language: Language;
}

export function unsubscribeHeaders(links: UnsubscribeLinks): Record<string, string> {
  const targets = [links.oneClick, ...(links.mailto ? [`mailto:${links.mailto}?subject=unsubscribe`] : [])];
  return {
    'List-Unsubscribe': targets.map((target) => `<${target}>`).join(', '),
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

const FOOTER: Readonly<Record<Language, { about: (label: string) => string; manage: string }>> = {
  en: {
    about: (label: string) => `You receive this because of your settings for: ${label}.`,
    manage: 'Unsubscribe or choose what you receive',
  },
  de: {
    about: (label: string) => `Sie erhalten diese Nachricht wegen Ihrer Einstellung für: ${label}.`,
    manage: 'Abmelden oder auswählen, was Sie erhalten',
  },
};

/** The email with a footer, in both parts, that leads to the preference page. */
export function withUnsubscribeFooter(email: RenderedEmail, links: UnsubscribeLinks): RenderedEmail {
  const text = FOOTER[links.language];
  const about = text.about(links.categoryLabel);
  return {
    ...email,
    html: `${email.html}\n<hr>\n<p style="font-size:12px;color:#555">${escapeHtml(about)} <a href="${escapeHtml(links.page)}">${escapeHtml(text.manage)}</a>.</p>`,
    text: `${email.text}\n\n--\n${about}\n${text.manage}: ${links.page}`,
  };
}
