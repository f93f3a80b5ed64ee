/**
 * The closed loop through `npm start`, over HTTP only, as a producer sees it. Email: SES's simulator addresses bounce
 * and complain (the local mailbox simulator publishes what SES would), an ordinary address is delivered, and a
 * bounced or complained-of address is skipped as suppressed from then on. SMS: the local Twilio-compatible server
 * calls each text's StatusCallback, signed, as Twilio does; a callback not signed by Twilio is refused. A person
 * texts STOP, START and HELP to the platform's number (through the server's "text the platform" route, and signed
 * by hand with the twilio package and the TWILIO_AUTH_TOKEN npm start was given, as an outside tool would).
 */
import { randomUUID } from 'node:crypto';
import { createNotificationClient, type NotificationClient } from '@notification-platform/client';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HELP_TEXT } from '../../lambdas/channels/sms/channel.js';
import { UNREACHABLE_NUMBER } from '../../local/twilio-sandbox.js';
import settings from '../../platform.config.js';
import { eventually } from '../support/eventually.js';
import { type RunningLocalPlatform, startLocalPlatformProcess } from '../support/local-runtime-process.js';

let platform: RunningLocalPlatform;
let client: NotificationClient;
const AUTH_TOKEN = `closed-loop-${randomUUID()}`;

beforeAll(async () => {
  platform = await startLocalPlatformProcess(['--demo'], { TWILIO_AUTH_TOKEN: AUTH_TOKEN });
  client = createNotificationClient({ baseUrl: `${platform.url}/v1`, apiKey: 'local-dev-key' });
});
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
async function text(phoneNumber: string, userId = `loop-${randomUUID().slice(0, 8)}`): Promise<string> {
  await client.putContacts({ path: { user_id: userId }, body: { phone_number: phoneNumber } });
  const accepted = await sendText(userId);
  expect(accepted.channels.sms).toEqual({ status: 'queued' });
  return accepted.notification_id;
}

const sendText = (userId: string) =>
  client.sendNotification({
    body: { user_id: userId, type: 'password_reset', payload: { code: '123456' }, channels: ['sms'] },
  });

/** A phone number of no one else's in this run. */
const freshNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

/** A person texts the platform's number, through the Twilio-compatible server (which signs the webhook's request). */
async function textThePlatform(from: string, body: string): Promise<{ status: number; type: string; twiml: string }> {
  const answer = await fetch(`${platform.url}/_local/twilio/inbound`, {
    method: 'POST',
    body: new URLSearchParams({ From: from, Body: body }),
  });
  return { status: answer.status, type: answer.headers.get('content-type') ?? '', twiml: await answer.text() };
}

/** Whether the person may be texted: their master switch on, and no STOP of theirs in force. */
const smsSwitch = async (userId: string) => {
  const preferences = await client.getPreferences({ path: { user_id: userId } });
  return preferences.sms && !preferences.unsubscribed.includes('sms');
};

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

describe('texts to the platform through npm start', () => {
  it('turns SMS off for the person whose number texts STOP, and back on with START', async () => {
    const number = freshNumber();
    const userId = `loop-${randomUUID().slice(0, 8)}`;
    await statusBecomes(await text(number, userId), 'delivered', 'sms');

    const stop = await textThePlatform(number, 'Stop');
    expect(stop).toMatchObject({ status: 200, type: 'text/xml' });
    expect(stop.twiml).toContain('<Response/>');
    expect(await smsSwitch(userId)).toBe(false);
    expect((await sendText(userId)).channels.sms).toEqual({ status: 'skipped', reason: 'unsubscribed' });

    await textThePlatform(number, 'START');
    expect(await smsSwitch(userId)).toBe(true);
    await statusBecomes((await sendText(userId)).notification_id, 'delivered', 'sms');
  });

  it('answers HELP with the configured help text, as TwiML', async () => {
    const help = await textThePlatform(freshNumber(), 'help');

    expect(help.status).toBe(200);
    expect(help.type).toBe('text/xml');
    const helpText = settings.sms.helpText ?? DEFAULT_HELP_TEXT;
    expect(help.twiml).toContain(`<Message>${helpText.replaceAll('&', '&amp;')}</Message>`);
  });

  it("turns SMS off when Twilio refuses a text because the number texted STOP before it was the person's (21610)", async () => {
    const number = freshNumber();
    await textThePlatform(number, 'STOP');

    const userId = `loop-${randomUUID().slice(0, 8)}`;
    const notificationId = await text(number, userId);

    const sms = await statusBecomes(notificationId, 'failed', 'sms');
    expect(sms).toMatchObject({ reason: 'twilio_21610_unsubscribed' });
    expect(await smsSwitch(userId)).toBe(false);
  });

  it('takes a STOP signed by an outside tool with the TWILIO_AUTH_TOKEN npm start was given, and refuses it forged or replayed', async () => {
    const number = freshNumber();
    const userId = `loop-${randomUUID().slice(0, 8)}`;
    await client.putContacts({ path: { user_id: userId }, body: { phone_number: number } });
    const url = `${platform.url}/v1/webhooks/twilio/inbound`;
    const form = {
      MessageSid: `SM${randomUUID().replaceAll('-', '')}`,
      From: number,
      To: '+15005550006',
      Body: 'STOP',
    };
    const post = (signature: string, parameters: Record<string, string> = form) =>
      fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
        body: new URLSearchParams(parameters),
      });

    const forged = await post(twilio.getExpectedTwilioSignature('not-the-token', url, form));
    expect(forged.status).toBe(403);
    expect(await smsSwitch(userId)).toBe(true);

    const signed = await post(twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, form));
    expect(signed.status).toBe(200);
    expect(await smsSwitch(userId)).toBe(false);

    await textThePlatform(number, 'START');
    expect(await smsSwitch(userId)).toBe(true);
    const replayed = await post(twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, form));
    expect(replayed.status).toBe(200);
    expect(await smsSwitch(userId)).toBe(true);
  });
});
