/**
 * The closed loop through `npm start`, over HTTP only, as a producer sees it. Email: SES's simulator addresses bounce
 * and complain (the local mailbox simulator publishes what SES would), an ordinary address is delivered, and a
 * bounced or complained-of address is skipped as suppressed from then on. SMS: the local Twilio-compatible server
 * calls each text's StatusCallback, signed, as Twilio does; a callback not signed by Twilio is refused.
 */
import { randomUUID } from 'node:crypto';
import { createNotificationClient, type NotificationClient } from '@notification-platform/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNREACHABLE_NUMBER } from '../../local/twilio-sandbox.js';
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

/** A channel's status once it is the one expected (bounded: 80 polls, 250 ms apart). */
async function statusBecomes(notificationId: string, status: string, channel: 'email' | 'sms' = 'email') {
  return eventually(
    `the ${channel} of ${notificationId} to become ${status}`,
    async () => {
      const state = (await client.getNotification({ path: { notification_id: notificationId } })).channels[channel];
      return state?.status === status ? state : undefined;
    },
    { attempts: 80 },
  );
}
const emailStatusBecomes = (notificationId: string, status: string) => statusBecomes(notificationId, status);

/** A person with only this phone number, sent a password_reset text (the demo's template). */
async function text(phoneNumber: string): Promise<string> {
  const userId = `loop-${randomUUID().slice(0, 8)}`;
  await client.putContacts({ path: { user_id: userId }, body: { phone_number: phoneNumber } });
  const accepted = await client.sendNotification({
    body: { user_id: userId, type: 'password_reset', payload: { code: '123456' }, channels: ['sms'] },
  });
  expect(accepted.channels.sms).toEqual({ status: 'queued' });
  return accepted.notification_id;
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

describe('the SMS closed loop through npm start', () => {
  it("ends a text delivered when Twilio's signed status callback says so", async () => {
    const notificationId = await text('+4915112345678');

    const sms = await statusBecomes(notificationId, 'delivered', 'sms');

    expect(sms.events?.map((event) => event.status)).toEqual(['delivered']);
  });

  it('ends a text to an unreachable handset undelivered, with the error code', async () => {
    const notificationId = await text(UNREACHABLE_NUMBER);

    const sms = await statusBecomes(notificationId, 'undelivered', 'sms');

    expect(sms.events?.at(-1)).toMatchObject({ detail: { twilio_status: 'undelivered', error_code: '30003' } });
  });

  it('refuses a status callback that Twilio did not sign, and changes nothing', async () => {
    const notificationId = await text('+4915112345679');
    await statusBecomes(notificationId, 'delivered', 'sms');

    const forged = await fetch(`${platform.url}/v1/webhooks/twilio/status?n=${notificationId}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'bm90IHR3aWxpbw==' },
      body: new URLSearchParams({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' }).toString(),
    });

    expect(forged.status).toBe(403);
    const sms = (await client.getNotification({ path: { notification_id: notificationId } })).channels.sms;
    expect(sms?.status).toBe('delivered');
  });
});
