/**
 * The outbox page of `npm start` in headless Chromium, as a developer watches it: it follows each notification by
 * itself (no reload), shows each channel's decision and its provider's events, and narrows to one user.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createNotificationClient, type NotificationClient } from '@notification-platform/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outbox } from '../../local/outbox.js';
import { launchBrowser } from '../support/browser.js';
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
  await platform?.stop();
});

/** Bounded: SES's bounce comes back through LocalStack, SNS and SQS within seconds; the bound only ends a stuck run. */
const FOLLOWING = { attempts: 120, intervalMs: 500 };

/** A channel of a notification as the page shows it now: its status and its timeline, or undefined while absent. */
async function channelOnPage(page: Page, notificationId: string, channel: 'email' | 'sms' | 'push') {
  const section = page.locator(`[id="notification-${notificationId}"] [data-channel="${channel}"]`);
  if ((await section.count()) === 0) return undefined;
  return {
    status: (await section.locator('.status').textContent())?.trim(),
    timeline: (await section.locator('.timeline').textContent()) ?? '',
  };
}

/** The notification of each entry on the page now, in the page's order. */
async function notificationsOnPage(page: Page): Promise<string[]> {
  const ids = await Promise.all(
    (await page.locator('#entries > li.entry').all()).map((entry) => entry.getAttribute('id')),
  );
  return ids.map((id) => (id ?? '').replace(/^notification-/, ''));
}

/** The user of each entry on the page now. */
async function usersOnPage(page: Page): Promise<(string | null)[]> {
  const entries = await page.locator('#entries > li.entry').all();
  return Promise.all(entries.map((entry) => entry.getAttribute('data-user')));
}

