import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smsWording } from '../../../lambdas/channels/sms/channel.js';
import { validatePlatformSettings } from '../../../lib/settings.js';
import config from '../../../platform.config.js';
import { invoke, TEST_KEYS } from '../../support/api-gateway.js';
import { HOSTILE_TEMPLATES, PAYLOAD_BOMB } from '../../support/hostile-templates.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let handler: Parameters<typeof invoke>[0];

beforeAll(async () => {
  platform = await provisionTestPlatform('templates', {
    // The shipped wording (lib/settings.ts): a text of a category a person may leave ends with its opt-out line.
    SMS_WORDING: JSON.stringify(smsWording(validatePlatformSettings(structuredClone(config)).sms)),
  });
  ({ handler } = await import('../../../lambdas/templates/handler.js'));
});
afterAll(() => platform.remove());

const orderShipped = {
  email: { subject: 'Order {{ order_id }} shipped', body: '<p>Hi {{ name | escape }}, it is on its way.</p>' },
  sms: { body: 'Order {{ order_id }} shipped' },
};

const put = (type: string, body: unknown, apiKeyId: string = TEST_KEYS.admin) =>
  invoke(handler, { operation: 'putTemplate', pathParameters: { type }, body, apiKeyId });
const get = (type: string) =>
  invoke(handler, {
    operation: 'getTemplate',
    pathParameters: { type },
    apiKeyId: TEST_KEYS.orderService,
  });

