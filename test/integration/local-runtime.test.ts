import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { createNotificationClient, type NotificationClient, type RequestBody } from '@notification-platform/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outbox } from '../../local/outbox.js';
import { eventually } from '../support/eventually.js';
import {
  freePort,
  type RunningLocalPlatform,
  spawnLocalPlatform,
  startLocalPlatformProcess,
  untilServing,
} from '../support/local-runtime-process.js';

// Only HTTP from here on, as a producer and a developer would use it: a producer through the platform's client
// (clients/typescript), a request the client would not send (no key, a burst it would retry, a raw body) with fetch.
let platform: RunningLocalPlatform;
let client: NotificationClient;
/** The status of the client's last answer. */
let lastStatus: number | undefined;
const KEY = 'local-dev-key';

beforeAll(async () => {
  platform = await startLocalPlatformProcess();
  client = createNotificationClient({
    baseUrl: `${platform.url}/v1`,
    apiKey: KEY,
    onAttempt: (attempt) => {
      lastStatus = attempt.status;
    },
  });
});
afterAll(async () => {
  expect(await platform.stop()).toBe(0);
});

// biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON the API answered
type Json = any;

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { 'x-api-key': KEY, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json().catch(() => undefined) };
}

/** A producer's call through the client, and the status it answered (the client throws for any but 2xx). */
async function answered<Answer>(call: Promise<Answer>): Promise<{ status: number | undefined; json: Answer }> {
  const json = await call;
  return { status: lastStatus, json };
}

