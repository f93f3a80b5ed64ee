/**
 * The function of Twilio's webhooks against the emulator's tables: texts to the platform's number (STOP, START, HELP)
 * and status callbacks, each signed as Twilio signs them, with the twilio package's own code, over the public URL.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationsStore } from '../../../lambdas/shared/adapters/notifications-store.js';
import { preferencesOf, UsersStore, unsubscribesOf } from '../../../lambdas/shared/adapters/users-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { OPERATIONS } from '../../../lambdas/shared/platform/operations.js';
import { proxyEvent } from '../../../local/api-gateway-emulation.js';
import { lambdaContext } from '../../support/api-gateway.js';
import { footprint, provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

type Handler = (
  event: APIGatewayProxyEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;
const AUTH_TOKEN = 'webhook-test-auth-token';
const PUBLIC_API_URL = 'https://api.example.test/v1';
const INBOUND_URL = `${PUBLIC_API_URL}${OPERATIONS.twilioInboundMessage.path}`;
const HELP_TEXT = 'Example Inc. alerts <test>. Reply STOP to stop.';

let platform: TestPlatform;
let handler: Handler;
let users: UsersStore;
let notifications: NotificationsStore;

beforeAll(async () => {
  platform = await provisionTestPlatform('sms-webhooks', {
    TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000001',
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_MESSAGING_SERVICE_SID: 'MG00000000000000000000000000000001',
    SMS_WORDING: JSON.stringify({ helpText: { en: HELP_TEXT }, optOutLine: {} }),
  });
  users = new UsersStore(platform.resources.tables.users, documentClient);
  notifications = new NotificationsStore(platform.resources.tables.notifications, documentClient);
  ({ handler } = (await import('../../../lambdas/channels/sms/webhook-handler.js')) as unknown as {
    handler: Handler;
  });
});
afterAll(() => platform.remove());

/** A form POST to one of the webhooks, signed for `signedUrl` (the public URL Twilio was given) with `token`. */
function post(
  operation: 'twilioInboundMessage' | 'twilioStatusCallback',
  form: Record<string, string>,
  options: { signedUrl?: string; token?: string; signature?: string; query?: Record<string, string> } = {},
) {
  const { path } = OPERATIONS[operation];
  const query = options.query ?? {};
  const publicUrl = `${PUBLIC_API_URL}${path}${Object.keys(query).length ? `?${new URLSearchParams(query)}` : ''}`;
  const signature =
    options.signature ??
    twilio.getExpectedTwilioSignature(options.token ?? AUTH_TOKEN, options.signedUrl ?? publicUrl, form);
  const event = proxyEvent({
    method: 'POST',
    resource: path,
    path,
    pathParameters: null,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
    body: new URLSearchParams(form).toString(),
    apiKeyId: '',
  });
  return handler({ ...event, queryStringParameters: Object.keys(query).length ? query : null }, lambdaContext('test'));
}

const freshNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
const inbound = (from: string, body: string) => ({
  MessageSid: `SM${randomUUID().replaceAll('-', '')}`,
  AccountSid: 'AC00000000000000000000000000000001',
  From: from,
  To: '+15005550006',
  Body: body,
  NumMedia: '0',
});
/** Whether the person may be texted: their master switch is on and they have not texted STOP since. */
const smsOf = async (userId: string) => {
  const user = await users.findFresh(userId);
  return preferencesOf(user).sms && !unsubscribesOf(user).has('sms');
};

async function personWith(number: string): Promise<string> {
  const userId = `user-${randomUUID()}`;
  await users.replaceContacts(userId, { phone_number: number });
  return userId;
}