describe('PUT and GET /v1/templates/{type}', () => {
  it('stores a template and reads it back, not critical unless said', async () => {
    const saved = await put('order_shipped', orderShipped);

    expect(saved.statusCode).toBe(200);
    expect(saved.json).toMatchObject({ type: 'order_shipped', critical: false, ...orderShipped });
    const read = await get('order_shipped');
    expect(read.statusCode).toBe(200);
    expect(read.json).toEqual(saved.json);
  });

  it('keeps the category it names, and otherwise gives it one: the first required for a critical type, the default', async () => {
    const marketing = await put(`news-${randomUUID().slice(0, 8)}`, { category: 'marketing', sms: { body: 'Sale!' } });
    const critical = await put(`reset-${randomUUID().slice(0, 8)}`, { critical: true, sms: { body: 'Code' } });
    const plain = await put(`plain-${randomUUID().slice(0, 8)}`, { sms: { body: 'Hi' } });

    expect([marketing.json.category, critical.json.category, plain.json.category]).toEqual([
      'marketing',
      'security',
      'orders',
    ]);
  });

  it.each([
    [
      { category: 'newsletters', sms: { body: 'x' } },
      'is not a category; the categories are security, orders, marketing',
    ],
    [
      { critical: true, category: 'marketing', sms: { body: 'x' } },
      'a critical type must belong to a required category (security): a person could turn marketing off',
    ],
  ])('refuses %j naming its category, and stores nothing', async (body, message) => {
    const type = `bad-${randomUUID().slice(0, 8)}`;

    const answer = await put(type, body);

    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.details).toEqual([{ field: 'category', message }]);
    expect((await get(type)).statusCode).toBe(404);
  });

  it.each([
    ['a non-critical type into the required category', { category: 'security', sms: { body: 'Sale!' } }, 'category'],
    ['a critical type (which is always in one)', { critical: true, sms: { body: 'Code {{ code }}' } }, 'critical'],
  ])('lets only an admin put %s: 403 missing_scope naming admin, and nothing stored', async (_, body, field) => {
    const type = `marketing.${randomUUID().slice(0, 8)}`;

    const refused = await put(type, body, TEST_KEYS.marketing);

    expect(refused.statusCode).toBe(403);
    expect(refused.json.error).toMatchObject({
      code: 'missing_scope',
      message: expect.stringContaining('lacks the scope admin'),
      details: [{ field, message: expect.stringContaining('security') }],
    });
    expect((await get(type)).statusCode).toBe(404);
    // The same from an admin, and the owner's own template in a category it may leave.
    expect((await put(type, body)).statusCode).toBe(200);
    expect(
      (
        await put(
          `marketing.${randomUUID().slice(0, 8)}`,
          { category: 'marketing', sms: { body: 'Sale!' } },
          TEST_KEYS.marketing,
        )
      ).statusCode,
    ).toBe(200);
  });

  it('refuses a text that cannot take the opt-out line it must end with, within Twilio’s 1,600 characters', async () => {
    const type = `news-${randomUUID().slice(0, 8)}`;
    // Shipped wording: texts of a category a person may leave end with "Reply STOP to opt out." (22 characters).
    const long = 'x'.repeat(1_590);

    const leavable = await put(type, { category: 'marketing', sms: { body: long } });
    const required = await put(`reset-${randomUUID().slice(0, 8)}`, { critical: true, sms: { body: long } });

    expect(leavable.statusCode).toBe(400);
    expect(leavable.json.error.details).toEqual([
      {
        field: 'sms.body',
        message: expect.stringMatching(/1590 characters, and with the opt-out line 1613.*even over an empty payload/),
      },
    ]);
    expect((await get(type)).statusCode).toBe(404);
    // A critical text carries no opt-out line: it fits.
    expect(required.statusCode).toBe(200);
  });

  it('refuses a push that would be shortened every time, past the 4 KB APNs and FCM take, naming the locale', async () => {
    const answer = await put(`push-${randomUUID().slice(0, 8)}`, {
      push: { title: 'Hi', body: 'Short' },
      locales: { de: { push: { title: 'Hallo', body: 'ü'.repeat(2_100) } } },
    });

    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.details.map((detail: { field: string }) => detail.field)).toEqual([
      'locales.de.push.body',
    ]);
  });

  it('refuses a template that does not compile, naming the part, and stores nothing', async () => {
    const answer = await put('broken', {
      email: { subject: 'Hi {{ name', body: 'ok' },
      sms: { body: '{{ x | nosuch }}' },
    });

    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.code).toBe('invalid_template');
    expect(answer.json.error.details.map((detail: { field: string }) => detail.field)).toEqual([
      'email.subject',
      'sms.body',
    ]);
    expect((await get('broken')).statusCode).toBe(404);
  });

  it('refuses templates that would read other templates or files', async () => {
    const answer = await put('sneaky', { sms: { body: '{% include "/etc/passwd" %}' } });

    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.details[0]).toMatchObject({ field: 'sms.body' });
    expect(answer.json.error.details[0].message).toContain('not allowed');
  });

  it('names unknown fields, a template with no channel and a bad type', async () => {
    const unknownField = await put('t1', { sms: { body: 'x', sender: 'me' } });
    const noChannel = await put('t2', { critical: true });
    const badType = await put('Not A Type', orderShipped);

    expect(unknownField.json.error.details).toEqual([{ field: 'sms.sender', message: 'is not a known field' }]);
    expect(noChannel.statusCode).toBe(400);
    expect(noChannel.json.error.message).toContain('at least one of email, sms, push');
    expect(badType.statusCode).toBe(400);
    expect(badType.json.error.details[0].field).toBe('type');
  });

  it('needs the templates:write scope to save, and none to read', async () => {
    const refused = await put('order_shipped', orderShipped, TEST_KEYS.orderService);

    expect(refused.statusCode).toBe(403);
    expect(refused.json.error.code).toBe('missing_scope');
    expect((await get('order_shipped')).statusCode).toBe(200);
  });

  it.each(Object.entries(HOSTILE_TEMPLATES))(
    'refuses %s with 400 at PUT, naming the part and the limit, and stores nothing',
    async (_name, body) => {
      const type = `hostile_${Math.random().toString(36).slice(2, 8)}`;

      const answer = await put(type, { sms: { body } });

      expect(answer.statusCode).toBe(400);
      expect(answer.json.error.code).toBe('invalid_template');
      expect(answer.json.error.details[0].field).toMatch(/^sms/);
      expect(answer.json.error.details[0].message).toMatch(/exceeds the render limits/);
      expect((await get(type)).statusCode).toBe(404);
    },
  );

  it('accepts a template whose cost depends on the payload: the send is where it is bounded', async () => {
    expect((await put('payload_bomb', { sms: { body: PAYLOAD_BOMB.template } })).statusCode).toBe(200);
  });

  it('answers 404 for a type that has no template', async () => {
    const answer = await get('never_saved');

    expect(answer.statusCode).toBe(404);
    expect(answer.json.error.code).toBe('not_found');
  });
});

describe('a template in several languages', () => {
  const german = {
    sms: { body: 'Hallo' },
    locales: { de: { sms: { body: 'Bestellung {{ n | local_number }}' } }, 'pt-BR': { sms: { body: 'Olá' } } },
  };

  it('keeps its locales and reads them back', async () => {
    const type = `lang-${randomUUID().slice(0, 8)}`;

    const saved = await put(type, german);

    expect(saved.statusCode).toBe(200);
    expect((await get(type)).json.locales).toEqual(german.locales);
  });

  it.each([
    [{ sms: { body: 'x' }, locales: { 'not a tag': { sms: { body: 'y' } } } }, 'locales.not a tag'],
    [{ sms: { body: 'x' }, locales: { de: { push: { title: 't', body: 'b' } } } }, 'locales.de.push'],
    [{ sms: { body: 'x' }, locales: { de: { sms: { body: '{{ x' } } } }, 'locales.de.sms.body'],
    [{ sms: { body: 'x' }, locales: { de: { fax: {} } } }, 'locales.de.fax'],
  ])('refuses %j naming %s, and stores nothing', async (body, field) => {
    const type = `bad-${randomUUID().slice(0, 8)}`;

    const answer = await put(type, body);

    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.details.map((detail: { field: string }) => detail.field)).toContain(field);
    expect((await get(type)).statusCode).toBe(404);
  });
});