/** A request with headers fetch would not send as given (Host). */
function rawRequest(options: {
  method: string;
  path: string;
  headers: Record<string, string>;
}): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${platform.url}${options.path}`, { method: options.method, headers: options.headers });
    request.on('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
    });
    request.on('error', reject);
    request.end();
  });
}

function acceptsConnections(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(undefined));
  });
}

interface OutboxMessage {
  channel: string;
  to: string;
  subject?: string;
  text?: string;
}

/** What the providers hold of a notification, by channel, from the outbox's JSON. */
const outboxOf = async (notificationId: string): Promise<OutboxMessage[]> => {
  const { json } = await call('GET', '/_local/outbox');
  const entry = (json.entries as Outbox['entries']).find((each) => each.notification_id === notificationId);
  return (entry?.channels ?? []).flatMap(({ channel, messages }) =>
    messages.map((message) => ({ channel, ...message })),
  );
};

async function newUserWithSmsOff(): Promise<string> {
  const userId = `user-${randomUUID()}`;
  expect(
    (
      await answered(
        client.putContacts({
          path: { user_id: userId },
          body: { email_address: `${userId}@example.com`, phone_number: '+4915112345678' },
        }),
      )
    ).status,
  ).toBe(200);
  expect(
    (
      await answered(
        client.registerDevice({
          path: { user_id: userId },
          body: { platform: 'fcm', token: `fcm-${randomBytes(48).toString('base64url')}` },
        }),
      )
    ).status,
  ).toBe(201);
  expect(
    (
      await answered(
        client.putPreferences({
          path: { user_id: userId },
          body: { email: true, sms: false, push: true, quiet_hours: null },
        }),
      )
    ).status,
  ).toBe(200);
  return userId;
}

describe('npm start, end to end over HTTP', () => {
  beforeAll(async () => {
    const saved = await answered(
      client.putTemplate({
        path: { type: 'welcome' },
        body: {
          email: { subject: 'Welcome, {{ name }}', body: '<p>Glad you are here, {{ name }}.</p>' },
          sms: { body: 'Welcome, {{ name }}' },
          push: { title: 'Welcome', body: 'Glad you are here, {{ name }}' },
        },
      }),
    );
    expect(saved.status).toBe(200);
  });

  it('delivers email and push, not the SMS the user turned off, and says so', async () => {
    const userId = await newUserWithSmsOff();

    const accepted = await answered(
      client.sendNotification({ body: { user_id: userId, type: 'welcome', payload: { name: 'Ada' } } }),
    );

    expect(accepted.status).toBe(202);
    const id = accepted.json.notification_id;
    const delivered = await eventually('the email and the push in the outbox', async () => {
      const messages = await outboxOf(id);
      return messages.length >= 2 ? messages : undefined;
    });
    expect(delivered.map((message) => message.channel).sort()).toEqual(['email', 'push']);
    expect(delivered.find((message) => message.channel === 'email')).toMatchObject({
      to: `${userId}@example.com`,
      subject: 'Welcome, Ada',
    });
    // The email goes on to delivered when SES's Delivery event comes back; push has no such event.
    const status = await eventually('the email delivered and the push sent', async () => {
      const json = await client.getNotification({ path: { notification_id: id } });
      return json.channels.email?.status === 'delivered' && json.channels.push?.status === 'sent' ? json : undefined;
    });
    expect(status.channels.sms).toMatchObject({ status: 'skipped', reason: 'opted_out' });
  });

  it('sends one email for the same Idempotency-Key sent twice', async () => {
    const userId = await newUserWithSmsOff();
    const key = randomUUID();
    const body: RequestBody<'sendNotification'> = {
      user_id: userId,
      type: 'welcome',
      payload: { name: 'Grace' },
      channels: ['email'],
    };

    const first = await client.sendNotification({ body, idempotencyKey: key });
    const second = await client.sendNotification({ body, idempotencyKey: key });

    expect(second.notification_id).toBe(first.notification_id);
    await eventually('the email', async () => ((await outboxOf(first.notification_id)).length > 0 ? true : undefined));
    // Give a duplicate every chance to arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await outboxOf(first.notification_id)).toHaveLength(1);
  });

  it('answers 403 without a key or with an unknown one, as API Gateway does', async () => {
    const response = await fetch(`${platform.url}/v1/notifications`, { method: 'POST', body: '{}' });
    const unknown = await call('GET', '/v1/templates/welcome', undefined, { 'x-api-key': 'nobody' });

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Forbidden' });
    expect(unknown.status).toBe(403);
  });

  it("answers 429 over a producer's burst, as its usage plan says", async () => {
    // auth-service: 20 requests a second, a burst of 50 (platform.config.ts): 200 at once meet the plan unless they
    // take 7 s to arrive.
    const answers = await Promise.all(
      Array.from({ length: 200 }, () =>
        call('GET', '/v1/templates/welcome', undefined, { 'x-api-key': 'local-auth-service-key' }),
      ),
    );

    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(50);
    expect(statuses).toContain(429);
    expect(answers.find((answer) => answer.status === 429)?.json).toEqual({ message: 'Too Many Requests' });
  });

  it('serves the outbox as a page for a browser', async () => {
    const response = await fetch(`${platform.url}/_local/outbox`, { headers: { Accept: 'text/html' } });

    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('Welcome, Ada');
  });

  it('answers only requests for a loopback host: a page elsewhere cannot reach it through DNS rebinding', async () => {
    const evil = await rawRequest({ method: 'GET', path: '/_local/outbox', headers: { host: 'evil.example:3000' } });
    const local = await rawRequest({ method: 'GET', path: '/_local/outbox', headers: { host: 'localhost' } });

    expect(evil.status).toBe(403);
    expect(local.status).toBe(200);
  });

  it('stops reading a body past 64 KiB: 413 while the client is still sending, nothing buffered', async () => {
    const answer = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${platform.url}/v1/notifications`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      });
      request.on('response', (response) => resolve(response.statusCode ?? 0));
      request.on('error', reject);
      // 65 KiB and one byte, and the body never ends.
      request.write(`{"payload":"${'x'.repeat(65 * 1024)}`);
    });

    expect(answer).toBe(413);
  });

  it('runs each channel worker in a process of its own: one killed, the others deliver, and it comes back', async () => {
    const started = () => [
      ...platform.output().matchAll(/"event":"worker_started","channel":"sms","lane":"jobs","pid":(\d+)/g),
    ];
    const before = started();
    process.kill(Number(before.at(-1)?.[1]), 'SIGKILL');
    // As Lambda would, the platform starts a new worker for the channel's next batches.
    await eventually('a new SMS worker', async () => (started().length > before.length ? true : undefined), {
      attempts: 240,
      intervalMs: 250,
    });
    const userId = `user-${randomUUID()}`;
    await client.putContacts({
      path: { user_id: userId },
      body: { email_address: `${userId}@example.com`, phone_number: '+4915112345678' },
    });

    const accepted = await client.sendNotification({
      body: { user_id: userId, type: 'welcome', payload: { name: 'Lin' }, channels: ['email', 'sms'] },
    });

    await eventually(
      'the email and the SMS, the SMS from a new worker',
      async () => ((await outboxOf(accepted.notification_id)).length === 2 ? true : undefined),
      { attempts: 120, intervalMs: 250 },
    );
    expect(platform.output()).toMatch(
      /"event":"worker_restarted","channel":"sms","lane":"jobs","code":null,"signal":"SIGKILL"/,
    );
  });

  it('answers 503 with Retry-After while it starts, rather than leaving a request waiting', async () => {
    const port = await freePort();
    const starting = spawnLocalPlatform(port);
    try {
      await eventually('the port to accept connections', () => acceptsConnections(port), {
        attempts: 600,
        intervalMs: 20,
      });

      const early = await fetch(`http://127.0.0.1:${port}/v1/templates/welcome`, { headers: { 'x-api-key': KEY } });

      expect(early.status).toBe(503);
      expect(early.headers.get('retry-after')).toBe('1');
      expect(await untilServing(starting.process, starting.output)).toBe('serving');
      const later = await fetch(`http://127.0.0.1:${port}/_local/outbox`);
      expect(later.status).toBe(200);
    } finally {
      await new Promise((resolve) => {
        starting.process.once('exit', resolve);
        starting.process.kill('SIGINT');
      });
    }
  });

  it('refuses to start a second time on a port that is taken, saying so', async () => {
    const port = Number(new URL(platform.url).port);
    const second = spawnLocalPlatform(port);

    const code = await new Promise((resolve) => second.process.once('exit', resolve));

    expect(code).toBe(1);
    expect(second.output()).toContain(`port ${port} is already in use`);
  });
});

