import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partsOf, type SesRecord } from '../../lambdas/channels/email/outbox.js';
import { endpointFor } from '../../local/emulator-environment.js';
import type { Outbox } from '../../local/outbox.js';
import { eventually } from '../support/eventually.js';
import { type RunningLocalPlatform, startLocalPlatformProcess } from '../support/local-runtime-process.js';
import { ProgressBound } from '../support/progress-bound.js';

// Through `npm start`, over HTTP only, as a producer would: topics, broadcasts through the bulk lanes, and a critical
// email sent while one drains.
let platform: RunningLocalPlatform;
const KEY = 'local-dev-key';
const RUN = randomUUID().slice(0, 8);
/**
 * The broadcast of the issue: a thousand subscribers, each emailed once (`npm test` sends 250, as the bulk lane's 10 a
 * second make a thousand take minutes on a busy machine; BROADCAST_AUDIENCE sets the number).
 */
const AUDIENCE = Number(process.env.BROADCAST_AUDIENCE ?? 1_000);

// biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON the API answered
type Json = any;

/** A producer's call; a 429 (the local key's plan: 100 a second) is retried after its Retry-After, as a client would. */
async function call(method: string, path: string, body?: unknown, key = KEY): Promise<{ status: number; json: Json }> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${platform.url}${path}`, {
      method,
      headers: { 'x-api-key': key, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json().catch(() => undefined);
    if (response.status !== 429 || attempt === 20) return { status: response.status, json };
    await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000));
  }
}

/** People with an email address each, `count` of them, made `width` at a time. */
async function people(prefix: string, count: number, width = 16): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, index) => `${prefix}-${RUN}-${index}`);
  for (let start = 0; start < ids.length; start += width) {
    const made = await Promise.all(
      ids
        .slice(start, start + width)
        .map((id) => call('PUT', `/v1/users/${id}/contacts`, { email_address: `${id}@example.com` })),
    );
    expect(made.map(({ status }) => status)).toEqual(made.map(() => 200));
  }
  return ids;
}

async function topicOf(name: string, userIds: readonly string[]): Promise<string> {
  const topic = `${name}-${RUN}`;
  for (let start = 0; start < userIds.length; start += 1_000) {
    const subscribed = await call('POST', `/v1/topics/${topic}/subscribers`, {
      user_ids: userIds.slice(start, start + 1_000),
    });
    expect(subscribed.status).toBe(200);
  }
  return topic;
}

/** How many emails LocalStack's SES holds for each of these addresses. */
async function emailsTo(addresses: readonly string[]): Promise<Map<string, number>> {
  const wanted = new Set(addresses);
  const response = await fetch(`${endpointFor('SES', process.env)}/_aws/ses`);
  const { messages } = (await response.json()) as { messages: SesRecord[] };
  const counts = new Map<string, number>();
  for (const message of messages) {
    const { to } = await partsOf(message);
    if (wanted.has(to)) counts.set(to, (counts.get(to) ?? 0) + 1);
  }
  return counts;
}

/** Polls a broadcast until `done` says so, with a bound that moves with its progress; every snapshot seen. */
async function drain(broadcastId: string, done: (broadcast: Json) => boolean): Promise<Json[]> {
  const bound = new ProgressBound(90_000, 1_200_000);
  const seen: Json[] = [];
  for (;;) {
    const { json } = await call('GET', `/v1/notifications/${broadcastId}`);
    seen.push(json);
    if (done(json)) return seen;
    bound.observe(JSON.stringify({ status: json.status, ...json.broadcast }));
    if (bound.passed) throw new Error(`the broadcast did not drain: ${bound.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  platform = await startLocalPlatformProcess();
  for (const [type, body] of Object.entries({
    outage_notice: { email: { subject: 'Status: {{ service }}', body: '<p>{{ service }} is degraded.</p>' } },
    'auth.login_code': {
      critical: true,
      email: { subject: 'Your code', body: '<p>Your code is {{ code }}.</p>' },
    },
  })) {
    expect((await call('PUT', `/v1/templates/${type}`, body)).status, type).toBe(200);
  }
}, 600_000);
afterAll(async () => {
  expect(await platform.stop()).toBe(0);
});

