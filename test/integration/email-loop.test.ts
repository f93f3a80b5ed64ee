/**
 * The email's closed loop through `npm start`, over HTTP only, as a producer sees it: SES's simulator addresses
 * bounce and complain (the local mailbox simulator publishes what SES would), an ordinary address is delivered, and a
 * bounced or complained-of address is skipped as suppressed from then on.
 */
import { randomUUID } from 'node:crypto';
import { createNotificationClient, type NotificationClient } from '@notification-platform/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { type RunningLocalPlatform, startLocalPlatformProcess } from '../support/local-runtime-process.js';

let platform: RunningLocalPlatform;
let client: NotificationClient;

beforeAll(async () => {
  platform = await startLocalPlatformProcess(['--demo']);
  client = createNotificationClient({ baseUrl: `${platform.url}/v1`, apiKey: 'local-dev-key' });
}, 120_000);
afterAll(async () => {
  expect(await platform.stop()).toBe(0);
});

/** A person with only this email address, sent an order_shipped notification (the demo's template). */
async function notify(address: string): Promise<{ userId: string; notificationId: string }> {
  const userId = `loop-${randomUUID().slice(0, 8)}`;
  await client.putContacts({ path: { user_id: userId }, body: { email_address: address } });
  const accepted = await client.sendNotification({
    body: { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-1' }, channels: ['email'] },
  });
  expect(accepted.channels.email).toEqual({ status: 'queued' });
  return { userId, notificationId: accepted.notification_id };
}

/** The email's status once it is the one expected (bounded: 80 polls, 250 ms apart). */
async function emailStatusBecomes(notificationId: string, status: string) {
  return eventually(
    `the email of ${notificationId} to become ${status}`,
    async () => {
      const email = (await client.getNotification({ path: { notification_id: notificationId } })).channels.email;
      return email?.status === status ? email : undefined;
    },
    { attempts: 80 },
  );
}

describe('the email closed loop through npm start', () => {
  it('ends an ordinary email delivered', async () => {
    const { notificationId } = await notify(`someone-${randomUUID().slice(0, 8)}@example.com`);

    const email = await emailStatusBecomes(notificationId, 'delivered');

    expect(email.events?.map((event) => event.status)).toEqual(['delivered']);
  });

  it('ends an email to the bounce simulator bounced, and skips that address as suppressed from then on', async () => {
    const { userId, notificationId } = await notify('bounce@simulator.amazonses.com');

    const email = await emailStatusBecomes(notificationId, 'bounced');
    expect(email.events?.at(-1)).toMatchObject({
      status: 'bounced',
      detail: { bounce_type: 'Permanent', bounce_sub_type: 'General' },
    });

    const next = await client.sendNotification({
      body: { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-2' }, channels: ['email'] },
    });
    expect(next.channels.email).toEqual({ status: 'skipped', reason: 'suppressed' });
    expect(next.status).toBe('suppressed');
  });

  it('ends an email to the complaint simulator complained, and suppresses the address', async () => {
    const { userId, notificationId } = await notify('complaint@simulator.amazonses.com');

    await emailStatusBecomes(notificationId, 'complained');

    const next = await client.sendNotification({
      body: { user_id: userId, type: 'order_shipped', payload: { order_id: 'A-2' }, channels: ['email'] },
    });
    expect(next.channels.email).toEqual({ status: 'skipped', reason: 'suppressed' });
  });
});