describe('npm start: scheduled sends, cancels, digests and frequency caps, over HTTP', () => {
  beforeAll(async () => {
    for (const [type, body] of Object.entries({
      reminder: { email: { subject: 'A reminder, {{ name }}', body: '<p>Hello {{ name }}.</p>' } },
      comment: {
        digest: { window_seconds: 600, max_items: 5 },
        email: {
          subject: '{{ count }} new comments',
          body: '<ul>{% for item in items %}<li>{{ item.text }}</li>{% endfor %}</ul>',
        },
      },
      nudge: { throttle: { limit: 3, window_seconds: 3600 }, email: { subject: 'A nudge', body: '<p>Hi</p>' } },
    })) {
      const saved = await answered(client.putTemplate({ path: { type }, body }));
      expect(saved.status, type).toBe(200);
    }
  });
  const inSeconds = (seconds: number) =>
    new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d+Z$/, '+00:00');
  const schedule = async (userId: string, sendAt: string, cancelKey?: string) => {
    const accepted = await answered(
      client.sendNotification({
        body: {
          user_id: userId,
          type: 'reminder',
          payload: { name: 'Ada' },
          channels: ['email'],
          send_at: sendAt,
          ...(cancelKey ? { cancel_key: cancelKey } : {}),
        },
      }),
    );
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ status: 'scheduled', channels: {} });
    return accepted.json.notification_id;
  };

  it('sends one scheduled 20 s ahead at its time, not before; one cancelled never; a cancel key stops three at once', async () => {
    // Prepare: the same person, one to go, one to cancel a second before it, three under one key
    const userId = await newUserWithSmsOff();
    const sendAt = inSeconds(20);
    const key = `welcome-${randomUUID().slice(0, 8)}`;
    const [due, cancelled, ...keyed] = await Promise.all([
      schedule(userId, sendAt),
      schedule(userId, inSeconds(19)),
      schedule(userId, inSeconds(60), key),
      schedule(userId, inSeconds(90), key),
      schedule(userId, inSeconds(86_400 * 30), key),
    ]);

    // Act
    const cancel = await answered(client.cancelNotification({ path: { notification_id: cancelled ?? '' } }));
    const byKey = await answered(client.cancelNotificationsByKey({ body: { cancel_key: key } }));

    // Assess: while it waits it says scheduled and nothing is sent
    expect(cancel).toEqual({
      status: 200,
      json: { notification_id: cancelled, status: 'cancelled', cancelled: ['email'], not_cancelled: {} },
    });
    expect(byKey).toEqual({ status: 200, json: { cancel_key: key, cancelled: 3 } });
    const waiting = await client.getNotification({ path: { notification_id: due } });
    expect(waiting).toMatchObject({ status: 'scheduled', send_at: new Date(sendAt).toISOString(), channels: {} });
    const sent = await eventually(
      'the scheduled email in the outbox',
      async () => {
        const messages = await outboxOf(due);
        return messages.length > 0 ? { messages, seenAt: Date.now() } : undefined;
      },
      { withinMs: 180_000, describe: async () => JSON.stringify(await call('GET', `/v1/notifications/${due}`)) },
    );
    expect(sent.messages.map((message) => message.channel)).toEqual(['email']);
    // Not before its time: neither seen in the outbox nor dispatched (the platform's own record) before send_at.
    expect(sent.seenAt).toBeGreaterThanOrEqual(Date.parse(sendAt));
    const record = await client.getNotification({ path: { notification_id: due } });
    const lateness = Date.parse(record.dispatched_at ?? '') - Date.parse(sendAt);
    console.log(`scheduled 20 s ahead: dispatched ${lateness} ms after its send_at`);
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(60_000);
    // The one cancelled was due a second before: the one sent shows its time has passed, and it was never sent.
    expect(await outboxOf(cancelled ?? '')).toEqual([]);
    expect(await client.getNotification({ path: { notification_id: cancelled ?? '' } })).toMatchObject({
      status: 'cancelled',
      channels: {},
    });
    for (const id of keyed)
      expect((await client.getNotification({ path: { notification_id: id } })).status).toBe('cancelled');
  });

  it('refuses a send_at in the past, without an offset, or too far ahead, naming send_at; a cancel of another producer is 404', async () => {
    const userId = await newUserWithSmsOff();
    for (const sendAt of [inSeconds(-60), '2030-01-05T09:00:00', inSeconds(367 * 86_400)]) {
      const refused = await call('POST', '/v1/notifications', {
        user_id: userId,
        type: 'reminder',
        payload: {},
        send_at: sendAt,
      });
      expect(refused.status, sendAt).toBe(400);
      expect(refused.json.error.details[0].field).toBe('send_at');
    }
    const mine = await schedule(userId, inSeconds(3600));
    const other = await call('POST', `/v1/notifications/${mine}/cancel`, undefined, {
      'x-api-key': 'local-order-service-key',
    });
    expect(other.status).toBe(404);
    expect((await client.getNotification({ path: { notification_id: mine } })).status).toBe('scheduled');
  });

  it('gathers five comments within the window into one email listing the five', async () => {
    // Prepare
    const userId = await newUserWithSmsOff();

    // Act
    const accepted = [];
    for (const text of ['one', 'two', 'three', 'four', 'five'])
      accepted.push(
        await answered(client.sendNotification({ body: { user_id: userId, type: 'comment', payload: { text } } })),
      );

    // Assess: each is digested into the same digest, which goes at once when full
    for (const answer of accepted) expect(answer).toMatchObject({ status: 202, json: { status: 'digested' } });
    const members = await Promise.all(
      accepted.map((answer) => client.getNotification({ path: { notification_id: answer.json.notification_id } })),
    );
    const digestId = members[0]?.digest_id ?? '';
    expect(members.every((member) => member.status === 'digested' && member.digest_id === digestId)).toBe(true);
    const emails = await eventually('the digest email in the outbox', async () => {
      const messages = await outboxOf(digestId);
      return messages.length > 0 ? messages : undefined;
    });
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ channel: 'email', to: `${userId}@example.com`, subject: '5 new comments' });
    // The text part lists the five, oldest first.
    expect(emails[0]?.text?.match(/one|two|three|four|five/g)).toEqual(['one', 'two', 'three', 'four', 'five']);
    const digest = await client.getNotification({ path: { notification_id: digestId } });
    expect(digest.digest).toEqual({ members: accepted.map((answer) => answer.json.notification_id), count: 5 });
    for (const answer of accepted) expect(await outboxOf(answer.json.notification_id)).toEqual([]);
  });

  it('skips the fourth email of a type capped at three an hour as throttled', async () => {
    // Prepare
    const userId = await newUserWithSmsOff();

    // Act
    const answers = [];
    for (let index = 0; index < 4; index++)
      answers.push(await answered(client.sendNotification({ body: { user_id: userId, type: 'nudge', payload: {} } })));

    // Assess
    expect(answers.slice(0, 3).map((answer) => answer.json.channels.email?.status)).toEqual([
      'queued',
      'queued',
      'queued',
    ]);
    expect(answers[3]?.json).toMatchObject({
      status: 'suppressed',
      channels: { email: { status: 'skipped', reason: 'throttled' } },
    });
    const fourth = await client.getNotification({ path: { notification_id: answers[3]?.json.notification_id ?? '' } });
    expect(fourth.channels.email).toMatchObject({ status: 'skipped', reason: 'throttled' });
  });
});
