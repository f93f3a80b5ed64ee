import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chosenLocale, fallbackChain } from '../../lambdas/shared/domain/locale.js';

describe('locale fallback', () => {
  it('goes from the most specific tag to the language', () => {
    expect(fallbackChain('de-AT')).toEqual(['de-AT', 'de']);
    expect(fallbackChain('zh-Hant-TW')).toEqual(['zh-Hant-TW', 'zh-Hant', 'zh']);
    expect(fallbackChain('de')).toEqual(['de']);
    expect(fallbackChain(undefined)).toEqual([]);
    expect(fallbackChain('not a locale!')).toEqual([]);
  });

  it('picks de-AT, then de, then the default', () => {
    expect(chosenLocale(['de', 'de-AT', 'pt-BR'], 'de-AT')).toBe('de-AT');
    expect(chosenLocale(['de', 'pt-BR'], 'de-AT')).toBe('de');
    expect(chosenLocale(['de', 'pt-BR'], 'fr-FR')).toBeUndefined();
    expect(chosenLocale(['pt-BR'], 'pt')).toBeUndefined();
    expect(chosenLocale(['de'], undefined)).toBeUndefined();
  });

  it('compares tags without regard to case, and answers the template’s own spelling', () => {
    expect(chosenLocale(['pt-BR'], 'PT-br')).toBe('pt-BR');
    expect(chosenLocale(['DE'], 'de-at')).toBe('DE');
  });

  it('only ever picks a locale the template has, and one the person’s locale begins with', () => {
    const tag = fc.stringMatching(/^[a-z]{2}(-[A-Z]{2})?$/);
    fc.assert(
      fc.property(fc.array(tag, { maxLength: 5 }), fc.option(tag, { nil: undefined }), (available, wanted) => {
        const chosen = chosenLocale(available, wanted);
        if (chosen === undefined) return;
        expect(available).toContain(chosen);
        expect(`${wanted}-`.toLowerCase().startsWith(`${chosen}-`.toLowerCase())).toBe(true);
      }),
    );
  });
});
