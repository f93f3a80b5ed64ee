/**
 * What a person says themselves on their preference page is their own word, like a one-click unsubscribe or a STOP: no
 * producer's preference write undoes it, only the person does. Through the real handlers: the page's form (consent),
 * a producer's PUT (preferences), and what ingest then decides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersStore } from '../../../lambdas/shared/adapters/users-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { signConsentToken } from '../../../lambdas/shared/domain/consent-token.js';
import { OPERATIONS } from '../../../lambdas/shared/platform/operations.js';
import { proxyEvent } from '../../../local/api-gateway-emulation.js';
import { invoke, lambdaContext, TEST_KEYS } from '../../support/api-gateway.js';
import { TEST_CONSENT_KEYS } from '../../support/categories.js';
import { type ControlPlane, createUser, loadControlPlane, saveTemplate } from '../../support/platform-fixtures.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

type Handler = Parameters<typeof invoke>[0];

let platform: TestPlatform;
let plane: ControlPlane;
let ingest: Handler;
let consent: Handler;
let users: UsersStore;

beforeAll(async () => {
  platform = await provisionTestPlatform('own-word');
  plane = await loadControlPlane();
  users = new UsersStore(platform.resources.tables.users, documentClient);
  ({ handler: ingest } = await import('../../../lambdas/ingest/handler.js'));
  ({ handler: consent } = await import('../../../lambdas/consent/handler.js'));
  await saveTemplate(plane, 'marketing.weekly', {
    category: 'marketing',
    email: { subject: 'This week', body: '<p>News</p>' },
  });
});
afterAll(() => platform.remove());

const SEED = { email: true, sms: true, push: true, quiet_hours: null };

/** The person's page, opened from a link of theirs, saved with these boxes ticked. */
async function saveOnTheirPage(userId: string, ticked: string[]): Promise<number> {
  const generation = await users.linkGeneration({ user_id: userId });
  const token = signConsentToken(
    { userId, category: 'marketing', channel: 'email', issuedAt: Math.floor(Date.now() / 1000), generation },
    TEST_CONSENT_KEYS,
  );
  const request = (method: 'GET' | 'POST', body: string | null, headers: Record<string, string> = {}) => {
    const { path } = OPERATIONS.getPreferencePage;
    return consent(
      proxyEvent({
        method,
        resource: path,
        path: path.replace('{token}', token),
        pathParameters: { token },
        headers,
        body,
        apiKeyId: '',
      }),
      lambdaContext('test'),
    );
  };
  const page = await request('GET', null);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const cookie = String(page.headers?.['Set-Cookie'] ?? '').split(';')[0] ?? '';
  const form = new URLSearchParams([['csrf', csrf], ...ticked.map((box): [string, string] => [box, 'on'])]);
  const saved = await request('POST', form.toString(), {
    'Content-Type': 'application/x-www-form-urlencoded',
    Cookie: cookie,
  });
  return saved.statusCode;
}

const marketingEmail = async (userId: string) => {
  const answer = await invoke(ingest, {
    operation: 'sendNotification',
    body: { user_id: userId, type: 'marketing.weekly', payload: {} },
    apiKeyId: TEST_KEYS.admin,
  });
  return answer.json.channels.email;
};
const putPreferences = (userId: string, body: object) =>
  invoke(plane.preferences, { operation: 'putPreferences', pathParameters: { user_id: userId }, body });

describe('a category the person turned off on their page', () => {
  it("stays off after a producer's PUT of the four seed fields, and after one that says it is on", async () => {
    const userId = await createUser(plane, { phone: false, device: false });
    expect(await marketingEmail(userId)).toEqual({ status: 'queued' });

    expect(await saveOnTheirPage(userId, ['orders.email'])).toBe(200);
    const seeded = await putPreferences(userId, SEED);
    const afterSeed = await marketingEmail(userId);
    const overruled = await putPreferences(userId, { ...SEED, categories: { marketing: { email: true } } });
    const afterOverrule = await marketingEmail(userId);

    expect(seeded.statusCode).toBe(200);
    expect(afterSeed).toEqual({ status: 'skipped', reason: 'unsubscribed' });
    expect(overruled.json.categories.marketing).toMatchObject({ email: false });
    expect(overruled.json.unsubscribed).toContain('marketing/email');
    expect(afterOverrule).toEqual({ status: 'skipped', reason: 'unsubscribed' });
  });

  it('is turned back on by the person, on their page, and then a producer may turn it off again', async () => {
    const userId = await createUser(plane, { phone: false, device: false });
    await saveOnTheirPage(userId, ['orders.email']);

    expect(await saveOnTheirPage(userId, ['orders.email', 'marketing.email'])).toBe(200);
    const backOn = await marketingEmail(userId);
    await putPreferences(userId, { ...SEED, categories: { marketing: { email: false } } });

    expect(backOn).toEqual({ status: 'queued' });
    expect(await marketingEmail(userId)).toEqual({ status: 'skipped', reason: 'category_opted_out' });
  });
});
