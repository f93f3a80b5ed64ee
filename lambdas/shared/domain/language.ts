/**
 * The languages the platform's own words are written in (the preference page, an email's footer); a person's locale
 * picks one by its language (de-AT → de), English otherwise. A template's own content follows its locales instead.
 */
export const LANGUAGES = ['en', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

export function languageOf(locale: string | undefined): Language {
  const language = (locale ?? '').split('-')[0]?.toLowerCase() ?? '';
  return (LANGUAGES as readonly string[]).includes(language) ? (language as Language) : 'en';
}
