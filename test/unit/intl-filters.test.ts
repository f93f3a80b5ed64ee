import { describe, expect, it } from 'vitest';
import { htmlLiquid, textLiquid } from '../../lambdas/shared/templates/liquid-engine.js';
import { renderLiquid } from '../../lambdas/shared/templates/render-in-process.js';

const render = (source: string, payload: Record<string, unknown>, locale?: string) =>
  renderLiquid(textLiquid, 'sms.body', source, payload, locale);

describe('the Intl-backed filters', () => {
  it('write dates, numbers and money as the locale reads them', async () => {
    const payload = { at: '2026-11-26T18:30:00Z', total: 1234.5 };

    expect(await render('{{ at | local_date }}', payload, 'de-DE')).toBe('26.11.2026');
    expect(await render('{{ at | local_date: "long" }}', payload, 'en-US')).toBe('November 26, 2026');
    expect(await render('{{ at | local_datetime: "short", "Europe/Berlin" }}', payload, 'de')).toBe('26.11.26, 19:30');
    expect(await render('{{ total | local_number }}', payload, 'de-DE')).toBe('1.234,5');
    // Austria groups thousands with a (no-break) space, as CLDR says.
    expect(await render('{{ total | local_number }}', payload, 'de-AT')).toBe('1\u00a0234,5');
    // (Intl puts a no-break space between the amount and its currency.)
    expect(await render('{{ total | money: "EUR" }}', payload, 'de-DE')).toBe('1.234,50\u00a0€');
    expect(await render('{{ total | money: "EUR" }}', payload, 'en-GB')).toBe('€1,234.50');
    expect(await render('{{ total | money: "BRL" }}', payload, 'pt-BR')).toBe('R$\u00a01.234,50');
  });

  it('use English without a locale, or with one Intl cannot read', async () => {
    expect(await render('{{ total | local_number }}', { total: 1234.5 })).toBe('1,234.5');
    expect(await render('{{ total | local_number }}', { total: 1234.5 }, 'not a locale')).toBe('1,234.5');
  });

  it('write what is not a date or a number as it is, escaped in HTML', async () => {
    expect(await render('{{ at | local_date }}/{{ n | money: "EUR" }}', { at: 'soon', n: 'free' }, 'de')).toBe(
      'soon/free',
    );
    expect(await renderLiquid(htmlLiquid, 'email.body', '{{ at | local_date }}', { at: '<b>' }, 'de')).toBe(
      '&lt;b&gt;',
    );
  });

  it('fail the render, naming the field, on a currency or time zone that does not exist', async () => {
    await expect(render('{{ n | money: "EURO" }}', { n: 1 }, 'de')).rejects.toMatchObject({ field: 'sms.body' });
    await expect(
      render('{{ at | local_date: "long", "Mars/Base" }}', { at: '2026-01-01' }, 'de'),
    ).rejects.toMatchObject({
      field: 'sms.body',
    });
  });

  it('leave the payload its own names: the locale is no variable of the template', async () => {
    expect(await render('[{{ __locale }}{{ locale }}]', {}, 'de')).toBe('[]');
  });
});
