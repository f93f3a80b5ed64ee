/**
 * Consent through `npm start`, over HTTP only, as a person and a producer see it: a marketing email carries RFC 8058's
 * two headers (LocalStack's SES holds the raw message); POSTing the one-click body to its URL unsubscribes at once;
 * the next marketing email is skipped as `unsubscribed` while a security email still goes out; a forged token is
 * refused. Then the preference page, in headless Chromium, from the link in an email SES holds: a category turned
 * off there is what GET /v1/preferences says.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createNotificationClient, type NotificationClient } from '@notification-platform/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partsOf, type SesRecord } from '../../lambdas/channels/email/outbox.js';
import { launchBrowser } from '../support/browser.js';
import { readFromLocalStack } from '../support/emulator-clients.js';
import { eventually } from '../support/eventually.js';
import { type RunningLocalPlatform, startLocalPlatformProcess } from '../support/local-runtime-process.js';

let platform: RunningLocalPlatform;
let client: NotificationClient;
let browser: Browser;

beforeAll(async () => {
  platform = await startLocalPlatformProcess(['--demo']);
  client = createNotificationClient({ baseUrl: `${platform.url}/v1`, apiKey: 'local-dev-key' });
  browser = await launchBrowser();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  expect(await platform.stop()).toBe(0);
});

/** A person with an email address, sent the demo's marketing email; answers the email as SES holds it. */
async function personSentAnOffer(locale?: string) {
  const userId = `consent-${randomUUID().slice(0, 8)}`;
  await client.putContacts({
    path: { user_id: userId },
    body: { email_address: `${userId}@example.com`, ...(locale ? { locale } : {}) },
  });
  const accepted = await client.sendNotification({
    body: { user_id: userId, type: 'spring_sale', payload: { discount: 30 }, channels: ['email'] },
  });
  expect(accepted.channels.email).toEqual({ status: 'queued' });
  const email = await eventually(
    'the email in SES',
    async () => {
      const sent = (await client.getNotification({ path: { notification_id: accepted.notification_id } })).channels
        .email;
      if (!sent?.provider_message_id) return undefined;
      const { messages } = await readFromLocalStack<{ messages: SesRecord[] }>('SES', '/_aws/ses');
      const record = messages.find((message) => message.Id === sent.provider_message_id);
      return record ? partsOf(record) : undefined;
    },
    { attempts: 80 },
  );
  return { userId, email };
}

const linkIn = (header: string | undefined) => /<(https?:\/\/[^>]+)>/.exec(header ?? '')?.[1] ?? '';

describe('one-click unsubscribe through npm start', () => {
  it('unsubscribes from the marketing email’s own link; the next offer is skipped, a security email still goes out', async () => {
    const { userId, email } = await personSentAnOffer();
    const unsubscribeUrl = linkIn(email.headers?.get('list-unsubscribe'));
    expect(unsubscribeUrl).toMatch(new RegExp(`^${platform.url}/v1/unsubscribe/v1\\.`));
    expect(email.headers?.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');

    // What a mail provider does when the person clicks "Unsubscribe" in its own interface.
    const clicked = await fetch(unsubscribeUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });

    expect(clicked.status).toBe(200);
    expect((await client.getPreferences({ path: { user_id: userId } })).categories).toEqual({
      marketing: { email: false },
    });
    const offer = await client.sendNotification({
      body: { user_id: userId, type: 'spring_sale', payload: {}, channels: ['email'] },
    });
    expect(offer.channels.email).toEqual({ status: 'skipped', reason: 'unsubscribed' });
    const reset = await client.sendNotification({
      body: { user_id: userId, type: 'password_reset', payload: { code: '123456' }, channels: ['email'] },
    });
    expect(reset.channels.email).toEqual({ status: 'queued' });
  });

  it('refuses a forged token with 403, and changes nothing', async () => {
    const { userId, email } = await personSentAnOffer();
    const genuine = linkIn(email.headers?.get('list-unsubscribe'));
    const [prefix, payload] = genuine.split('/unsubscribe/')[1]?.split('.') ?? [];
    const forged = `${genuine.split('/unsubscribe/')[0]}/unsubscribe/${prefix}.${payload}.${'A'.repeat(43)}`;

    const answer = await fetch(forged, {
      method: 'POST',
      body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }),
    });

    expect(answer.status).toBe(403);
    expect((await client.getPreferences({ path: { user_id: userId } })).categories).toEqual({});
  });
});

describe('the preference page, in headless Chromium', () => {
  it('opens from the link in an email, turns a category off, saves, and GET /v1/preferences says so', async () => {
    const { userId, email } = await personSentAnOffer('de-DE');
    const pageUrl = /(https?:\/\/\S+\/consent\/\S+)/.exec(email.text)?.[1] ?? '';
    expect(pageUrl).not.toBe('');
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });

    await page.goto(pageUrl);
    expect(await page.title()).toBe('Ihre Benachrichtigungseinstellungen');
    // Required: shown, not switchable.
    expect(
      await page.getByRole('group', { name: 'Sicherheitswarnungen' }).getByRole('checkbox').first().isDisabled(),
    ).toBe(true);
    const marketingEmail = page
      .getByRole('group', { name: 'Neuigkeiten und Angebote' })
      .getByRole('checkbox', { name: 'E-Mail' });
    expect(await marketingEmail.isChecked()).toBe(true);
    await marketingEmail.uncheck();
    await page.getByRole('checkbox', { name: /Ruhezeiten|zurückhalten/ }).check();
    await page.getByLabel('Zeitzone').selectOption('Europe/Berlin');
    await page.getByRole('button', { name: 'Speichern' }).click();

    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).toContain('Gespeichert');
    const preferences = await client.getPreferences({ path: { user_id: userId } });
    expect(preferences.categories.marketing).toMatchObject({ email: false });
    expect(preferences.quiet_hours).toMatchObject({ start: '22:00', end: '07:00', timezone: 'Europe/Berlin' });
    await page.screenshot({
      path: fileURLToPath(new URL('../../.emulator/preference-page.png', import.meta.url)),
      fullPage: true,
    });
    await page.close();
  });
});
