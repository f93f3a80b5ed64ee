import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke, onlyScopeKey, TEST_KEYS } from '../../support/api-gateway.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let preferences: Parameters<typeof invoke>[0];
let contacts: Parameters<typeof invoke>[0];

beforeAll(async () => {
  platform = await provisionTestPlatform('preferences');
  ({ handler: preferences } = await import('../../../lambdas/preferences/handler.js'));
  ({ handler: contacts } = await import('../../../lambdas/contacts/handler.js'));
});
afterAll(() => platform.remove());

const getPreferences = (userId: string) =>
  invoke(preferences, {
    operation: 'getPreferences',
    pathParameters: { user_id: userId },
    apiKeyId: onlyScopeKey('users:read'),
  });
const putPreferences = (
  userId: string,
  body: unknown,
  extra: { headers?: Record<string, string>; apiKeyId?: string } = {},
) =>
  invoke(preferences, {
    operation: 'putPreferences',
    pathParameters: { user_id: userId },
    body,
    ...extra,
  });
const putContacts = (userId: string, body: unknown) =>
  invoke(contacts, {
    operation: 'putContacts',
    pathParameters: { user_id: userId },
    body,
  });

const nightOwl = {
  email: true,
  sms: false,
  push: true,
  quiet_hours: { start: '22:00', end: '07:00', timezone: 'Europe/Berlin' },
};

