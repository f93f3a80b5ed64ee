/**
 * Which of a template's locales a person gets: their own (`de-AT`), else its language (`de`), else the template's
 * default. Tags compare without regard to case (BCP 47 says they are case-insensitive). Pure.
 */

/** A BCP 47 language tag as templates and contacts write it: `de`, `de-AT`, `pt-BR`, `zh-Hant-TW`. */
export const LOCALE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/** The tags to try for a person's locale, most specific first: de-AT-x → de-AT → de. */
export function fallbackChain(locale: string | undefined): string[] {
  if (!locale || !LOCALE_TAG.test(locale)) return [];
  const parts = locale.split('-');
  return parts.map((_, index) => parts.slice(0, parts.length - index).join('-'));
}

/** The template's locale a person gets (as the template writes it), or undefined for its default content. */
export function chosenLocale(available: Iterable<string>, locale: string | undefined): string | undefined {
  const byLowerCase = new Map([...available].map((tag) => [tag.toLowerCase(), tag]));
  for (const tag of fallbackChain(locale)) {
    const found = byLowerCase.get(tag.toLowerCase());
    if (found) return found;
  }
  return undefined;
}