describe('broadcasts through npm start', () => {
  it(`emails each of ${AUDIENCE} subscribers once, shows its progress while it drains, and lets a critical email through`, async () => {
    // Arrange
    const audience = await people('bc', AUDIENCE);
    const topic = await topicOf('status', audience);
    const [someoneElse] = await people('critical', 1);

    // Act
    const accepted = await call('POST', '/v1/notifications', {
      topic,
      type: 'outage_notice',
      payload: { service: 'api' },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ status: 'fanning_out', channels: {} });
    const broadcastId = accepted.json.notification_id;
    // Once its first emails go out, a critical one to someone else goes through its own lane.
    await drain(broadcastId, (broadcast) => broadcast.broadcast?.sent > 0);
    const code = await call('POST', '/v1/notifications', {
      user_id: someoneElse,
      type: 'auth.login_code',
      payload: { code: '123456' },
    });
    expect(code.status).toBe(202);
    const seen = await drain(broadcastId, (broadcast) => broadcast.broadcast?.finished_at !== undefined);

    // Assess
    const last = seen.at(-1);
    expect(last).toMatchObject({
      topic,
      status: 'fanned_out',
      broadcast: { recipients: AUDIENCE, dispatched: AUDIENCE, sent: AUDIENCE, failed: 0, skipped: {} },
    });
    // Seen part-way: some sent, not all.
    expect(seen.some(({ broadcast }) => broadcast && broadcast.sent > 0 && broadcast.sent < AUDIENCE)).toBe(true);
    const emails = await emailsTo(audience.map((id) => `${id}@example.com`));
    expect(emails.size).toBe(AUDIENCE);
    expect([...emails.values()].filter((count) => count !== 1)).toEqual([]);
    // The bulk lane's jobs ran in a worker process of their own, which its first batch started.
    expect(platform.output().match(/"event":"worker_started","channel":"email","lane":"bulk"/g)).toHaveLength(1);
    // The critical email arrived; how soon, against the same with no broadcast, is the benchmark's (docs/benchmarks.md).
    const codeSent = await eventually('the critical email sent', async () => {
      const { json } = await call('GET', `/v1/notifications/${code.json.notification_id}`);
      return ['sent', 'delivered'].includes(json.channels.email?.status) ? json : undefined;
    });
    expect(codeSent.channels.email.status).toMatch(/sent|delivered/);
    // Each recipient's notification is one of its own, named by the broadcast.
    const { json: outbox } = await call('GET', `/_local/outbox?user=${audience[0]}`);
    const entry = (outbox as Outbox).entries[0];
    const recipient = await call('GET', `/v1/notifications/${entry?.notification_id}`);
    expect(recipient.json).toMatchObject({ user_id: audience[0], broadcast_id: broadcastId, status: 'queued' });
  }, 1_500_000);

  it('stops every recipient not yet sent when the broadcast is cancelled', async () => {
    const audience = await people('cancel', 200);
    const topic = await topicOf('cancelled', audience);
    const accepted = await call('POST', '/v1/notifications', {
      topic,
      type: 'outage_notice',
      payload: { service: 'db' },
    });
    await drain(accepted.json.notification_id, (broadcast) => broadcast.broadcast?.sent > 0);

    const cancel = await call('POST', `/v1/notifications/${accepted.json.notification_id}/cancel`);
    const again = await call('POST', `/v1/notifications/${accepted.json.notification_id}/cancel`);

    expect(cancel).toMatchObject({ status: 200, json: { status: 'partly_cancelled', cancelled: ['email'] } });
    expect(again.status).toBe(200);
    const seen = await drain(accepted.json.notification_id, ({ broadcast }) =>
      broadcast ? broadcast.sent + broadcast.cancelled + broadcast.failed === broadcast.dispatched : false,
    );
    const last = seen.at(-1).broadcast;
    expect(last.sent).toBeLessThan(200);
    expect(last.cancelled).toBeGreaterThan(0);
    const emails = await emailsTo(audience.map((id) => `${id}@example.com`));
    expect([...emails.values()].reduce((sum, count) => sum + count, 0)).toBe(last.sent);
  }, 600_000);

  it('fans a scheduled broadcast out at its time', async () => {
    const audience = await people('later', 3);
    const topic = await topicOf('later', audience);
    const sendAt = new Date(Date.now() + 5_000).toISOString();

    const accepted = await call('POST', '/v1/notifications', {
      topic,
      type: 'outage_notice',
      payload: { service: 'queue' },
      send_at: sendAt,
    });

    expect(accepted.json).toMatchObject({ status: 'scheduled', send_at: sendAt });
    const seen = await drain(
      accepted.json.notification_id,
      (broadcast) => broadcast.broadcast?.finished_at !== undefined,
    );
    expect(seen.at(-1)).toMatchObject({ status: 'fanned_out', broadcast: { recipients: 3, sent: 3 } });
    expect(Date.parse(seen.at(-1).dispatched_at)).toBeGreaterThanOrEqual(Date.parse(sendAt));
  }, 600_000);

  it("refuses a topic no one subscribed to, another producer's topic, and both a person and a topic", async () => {
    const [person] = await people('refused', 1);
    const topic = await topicOf('owned', [person ?? '']);

    const unknown = await call('POST', '/v1/notifications', {
      topic: `nobody-${RUN}`,
      type: 'outage_notice',
      payload: {},
    });
    const another = await call(
      'POST',
      '/v1/notifications',
      { topic, type: 'auth.login_code', payload: {} },
      'local-auth-service-key',
    );
    const both = await call('POST', '/v1/notifications', {
      topic,
      user_id: person,
      type: 'outage_notice',
      payload: {},
    });
    const neither = await call('POST', '/v1/notifications', { type: 'outage_notice', payload: {} });

    expect(unknown).toMatchObject({ status: 422, json: { error: { code: 'unknown_topic' } } });
    expect(another).toMatchObject({ status: 403, json: { error: { code: 'not_owner' } } });
    for (const refused of [both, neither]) {
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.json)).toContain('user_id');
    }
  }, 120_000);
});