describe('GET and PUT /v1/preferences/{user_id}', () => {
  it('gives a user never seen the defaults: every channel on, no quiet hours', async () => {
    const answer = await getPreferences(`new-${randomUUID()}`);

    expect(answer.statusCode).toBe(200);
    expect(answer.json).toEqual({
      email: true,
      sms: true,
      push: true,
      quiet_hours: null,
      categories: {},
      unsubscribed: [],
    });
  });

  it('stores the document, quiet hours holding back SMS and push by default, and reads it back', async () => {
    const userId = `user-${randomUUID()}`;

    const saved = await putPreferences(userId, nightOwl);

    // A client that knows nothing of categories keeps working: it gets them back, empty.
    const expected = {
      ...nightOwl,
      quiet_hours: { ...nightOwl.quiet_hours, channels: ['sms', 'push'] },
      categories: {},
      unsubscribed: [],
    };
    expect(saved.statusCode).toBe(200);
    expect(saved.json).toEqual(expected);
    expect((await getPreferences(userId)).json).toEqual(expected);
  });

  it.each([
    [{ ...nightOwl, quiet_hours: { ...nightOwl.quiet_hours, timezone: 'Mars/Olympus_Mons' } }, 'quiet_hours.timezone'],
    [{ ...nightOwl, quiet_hours: { ...nightOwl.quiet_hours, start: '24:00' } }, 'quiet_hours.start'],
    [{ ...nightOwl, quiet_hours: { ...nightOwl.quiet_hours, end: '22:00' } }, 'quiet_hours.end'],
    [{ ...nightOwl, quiet_hours: { ...nightOwl.quiet_hours, channels: ['sms', 'sms'] } }, 'quiet_hours.channels'],
    [{ ...nightOwl, quiet_hours: { ...nightOwl.quiet_hours, channels: ['fax'] } }, 'quiet_hours.channels.0'],
    [{ ...nightOwl, sms: 'no' }, 'sms'],
    [{ email: true, sms: true, quiet_hours: null }, 'push'],
    [{ ...nightOwl, pager: true }, 'pager'],
    [{ ...nightOwl, categories: { newsletters: { email: false } } }, 'categories.newsletters'],
    [{ ...nightOwl, categories: { security: { email: false } } }, 'categories.security.email'],
    [{ ...nightOwl, categories: { marketing: { fax: false } } }, 'categories.marketing.fax'],
    [{ ...nightOwl, categories: { marketing: { sms: 'yes' } } }, 'categories.marketing.sms'],
    [{ ...nightOwl, categories: { 'Bad Name': {} } }, 'categories.Bad Name'],
  ])('refuses %j naming %s, and changes nothing', async (body, field) => {
    const userId = `user-${randomUUID()}`;

    const answer = await putPreferences(userId, body);

    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.code).toBe('invalid_request');
    expect(answer.json.error.details.map((detail: { field: string }) => detail.field)).toContain(field);
    expect((await getPreferences(userId)).json.quiet_hours).toBeNull();
  });

  it("stores the person's choices per category and reads them back; a required one may be said on", async () => {
    const userId = `user-${randomUUID()}`;
    const choices = { marketing: { email: false, sms: true }, orders: { push: false }, security: { email: true } };

    const saved = await putPreferences(userId, { ...nightOwl, quiet_hours: null, categories: choices });

    expect(saved.statusCode).toBe(200);
    expect((await getPreferences(userId)).json).toEqual({
      ...nightOwl,
      quiet_hours: null,
      categories: choices,
      unsubscribed: [],
    });
  });

  it('leaves the choices per category as they are when a PUT leaves them out, and takes a GET answer back as it is', async () => {
    const userId = `user-${randomUUID()}`;
    await putPreferences(userId, { ...nightOwl, categories: { orders: { sms: false } } });

    const seed = await putPreferences(userId, { ...nightOwl, push: false });
    const roundTrip = await putPreferences(userId, (await getPreferences(userId)).json);

    expect(seed.json.categories).toEqual({ orders: { sms: false } });
    expect(roundTrip.statusCode).toBe(200);
    expect(roundTrip.json).toMatchObject({ push: false, categories: { orders: { sms: false } } });
  });

  it('names every category and the required one when refusing, e.g. security turned off', async () => {
    const answer = await putPreferences(`user-${randomUUID()}`, {
      ...nightOwl,
      categories: { security: { email: false, push: false } },
    });

    expect(answer.json.error.details).toEqual([
      {
        field: 'categories.security.email',
        message: 'security is required and cannot be turned off; turn email off as a whole instead',
      },
      {
        field: 'categories.security.push',
        message: 'security is required and cannot be turned off; turn push off as a whole instead',
      },
    ]);
  });

  it('refuses malformed JSON, a body that is not JSON, and a bad user id', async () => {
    const malformed = await putPreferences('u1', '{"email": true,');
    const notJson = await putPreferences('u1', 'email=true', { headers: { 'Content-Type': 'text/plain' } });
    const badUser = await putPreferences('not a valid id!', nightOwl);

    expect(malformed.statusCode).toBe(400);
    expect(malformed.json.error.code).toBe('malformed_json');
    expect(notJson.statusCode).toBe(415);
    expect(badUser.json.error.details[0].field).toBe('user_id');
  });

  it('needs the preferences:write scope to change preferences', async () => {
    const answer = await putPreferences('u2', nightOwl, { apiKeyId: TEST_KEYS.orderService });

    expect(answer.statusCode).toBe(403);
    expect(answer.json.error.code).toBe('missing_scope');
  });

  it('refuses a key that belongs to no producer', async () => {
    const answer = await invoke(preferences, {
      operation: 'getPreferences',
      pathParameters: { user_id: 'u3' },
      apiKeyId: TEST_KEYS.unowned,
    });

    expect(answer.statusCode).toBe(403);
  });
});

describe('PUT /v1/users/{user_id}/contacts', () => {
  it('stores the contacts and replaces them as a whole on the next PUT', async () => {
    const userId = `user-${randomUUID()}`;

    const first = await putContacts(userId, {
      email_address: 'ada@example.com',
      phone_number: '+4915112345678',
      locale: 'de-DE',
    });
    const second = await putContacts(userId, { email_address: 'ada@example.org' });

    expect(first.statusCode).toBe(200);
    expect(first.json).toEqual({
      user_id: userId,
      email_address: 'ada@example.com',
      phone_number: '+4915112345678',
      locale: 'de-DE',
    });
    expect(second.json).toEqual({ user_id: userId, email_address: 'ada@example.org' });
  });

  it.each([
    [{ phone_number: '015112345678' }, 'phone_number'],
    [{ phone_number: '+0123456' }, 'phone_number'],
    [{ phone_number: '+1234567890123456' }, 'phone_number'],
    [{ email_address: 'not-an-address' }, 'email_address'],
    [{ locale: 'not a locale' }, 'locale'],
    [{ fax: '+4930123456' }, 'fax'],
  ])('refuses %j naming %s', async (body, field) => {
    const answer = await putContacts(`user-${randomUUID()}`, body);

    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.details[0].field).toBe(field);
  });
});