describe('texts to the platform', () => {
  it('STOP turns SMS off for everyone with the number, records it, and answers empty TwiML', async () => {
    const number = freshNumber();
    const [parent, child, stranger] = [
      await personWith(number),
      await personWith(number),
      await personWith(freshNumber()),
    ];

    const answer = await post('twilioInboundMessage', inbound(number, 'stop'));

    expect(answer).toMatchObject({ statusCode: 200, headers: { 'Content-Type': 'text/xml' } });
    expect(answer.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect([await smsOf(parent), await smsOf(child), await smsOf(stranger)]).toEqual([false, false, true]);
    // The master switch stays as it was: START undoes the STOP, nothing more.
    expect(preferencesOf(await users.findFresh(parent)).sms).toBe(true);
    expect((await users.findFresh(parent))?.sms_switched_by).toMatchObject({
      on: false,
      source: 'sms_keyword',
      keyword: 'STOP',
    });
    // Nothing else of the person changes.
    expect(await users.findFresh(parent)).toMatchObject({ phone_number: number });
  });

  it('START turns it back on', async () => {
    const number = freshNumber();
    const userId = await personWith(number);
    await post('twilioInboundMessage', inbound(number, 'STOP'));

    await post('twilioInboundMessage', inbound(number, 'Start'));

    expect(await smsOf(userId)).toBe(true);
  });

  it('START undoes the STOP and nothing more: a person who turned SMS off elsewhere stays off', async () => {
    const number = freshNumber();
    const [wantsTexts, turnedThemOff] = [await personWith(number), await personWith(number)];
    await users.savePreferences(turnedThemOff, { ...preferencesOf(undefined), sms: false }, new Date().toISOString());

    await post('twilioInboundMessage', inbound(number, 'STOP'));
    await post('twilioInboundMessage', inbound(number, 'START'));

    expect([await smsOf(wantsTexts), await smsOf(turnedThemOff)]).toEqual([true, false]);
  });

  it('acts on a STOP cut short when it comes again: its receipt is written only once it was acted on', async () => {
    const number = freshNumber();
    const userId = await personWith(number);
    const stop = inbound(number, 'STOP');
    // The switch's write fails once, as a throttled or timed-out DynamoDB call would.
    let failures = 1;
    documentClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand' && failures > 0) {
          failures--;
          throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failTheSwitchOnce' },
    );
    const first = await post('twilioInboundMessage', stop).finally(() =>
      documentClient.middlewareStack.remove('failTheSwitchOnce'),
    );
    expect(first.statusCode).toBe(503);
    expect(await smsOf(userId)).toBe(true);

    const again = await post('twilioInboundMessage', stop);

    expect(again.statusCode).toBe(200);
    expect(await smsOf(userId)).toBe(false);
    // Once acted on, the same text again is a replay.
    await post('twilioInboundMessage', inbound(number, 'START'));
    await post('twilioInboundMessage', stop);
    expect(await smsOf(userId)).toBe(true);
  });

  it('answers nothing to a HELP Twilio answered itself (Advanced Opt-Out says OptOutType=HELP)', async () => {
    const answer = await post('twilioInboundMessage', { ...inbound(freshNumber(), 'HELP'), OptOutType: 'HELP' });

    expect(answer.statusCode).toBe(200);
    expect(answer.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });

  it('HELP is answered with the configured help text', async () => {
    const answer = await post('twilioInboundMessage', inbound(freshNumber(), 'HELP'));

    expect(answer.statusCode).toBe(200);
    expect(answer.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Example Inc. alerts &lt;test&gt;. Reply STOP to stop.</Message></Response>',
    );
  });

  it('an ordinary text changes nothing', async () => {
    const number = freshNumber();
    const userId = await personWith(number);

    const answer = await post('twilioInboundMessage', inbound(number, 'STOP sending me these please'));

    expect(answer.statusCode).toBe(200);
    expect(await smsOf(userId)).toBe(true);
  });

  it('a replayed STOP changes nothing the second time', async () => {
    const number = freshNumber();
    const userId = await personWith(number);
    const stop = inbound(number, 'STOP');
    await post('twilioInboundMessage', stop);
    await post('twilioInboundMessage', inbound(number, 'START'));

    const replayed = await post('twilioInboundMessage', stop);

    expect(replayed.statusCode).toBe(200);
    expect(await smsOf(userId)).toBe(true);
  });

  it.each([
    ['no signature', { signature: '' }],
    ['a signature made with another token', { token: 'not-the-auth-token' }],
    ['a signature for another URL (the status callback)', { signedUrl: `${PUBLIC_API_URL}/webhooks/twilio/status` }],
    [
      'a signature for the URL behind API Gateway',
      { signedUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/webhooks/twilio/inbound' },
    ],
    ['a signature that is not base64', { signature: 'not a signature!' }],
  ])('refuses a STOP with %s: 403, and nothing changes', async (_, options) => {
    const number = freshNumber();
    const userId = await personWith(number);
    const before = await footprint(platform);

    const answer = await post('twilioInboundMessage', inbound(number, 'STOP'), options);

    expect(answer.statusCode).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'forbidden' } });
    expect(await smsOf(userId)).toBe(true);
    expect(await footprint(platform)).toBe(before);
  });

  it('refuses a STOP whose parameters were changed after signing', async () => {
    const number = freshNumber();
    const userId = await personWith(number);
    const signedFor = inbound(freshNumber(), 'STOP');
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, INBOUND_URL, signedFor);

    const answer = await post('twilioInboundMessage', { ...signedFor, From: number }, { signature });

    expect(answer.statusCode).toBe(403);
    expect(await smsOf(userId)).toBe(true);
  });
});

