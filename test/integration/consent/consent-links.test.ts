/**
 * The consent function against the emulator's users table: the one-click unsubscribe of RFC 8058 and the preference
 * page, each reached with a token signed as the email worker signs it, and refused with any other.
 */
import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preferencesOf, UsersStore, unsubscribesOf } from '../../../lambdas/shared/adapters/users-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { type ConsentGrant, signConsentToken } from '../../../lambdas/shared/domain/consent-token.js';
import { DEFAULT_PREFERENCES } from '../../../lambdas/shared/domain/preferences.js';
import { OPERATIONS } from '../../../lambdas/shared/platform/operations.js';
import { proxyEvent } from '../../../local/api-gateway-emulation.js';
import { lambdaContext } from '../../support/api-gateway.js';
import { TEST_CONSENT_KEYS } from '../../support/categories.js';
import { secretsManager } from '../../support/emulator-clients.js';
import { footprint, provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

type Handler = (
  event: APIGatewayProxyEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

let platform: TestPlatform;
let handler: Handler;
let users: UsersStore;

beforeAll(async () => {
  platform = await provisionTestPlatform('consent');
  users = new UsersStore(platform.resources.tables.users, documentClient);
  ({ handler } = (await import('../../../lambdas/consent/handler.js')) as unknown as { handler: Handler });
});
afterAll(() => platform.remove());

async function person(locale?: string): Promise<string> {
  const userId = `user-${randomUUID()}`;
  await users.replaceContacts(userId, { email_address: `${userId}@example.com`, ...(locale ? { locale } : {}) });
  return userId;
}

/** A link's token as the email worker signs it: under the person's link generation, issued now. */
async function tokenFor(
  userId: string,
  grant: Partial<ConsentGrant> = {},
  keys: { current: string } = TEST_CONSENT_KEYS,
): Promise<string> {
  const generation = (await users.linkGeneration({ user_id: userId })) ?? 'no-one';
  return signConsentToken(
    { userId, category: 'marketing', channel: 'email', issuedAt: nowSeconds(), generation, ...grant },
    keys,
  );
}
const nowSeconds = () => Math.floor(Date.now() / 1000);
const DAY = 24 * 3600;

function call(
  operation: 'unsubscribe' | 'getPreferencePage' | 'savePreferencePage',
  token: string,
  options: { body?: string; contentType?: string; headers?: Record<string, string> } = {},
) {
  const { method, path } = OPERATIONS[operation];
  return handler(
    proxyEvent({
      method,
      resource: path,
      path: path.replace('{token}', token),
      pathParameters: { token },
      headers: {
        ...(options.body !== undefined
          ? { 'Content-Type': options.contentType ?? 'application/x-www-form-urlencoded' }
          : {}),
        ...options.headers,
      },
      body: options.body ?? null,
      apiKeyId: '',
    }),
    lambdaContext('test'),
  );
}

const oneClick = (token: string) => call('unsubscribe', token, { body: 'List-Unsubscribe=One-Click' });

describe('one-click unsubscribe (RFC 8058)', () => {
  it("takes the person out of the link's category on its channel at once, as their own word", async () => {
    const userId = await person();

    const answer = await oneClick(await tokenFor(userId));

    expect(answer).toMatchObject({ statusCode: 200, body: 'You are unsubscribed.' });
    const user = await users.findFresh(userId);
    expect(preferencesOf(user).categories).toEqual({ marketing: { email: false } });
    expect([...unsubscribesOf(user)]).toEqual(['marketing/email']);
    // Nothing else of the person changes.
    expect(user?.email_address).toBe(`${userId}@example.com`);
  });

  it('takes a multipart body too, and a token signed with the previous key (a rotation under way)', async () => {
    const userId = await person();
    const boundary = 'b0undary';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;

    const answer = await call('unsubscribe', await tokenFor(userId, {}, { current: TEST_CONSENT_KEYS.previous }), {
      body,
      contentType: `multipart/form-data; boundary=${boundary}`,
    });

    expect(answer.statusCode).toBe(200);
    expect([...unsubscribesOf(await users.findFresh(userId))]).toEqual(['marketing/email']);
  });

  it.each([
    [
      'a token signed with another key',
      (userId: string) => tokenFor(userId, {}, { current: 'not-the-platforms-key-0000000000000' }),
    ],
    ['a truncated token', async (userId: string) => (await tokenFor(userId)).slice(0, -3)],
    [
      'a token for someone else, edited',
      async (userId: string) =>
        (await tokenFor(userId)).replace(
          /^v1\.[^.]+/,
          `v1.${Buffer.from(JSON.stringify({ u: 'eve', c: 'marketing', ch: 'email', iat: 1 })).toString('base64url')}`,
        ),
    ],
    ['no token at all', async () => 'garbage'],
  ])('refuses %s with 403, and changes nothing', async (_, token) => {
    const userId = await person();
    const before = await footprint(platform);

    const answer = await oneClick(await token(userId));

    expect(answer.statusCode).toBe(403);
    expect(await footprint(platform)).toBe(before);
    expect(unsubscribesOf(await users.findFresh(userId)).size).toBe(0);
  });

  it('changes nothing for a POST that is not a one-click request (a link checker)', async () => {
    const userId = await person();

    const answer = await call('unsubscribe', await tokenFor(userId), { body: '' });

    expect(answer.statusCode).toBe(400);
    expect(unsubscribesOf(await users.findFresh(userId)).size).toBe(0);
  });

  it('answers a person erased since with nothing left to change, creating no one', async () => {
    const userId = `erased-${randomUUID()}`;

    const answer = await oneClick(await tokenFor(userId));

    expect(answer).toMatchObject({ statusCode: 200, body: 'There is nothing left to change.' });
    expect(await users.findFresh(userId)).toBeUndefined();
  });

  it('does nothing for a required category', async () => {
    const userId = await person();

    const answer = await oneClick(await tokenFor(userId, { category: 'security' }));

    expect(answer.statusCode).toBe(200);
    expect(unsubscribesOf(await users.findFresh(userId)).size).toBe(0);
  });
});

describe('the preference page', () => {
  /** The page, and what its form needs to be posted back: the CSRF field and the cookie the page set. */
  async function openPage(token: string) {
    const page = await call('getPreferencePage', token);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const cookie = String(page.headers?.['Set-Cookie'] ?? '').split(';')[0] ?? '';
    return { page, csrf, cookie };
  }

  it('shows the categories by channel, the required one not switchable, in the person’s language', async () => {
    const userId = await person('de-AT');

    const { page, cookie } = await openPage(await tokenFor(userId));

    expect(page.statusCode).toBe(200);
    expect(page.headers?.['Content-Type']).toBe('text/html; charset=utf-8');
    expect(page.headers?.['Content-Security-Policy']).toContain("default-src 'none'");
    expect(page.body).toContain('<html lang="de">');
    expect(page.body).toContain('<legend>Sicherheitswarnungen</legend>');
    expect(page.body).toMatch(/name="security\.email" checked disabled/);
    // Marketing texts wait for a yes; its email is on until turned off.
    expect(page.body).toMatch(/name="marketing\.email" checked>/);
    expect(page.body).toMatch(/name="marketing\.sms" >/);
    expect(cookie).toMatch(/^consent_csrf_[\w-]{16}=/);
    expect(page.headers?.['Set-Cookie']).toContain('SameSite=Strict');
  });

  it('saves what the form says, and a category turned back on is no longer unsubscribed', async () => {
    const userId = await person();
    const token = await tokenFor(userId);
    await oneClick(token);
    const { csrf, cookie } = await openPage(token);
    const form = new URLSearchParams({
      csrf,
      'marketing.email': 'on',
      'marketing.sms': 'on',
      'orders.email': 'on',
      quiet: 'on',
      quiet_start: '21:30',
      quiet_end: '06:45',
      quiet_timezone: 'Europe/Vienna',
    });

    const saved = await call('savePreferencePage', token, { body: form.toString(), headers: { Cookie: cookie } });

    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('Saved.');
    const user = await users.findFresh(userId);
    expect(preferencesOf(user)).toEqual({
      ...DEFAULT_PREFERENCES,
      categories: {
        marketing: { email: true, sms: true, push: false },
        orders: { email: true, sms: false, push: false },
      },
      quiet_hours: { start: '21:30', end: '06:45', timezone: 'Europe/Vienna', channels: ['sms', 'push'] },
    });
    // What they ticked is theirs again; what they left unticked is their own word, which no producer turns on.
    expect(unsubscribesOf(user)).toEqual(new Set(['marketing/push', 'orders/sms', 'orders/push']));
  });

  it.each([
    ['without the CSRF field', { csrf: false, cookie: true, origin: undefined }],
    ['without the cookie the page set', { csrf: true, cookie: false, origin: undefined }],
    ['from another site', { csrf: true, cookie: true, origin: 'https://evil.example' }],
  ])('refuses the form %s, and changes nothing', async (_, how) => {
    const userId = await person();
    const token = await tokenFor(userId);
    const { csrf, cookie } = await openPage(token);
    const before = await footprint(platform);

    const answer = await call('savePreferencePage', token, {
      body: new URLSearchParams({ ...(how.csrf ? { csrf } : {}), 'marketing.sms': 'on' }).toString(),
      headers: { ...(how.cookie ? { Cookie: cookie } : {}), ...(how.origin ? { Origin: how.origin } : {}) },
    });

    expect(answer.statusCode).toBe(403);
    expect(await footprint(platform)).toBe(before);
  });

  it("refuses a form bound to another person's token", async () => {
    const eve = await person();
    const ada = await person();
    const { csrf, cookie } = await openPage(await tokenFor(eve));

    const answer = await call('savePreferencePage', await tokenFor(ada), {
      body: new URLSearchParams({ csrf, 'marketing.sms': 'on' }).toString(),
      headers: { Cookie: cookie },
    });

    expect(answer.statusCode).toBe(403);
  });

  it('shows the form again with what is wrong, saving nothing, for a bad time or time zone', async () => {
    const userId = await person();
    const token = await tokenFor(userId);
    const { csrf, cookie } = await openPage(token);

    const answer = await call('savePreferencePage', token, {
      body: new URLSearchParams({
        csrf,
        quiet: 'on',
        quiet_start: '25:00',
        quiet_end: '06:00',
        quiet_timezone: 'UTC',
      }).toString(),
      headers: { Cookie: cookie },
    });

    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain('Quiet hours need a start and an end time');
    expect((await users.findFresh(userId))?.preferences).toBeUndefined();
  });

  it('answers a forged token with a 403 page, and a person erased since with nothing left to change', async () => {
    const forged = await call(
      'getPreferencePage',
      await tokenFor('someone', {}, { current: 'not-the-platforms-key-0000000000000' }),
    );
    const erased = await call('getPreferencePage', await tokenFor(`erased-${randomUUID()}`));

    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain('This link is not valid');
    expect(erased.statusCode).toBe(200);
    expect(erased.body).toContain('Nothing left to change');
  });
});

describe('what a link may still do as it ages, and for whom', () => {
  const everythingTicked = (csrf: string) =>
    new URLSearchParams({
      csrf,
      'marketing.email': 'on',
      'marketing.sms': 'on',
      'orders.sms': 'on',
      quiet: 'on',
      quiet_start: '20:00',
      quiet_end: '08:00',
      quiet_timezone: 'UTC',
    }).toString();
  async function openPage(token: string) {
    const page = await call('getPreferencePage', token);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const cookie = String(page.headers?.['Set-Cookie'] ?? '').split(';')[0] ?? '';
    return { page, csrf, cookie };
  }

  it('past 30 days: unsubscribes, and the page turns things off but never back on, nor changes quiet hours', async () => {
    const userId = await person();
    await oneClick(await tokenFor(userId));
    const old = await tokenFor(userId, { issuedAt: nowSeconds() - 31 * DAY });

    const { page, csrf, cookie } = await openPage(old);
    const saved = await call('savePreferencePage', old, { body: everythingTicked(csrf), headers: { Cookie: cookie } });
    const unsubscribed = await call(
      'unsubscribe',
      await tokenFor(userId, { channel: 'sms', issuedAt: nowSeconds() - 300 * DAY }),
      {
        body: 'List-Unsubscribe=One-Click',
      },
    );

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('more than 30 days old');
    expect(page.body).toMatch(/name="marketing\.email" disabled/);
    expect(saved.statusCode).toBe(200);
    const user = await users.findFresh(userId);
    // Marketing email stays unsubscribed, orders email (unticked) went off, no quiet hours were set.
    expect(unsubscribesOf(user)).toContain('marketing/email');
    expect(unsubscribesOf(user)).toContain('orders/email');
    expect(preferencesOf(user).quiet_hours).toBeNull();
    expect(unsubscribed.statusCode).toBe(200);
    expect(unsubscribesOf(await users.findFresh(userId))).toContain('marketing/sms');
  });

  it.each([
    ['issued more than a year ago', -366 * DAY],
    ['issued at the epoch', Number.NaN],
    ['issued in the future', 3600],
  ])('refuses a link %s with 410, changing nothing', async (_, age) => {
    const userId = await person();
    const issuedAt = Number.isNaN(age) ? 0 : nowSeconds() + age;
    const token = await tokenFor(userId, { issuedAt });
    const before = await footprint(platform);

    const [oneClickAnswer, pageAnswer] = [await oneClick(token), await call('getPreferencePage', token)];

    expect(oneClickAnswer).toMatchObject({ statusCode: 410, body: 'This link has expired.' });
    expect(pageAnswer.statusCode).toBe(410);
    expect(pageAnswer.body).toContain('This link has expired');
    expect(unsubscribesOf(await users.findFresh(userId)).size).toBe(0);
    expect(await footprint(platform)).toBe(before);
  });

  it('does not let the links of a person erased control the next person given the same id', async () => {
    const userId = await person();
    const earlier = await tokenFor(userId);
    await users.remove(userId);
    await users.replaceContacts(userId, { email_address: 'the-next-person@example.com' });
    await users.linkGeneration({ user_id: userId });
    const before = await footprint(platform);

    const [oneClickAnswer, pageAnswer] = [await oneClick(earlier), await call('getPreferencePage', earlier)];

    expect([oneClickAnswer.statusCode, pageAnswer.statusCode]).toEqual([410, 410]);
    expect(unsubscribesOf(await users.findFresh(userId)).size).toBe(0);
    expect(await footprint(platform)).toBe(before);
    // The new person's own links work.
    expect((await oneClick(await tokenFor(userId))).statusCode).toBe(200);
  });

  it('lets a link of an earlier release (no generation) unsubscribe, and no more', async () => {
    const userId = await person();
    const legacy = signConsentToken(
      { userId, category: 'marketing', channel: 'email', issuedAt: nowSeconds() },
      TEST_CONSENT_KEYS,
    );

    expect((await oneClick(legacy)).statusCode).toBe(200);
    expect((await call('getPreferencePage', legacy)).body).toContain('more than 30 days old');
  });
});

describe('the preference page open in two tabs', () => {
  async function openPage(token: string, cookie?: string) {
    const page = await call('getPreferencePage', token, cookie ? { headers: { Cookie: cookie } } : {});
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const setCookie = String(page.headers?.['Set-Cookie'] ?? '').split(';')[0] ?? '';
    return { csrf, cookie: setCookie };
  }
  const save = (token: string, csrf: string, cookie: string) =>
    call('savePreferencePage', token, {
      body: new URLSearchParams({ csrf, 'orders.email': 'on' }).toString(),
      headers: { Cookie: cookie },
    });

  it("keeps each link's form valid: two links' pages each have a cookie of their own", async () => {
    const userId = await person();
    const [marketing, orders] = [await tokenFor(userId), await tokenFor(userId, { category: 'orders' })];
    const first = await openPage(marketing);
    const second = await openPage(orders);
    // The browser holds both cookies and sends them both.
    const jar = `${first.cookie}; ${second.cookie}`;

    expect(first.cookie.split('=')[0]).not.toBe(second.cookie.split('=')[0]);
    expect((await save(marketing, first.csrf, jar)).statusCode).toBe(200);
    expect((await save(orders, second.csrf, jar)).statusCode).toBe(200);
  });

  it('keeps the first tab of the same link valid after a second opens it', async () => {
    const userId = await person();
    const token = await tokenFor(userId);
    const first = await openPage(token);
    const second = await openPage(token, first.cookie);

    expect(second.cookie).toBe(first.cookie);
    expect((await save(token, first.csrf, second.cookie)).statusCode).toBe(200);
    expect((await save(token, second.csrf, second.cookie)).statusCode).toBe(200);
  });
});

describe('a rotation of the link keys, in Secrets Manager', () => {
  it('takes a link signed with the new key at once, though this instance still held the old one', async () => {
    const [oldKey, newKey] = ['rotation-old-key-000000000000000000000000', 'rotation-new-key-000000000000000000000000'];
    const { ARN } = await secretsManager.send(
      new CreateSecretCommand({
        Name: `it-consent-keys-${randomUUID()}`,
        SecretString: JSON.stringify({ current: oldKey }),
      }),
    );
    process.env.CONSENT_KEYS_SECRET_ARN = ARN;
    try {
      const userId = await person();
      // The instance reads (and caches) the old key.
      expect((await call('getPreferencePage', await tokenFor(userId, {}, { current: oldKey }))).statusCode).toBe(200);
      await secretsManager.send(
        new PutSecretValueCommand({
          SecretId: ARN,
          SecretString: JSON.stringify({ current: newKey, previous: oldKey }),
        }),
      );

      const signedWithNew = await call('getPreferencePage', await tokenFor(userId, {}, { current: newKey }));
      const signedWithOld = await call('getPreferencePage', await tokenFor(userId, {}, { current: oldKey }));

      expect([signedWithNew.statusCode, signedWithOld.statusCode]).toEqual([200, 200]);
    } finally {
      delete process.env.CONSENT_KEYS_SECRET_ARN;
      await secretsManager.send(new DeleteSecretCommand({ SecretId: ARN, ForceDeleteWithoutRecovery: true }));
    }
  });
});