describe('the outbox page, in headless Chromium', () => {
  it('shows the rendered subject of an email just sent, and its HTML part framed', async () => {
    const orderId = `A-${randomUUID().slice(0, 6)}`;
    const sent = await fetch(`${platform.url}/v1/notifications`, {
      method: 'POST',
      headers: { 'x-api-key': 'local-dev-key', 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: 'ada', type: 'order_shipped', payload: { order_id: orderId } }),
    });
    expect(sent.status).toBe(202);
    const { notification_id: notificationId } = (await sent.json()) as { notification_id: string };
    const page = await browser.newPage();

    await page.goto(`${platform.url}/_local/outbox`);

    // The page follows by itself: wait for the delivery to show rather than for a fixed time.
    await eventually(
      'the subject on the page',
      async () => ((await page.getByText(`Your order ${orderId} has shipped`).count()) > 0 ? true : undefined),
      FOLLOWING,
    );
    expect(await page.title()).toContain('Outbox');
    const html = page.frameLocator(`[id="notification-${notificationId}"] iframe`).getByText('is on its way');
    await html.waitFor({ timeout: 10_000 });
    await page.close();
  });

  it('follows a notification without a reload: the skipped SMS with its reason, then the bounce as it arrives', async () => {
    const page = await browser.newPage();
    await page.goto(`${platform.url}/_local/outbox`);
    // Gone if the page were loaded again.
    await page.evaluate('window.openedBeforeTheNotification = true');
    const userId = `outbox-${randomUUID().slice(0, 8)}`;
    await client.putContacts({
      path: { user_id: userId },
      body: { email_address: 'bounce@simulator.amazonses.com', phone_number: '+4915112345678' },
    });
    await client.putPreferences({
      path: { user_id: userId },
      body: { email: true, sms: false, push: true, quiet_hours: null },
    });

    const accepted = await client.sendNotification({
      body: { user_id: userId, type: 'order_shipped', payload: { order_id: 'B-1' } },
    });

    const id = accepted.notification_id;
    const email = await eventually(
      'the email bounced on the page',
      async () => {
        // The status and the message it went as arrive on the page in separate refreshes: wait for both.
        const shown = await channelOnPage(page, id, 'email');
        return shown?.status === 'bounced' && shown.timeline.includes('to bounce@simulator') ? shown : undefined;
      },
      FOLLOWING,
    );
    expect(await page.evaluate('window.openedBeforeTheNotification')).toBe(true);
    expect(email.timeline).toMatch(/sent.*to bounce@simulator\.amazonses\.com.*bounced.*bounce_type=Permanent/s);
    const sms = await channelOnPage(page, id, 'sms');
    expect(sms?.status).toBe('skipped');
    expect(sms?.timeline).toContain('opted_out: the person turned this channel off');
    expect((await channelOnPage(page, id, 'push'))?.timeline).toContain('no_contact');
    // Every entry the server lists, new or changed since the page opened, in the server's order.
    await eventually(
      'the page to list what the server lists',
      async () => {
        const { entries } = (await (await fetch(`${platform.url}/_local/outbox`)).json()) as Outbox;
        const listed = entries.map((entry) => entry.notification_id);
        return JSON.stringify(await notificationsOnPage(page)) === JSON.stringify(listed) ? true : undefined;
      },
      FOLLOWING,
    );
    await page.screenshot({
      path: fileURLToPath(new URL('../../.emulator/outbox.png', import.meta.url)),
      fullPage: true,
    });
    await page.close();
  });

  it('shows a STOP texted to the platform, and the answer to HELP, without a reload', async () => {
    const page = await browser.newPage();
    await page.goto(`${platform.url}/_local/outbox`);
    await page.evaluate('window.openedBeforeTheTexts = true');
    const number = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const text = (body: string) =>
      fetch(`${platform.url}/_local/twilio/inbound`, {
        method: 'POST',
        body: new URLSearchParams({ From: number, Body: body }),
      });

    expect((await text('STOP')).status).toBe(200);
    expect((await text('HELP')).status).toBe(200);

    const texts = page.locator('#texts li', { hasText: number });
    await eventually('both texts on the page', async () => ((await texts.count()) === 2 ? true : undefined), FOLLOWING);
    expect(await page.evaluate('window.openedBeforeTheTexts')).toBe(true);
    const shown = (await texts.allTextContents()).map((line) => line.replace(/\s+/g, ' '));
    // (The quotes of <q> are drawn by CSS, not text.)
    expect(shown[0]).toMatch(/texted HELP HELP: replied Notifications from/);
    expect(shown[1]).toMatch(/texted STOP STOP: no reply/);
    await page.close();
  });

  it("narrows the list to one user's notifications as the filter is typed in", async () => {
    const userId = `outbox-${randomUUID().slice(0, 8)}`;
    await client.putContacts({ path: { user_id: userId }, body: { email_address: `${userId}@example.com` } });
    const mine = await client.sendNotification({
      body: { user_id: userId, type: 'order_shipped', payload: { order_id: 'C-1' } },
    });
    await client.sendNotification({ body: { user_id: 'ada', type: 'order_shipped', payload: { order_id: 'C-2' } } });
    const page = await browser.newPage();
    await page.goto(`${platform.url}/_local/outbox`);
    await eventually(
      "both users' notifications on the page",
      async () => {
        const users = await usersOnPage(page);
        return users.includes(userId) && users.includes('ada') ? true : undefined;
      },
      FOLLOWING,
    );
    await page.evaluate('window.openedBeforeTheFilter = true');

    await page.getByRole('searchbox').fill(userId);

    const users = await eventually(
      "only the user's notifications on the page",
      async () => {
        const shown = await usersOnPage(page);
        return shown.length > 0 && shown.every((user) => user === userId) ? shown : undefined;
      },
      FOLLOWING,
    );
    expect(users).toHaveLength(1);
    expect(await page.locator(`[id="notification-${mine.notification_id}"]`).count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('user')).toBe(userId);
    expect(await page.evaluate('window.openedBeforeTheFilter')).toBe(true);
    await page.close();
  });
});