describe('status callbacks', () => {
  async function sentText(): Promise<{ notificationId: string; sid: string }> {
    const notificationId = randomUUID();
    const sid = `SM${randomUUID().replaceAll('-', '')}`;
    await notifications.create({
      notification_id: notificationId,
      user_id: 'someone',
      type: 'password_reset',
      producer: 'auth-service',
      critical: true,
      created_at: new Date().toISOString(),
      channels: { sms: { status: 'sent', provider_message_id: sid, updated_at: new Date().toISOString() } },
      expires_at: Math.floor(Date.now() / 1000) + 3600,
    });
    return { notificationId, sid };
  }
  const callback = (sid: string, status: string, extra: Record<string, string> = {}) => ({
    AccountSid: 'AC00000000000000000000000000000001',
    MessageSid: sid,
    MessageStatus: status,
    SmsSid: sid,
    SmsStatus: status,
    ...extra,
  });

  it('records delivered once, however often Twilio reports it', async () => {
    const { notificationId, sid } = await sentText();
    const query = { n: notificationId };

    expect((await post('twilioStatusCallback', callback(sid, 'delivered'), { query })).statusCode).toBe(204);
    expect((await post('twilioStatusCallback', callback(sid, 'delivered'), { query })).statusCode).toBe(204);

    const sms = (await notifications.find(notificationId))?.channels.sms;
    expect(sms?.status).toBe('delivered');
    expect(sms?.events).toHaveLength(1);
  });

  it('keeps undelivered when a late sent arrives, with the error code', async () => {
    const { notificationId, sid } = await sentText();
    const query = { n: notificationId };

    await post('twilioStatusCallback', callback(sid, 'undelivered', { ErrorCode: '30003' }), { query });
    await post('twilioStatusCallback', callback(sid, 'sent'), { query });

    const sms = (await notifications.find(notificationId))?.channels.sms;
    expect(sms).toMatchObject({ status: 'undelivered' });
    expect(sms?.events).toEqual([
      expect.objectContaining({ status: 'undelivered', detail: { twilio_status: 'undelivered', error_code: '30003' } }),
    ]);
  });

  it('refuses a callback signed for another notification (the id in the URL is signed too)', async () => {
    const { notificationId, sid } = await sentText();
    const other = await sentText();
    const signedUrl = `${PUBLIC_API_URL}/webhooks/twilio/status?n=${other.notificationId}`;

    const answer = await post('twilioStatusCallback', callback(sid, 'undelivered'), {
      query: { n: notificationId },
      signedUrl,
    });

    expect(answer.statusCode).toBe(403);
    expect((await notifications.find(notificationId))?.channels.sms?.status).toBe('sent');
  });

  it('changes nothing for a notification that does not exist', async () => {
    const before = await footprint(platform);
    const answer = await post('twilioStatusCallback', callback('SMnothing', 'delivered'), {
      query: { n: randomUUID() },
    });

    expect(answer.statusCode).toBe(204);
    expect(await footprint(platform)).toBe(before);
  });
});
