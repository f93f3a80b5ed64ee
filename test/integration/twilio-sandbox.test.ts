/**
 * The Twilio sandbox, driven by the real `twilio` client the SMS worker uses, so what these tests see is what
 * the worker will see: the same requests on the wire and the same errors thrown back.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTwilioSandbox, type TwilioSandbox } from '../../local/twilio-sandbox.js';
import { eventually } from '../support/eventually.js';

const MESSAGING_SERVICE_SID = 'MG5a4db0c5000000000000000000000001';
const SENDER = '+15017122661';
const RECIPIENT = '+15558675310';

type TwilioClient = ReturnType<typeof twilio>;

function clientFor(sandbox: TwilioSandbox, options: { authToken?: string; timeoutMs?: number } = {}): TwilioClient {
  const client = twilio(sandbox.accountSid, options.authToken ?? sandbox.authToken, {
    timeout: options.timeoutMs ?? 5_000,
  });
  // Domain.absoluteUrl builds every request URL from baseUrl, scheme included, so plain http works as is.
  client.api.baseUrl = sandbox.url;
  return client;
}

/** What the client threw, so a test can assert on it without try/catch noise. */
async function failureOf(attempt: Promise<unknown>): Promise<unknown> {
  try {
    await attempt;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

/** A create call without the client, for what the client refuses to send (a missing To, a JSON body). */
async function postMessage(
  sandbox: TwilioSandbox,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const credentials = Buffer.from(`${sandbox.accountSid}:${sandbox.authToken}`).toString('base64');
  const response = await fetch(`${sandbox.url}/2010-04-01/Accounts/${sandbox.accountSid}/Messages.json`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${credentials}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('Twilio sandbox', () => {
  let sandbox: TwilioSandbox;
  let client: TwilioClient;

  beforeAll(async () => {
    sandbox = await startTwilioSandbox();
    client = clientFor(sandbox);
  });

  beforeEach(() => {
    sandbox.reset();
  });

  afterAll(async () => {
    await sandbox.stop();
  });

  it('accepts a message sent through a messaging service and records the form the client sent', async () => {
    // Prepare
    const statusCallback = 'https://example.test/sms-status';

    // Act
    const message = await client.messages.create({
      to: RECIPIENT,
      body: 'Your code is 123456',
      messagingServiceSid: MESSAGING_SERVICE_SID,
      statusCallback,
    });

    // Assess
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.status).toBe('accepted');
    expect(message.from).toBeNull();
    expect(message.messagingServiceSid).toBe(MESSAGING_SERVICE_SID);
    expect(message.accountSid).toBe(sandbox.accountSid);
    expect(message.direction).toBe('outbound-api');
    expect(message.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(message.dateCreated.getTime())).toBe(false);
    expect(sandbox.messages).toHaveLength(1);
    expect(sandbox.messages[0]).toMatchObject({
      sid: message.sid,
      authorization: sandbox.accountSid,
      fields: {
        To: RECIPIENT,
        Body: 'Your code is 123456',
        MessagingServiceSid: MESSAGING_SERVICE_SID,
        StatusCallback: statusCallback,
      },
    });
    expect(Object.keys(sandbox.messages[0]?.fields ?? {}).sort()).toEqual(
      ['Body', 'MessagingServiceSid', 'StatusCallback', 'To'].sort(),
    );
    expect(sandbox.requests).toEqual([expect.objectContaining({ statusCode: 201, errorCode: null, fault: null })]);
  });

  it('accepts a message sent from a number and answers Twilio’s Message JSON', async () => {
    // Prepare
    const body = 'Your order has shipped';

    // Act
    const message = await client.messages.create({ to: RECIPIENT, from: SENDER, body });

    // Assess
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.status).toBe('queued');
    expect(message.from).toBe(SENDER);
    expect(message.to).toBe(RECIPIENT);
    expect(message.body).toBe(body);
    expect(message.numSegments).toBe('1');
    expect(message.messagingServiceSid).toBeNull();
    expect(message.errorCode).toBeNull();
    expect(message.price).toBeNull();
    expect(message.apiVersion).toBe('2010-04-01');
    expect(message.uri).toBe(`/2010-04-01/Accounts/${sandbox.accountSid}/Messages/${message.sid}.json`);
    expect(sandbox.messages).toHaveLength(1);
    expect(sandbox.messages[0]?.fields).toEqual({ To: RECIPIENT, From: SENDER, Body: body });
    expect(sandbox.messages[0]?.authorization).toBe(sandbox.accountSid);
    expect(sandbox.messages[0]?.resource.date_created).toMatch(
      /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/,
    );
  });

  it('refuses a wrong auth token with 401 and code 20003, and accepts nothing', async () => {
    // Prepare
    const intruder = clientFor(sandbox, { authToken: 'not-the-token' });

    // Act
    const error = await failureOf(intruder.messages.create({ to: RECIPIENT, from: SENDER, body: 'hello' }));

    // Assess
    expect(error).toBeInstanceOf(twilio.RestException);
    expect(error).toMatchObject({
      status: 401,
      code: 20003,
      message: 'Authenticate',
      moreInfo: 'https://www.twilio.com/docs/errors/20003',
    });
    expect(sandbox.messages).toEqual([]);
    expect(sandbox.requests).toEqual([expect.objectContaining({ statusCode: 401, errorCode: 20003 })]);
  });

  it('refuses an account SID in the path that is not the authenticated one', async () => {
    // Prepare
    const credentials = Buffer.from(`${sandbox.accountSid}:${sandbox.authToken}`).toString('base64');
    const otherAccount = `AC${'f'.repeat(32)}`;

    // Act
    const response = await fetch(`${sandbox.url}/2010-04-01/Accounts/${otherAccount}/Messages.json`, {
      method: 'POST',
      headers: { Authorization: `Basic ${credentials}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: RECIPIENT, From: SENDER, Body: 'hello' }),
    });

    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
    expect(sandbox.messages).toEqual([]);
  });

  it.each([
    ['Twilio’s magic invalid number', '+15005550001'],
    ['a number that is not E.164', '555-0100'],
  ])('refuses %s with 400 and code 21211', async (_, to) => {
    // Prepare: nothing beyond the recipient

    // Act
    const error = await failureOf(client.messages.create({ to, from: SENDER, body: 'hello' }));

    // Assess
    expect(error).toBeInstanceOf(twilio.RestException);
    expect(error).toMatchObject({ status: 400, code: 21211, moreInfo: 'https://www.twilio.com/docs/errors/21211' });
    expect(sandbox.messages).toEqual([]);
  });

  it('refuses Twilio’s magic number that cannot receive SMS with code 21614', async () => {
    // Act
    const error = await failureOf(client.messages.create({ to: '+15005550009', from: SENDER, body: 'hello' }));

    // Assess
    expect(error).toMatchObject({ status: 400, code: 21614 });
  });

  it.each([
    ['no To', { From: SENDER, Body: 'hello' }, 21604, "A 'To' phone number is required."],
    ['no Body', { To: RECIPIENT, From: SENDER }, 21602, 'Message body is required.'],
    [
      'neither From nor MessagingServiceSid',
      { To: RECIPIENT, Body: 'hello' },
      21603,
      "A 'From' phone number is required.",
    ],
  ])('refuses a form with %s, in Twilio’s error shape', async (_, form, code, message) => {
    // Act
    const answer = await postMessage(sandbox, form);

    // Assess
    expect(answer).toEqual({
      status: 400,
      json: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status: 400 },
    });
    expect(sandbox.requests).toEqual([expect.objectContaining({ fields: form, statusCode: 400, errorCode: code })]);
  });

  it('answers queued faults in order: 429 with Retry-After, then 500, then success', async () => {
    // Prepare
    sandbox.failNext(1, { kind: 'throttle', retryAfterSeconds: 7 });
    sandbox.failNext(1, { kind: 'server_error' });
    const send = () => client.messages.create({ to: RECIPIENT, from: SENDER, body: 'hello' });

    // Act
    const throttled = await failureOf(send());
    // The RestException carries no headers; the client's last raw response is the only place Retry-After shows.
    const throttledHeaders = client.httpClient.lastResponse?.headers as Record<string, string> | undefined;
    const failed = await failureOf(send());
    const sent = await send();

    // Assess
    expect(throttled).toBeInstanceOf(twilio.RestException);
    expect(throttled).toMatchObject({ status: 429, code: 20429, message: 'Too Many Requests' });
    expect(throttled).not.toHaveProperty('headers');
    expect(throttledHeaders?.['retry-after']).toBe('7');
    expect(failed).toBeInstanceOf(twilio.RestException);
    expect(failed).toMatchObject({ status: 500, code: 20500 });
    expect(sent.status).toBe('queued');
    expect(sandbox.requests.map(({ statusCode, fault }) => [statusCode, fault?.kind ?? null])).toEqual([
      [429, 'throttle'],
      [500, 'server_error'],
      [201, null],
    ]);
    expect(sandbox.messages.map(({ sid }) => sid)).toEqual([sent.sid]);
  });

  it('answers the unavailable and invalid-number faults with 503 and 21211', async () => {
    // Prepare
    sandbox.failNext(1, { kind: 'unavailable' });
    sandbox.failNext(1, { kind: 'invalid_number' });
    const send = () => client.messages.create({ to: RECIPIENT, from: SENDER, body: 'hello' });

    // Act
    const unavailable = await failureOf(send());
    const invalid = await failureOf(send());

    // Assess
    expect(unavailable).toMatchObject({ status: 503, code: 20503 });
    expect(invalid).toMatchObject({ status: 400, code: 21211 });
    expect(sandbox.messages).toEqual([]);
  });

  it('answers too slowly for a 300 ms client, which throws a timeout, yet still creates the message', async () => {
    // Prepare
    const impatient = clientFor(sandbox, { timeoutMs: 300 });
    sandbox.failNext(1, { kind: 'slow', delayMs: 1_000 });

    // Act
    const error = await failureOf(impatient.messages.create({ to: RECIPIENT, from: SENDER, body: 'hello' }));

    // Assess: a timeout is not a RestException, and Twilio may have sent the message all the same
    expect(error).not.toBeInstanceOf(twilio.RestException);
    expect(error).toMatchObject({ name: 'AxiosError', code: 'ECONNABORTED', message: 'timeout of 300ms exceeded' });
    expect(error).not.toHaveProperty('status');
    const created = await eventually('the slow message to be accepted', async () => sandbox.messages[0], {
      intervalMs: 100,
    });
    expect(created.fields.To).toBe(RECIPIENT);
  });

  it('fetches a message by sid, and answers 404 with code 20404 for an unknown one', async () => {
    // Prepare
    const sent = await client.messages.create({ to: RECIPIENT, from: SENDER, body: 'hello' });
    const unknownSid = `SM${'0'.repeat(32)}`;

    // Act
    const fetched = await client.messages(sent.sid).fetch();
    const missing = await failureOf(client.messages(unknownSid).fetch());

    // Assess
    expect(fetched).toMatchObject({ sid: sent.sid, to: RECIPIENT, from: SENDER, body: 'hello', status: 'queued' });
    expect(missing).toBeInstanceOf(twilio.RestException);
    expect(missing).toMatchObject({ status: 404, code: 20404 });
  });

  it('lists messages newest first, following pages when a page is smaller than the list', async () => {
    // Prepare
    const sids: string[] = [];
    for (const body of ['first', 'second', 'third']) {
      sids.push((await client.messages.create({ to: RECIPIENT, from: SENDER, body })).sid);
    }

    // Act
    const all = await client.messages.list();
    const paged = await client.messages.list({ pageSize: 2 });
    const toSomeoneElse = await client.messages.list({ to: '+15550000000' });

    // Assess
    expect(all.map(({ sid }) => sid)).toEqual([...sids].reverse());
    expect(paged.map(({ body }) => body)).toEqual(['third', 'second', 'first']);
    expect(toSomeoneElse).toEqual([]);
  });

  it('holds create requests while stalled and answers them normally once unstalled', async () => {
    // Prepare
    sandbox.stall();

    // Act
    const held = client.messages.create({ to: RECIPIENT, from: SENDER, body: 'hello' });
    await eventually('the request to be held', async () => (sandbox.heldRequestCount === 1 ? true : undefined), {
      intervalMs: 20,
    });
    const answeredWhileStalled = sandbox.requests.length;
    sandbox.unstall();
    const sent = await held;

    // Assess
    expect(answeredWhileStalled).toBe(0);
    expect(sent.status).toBe('queued');
    expect(sandbox.heldRequestCount).toBe(0);
    expect(sandbox.messages.map(({ sid }) => sid)).toEqual([sent.sid]);
  });
});

describe('Twilio sandbox stopping', () => {
  it('closes promptly with a stalled request open, dropping it unanswered', async () => {
    // Prepare
    const sandbox = await startTwilioSandbox();
    const client = clientFor(sandbox);
    sandbox.stall();
    const held = failureOf(client.messages.create({ to: RECIPIENT, from: SENDER, body: 'hello' }));
    await eventually('the request to be held', async () => (sandbox.heldRequestCount === 1 ? true : undefined), {
      intervalMs: 20,
    });

    // Act: it must not wait for the held connection (a keep-alive or stalled socket would hold close() forever)
    const stopped = await Promise.race([
      sandbox.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still closing after 60 s, the held request open'), 60_000)),
    ]);

    // Assess
    expect(stopped).toBe('stopped');
    expect(await held).toMatchObject({ code: 'ECONNRESET' });
    expect(sandbox.messages).toEqual([]);
  });
});
