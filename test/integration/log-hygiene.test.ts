import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { type RunningLocalPlatform, startLocalPlatformProcess } from '../support/local-runtime-process.js';

// Everything the platform logs while it handles personal data, at the most verbose level, must carry ids
// only: no address, number, device token or payload value.
const secrets = {
  email: `private.person.${randomUUID().slice(0, 8)}@example.org`,
  phone: '+4917099887766',
  token: `fcm-${randomBytes(48).toString('base64url')}`,
  payload: `payload-value-${randomUUID()}`,
};
let platform: RunningLocalPlatform;
let log: string;

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { 'x-api-key': 'local-dev-key', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json().catch(() => undefined)) as Record<string, unknown> };
}

beforeAll(async () => {
  const previous = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  platform = await startLocalPlatformProcess();
  process.env.POWERTOOLS_LOG_LEVEL = previous;

  const userId = `user-${randomUUID()}`;
  await call('PUT', '/v1/templates/hygiene', {
    email: { subject: 'Hello', body: '<p>{{ secret }}</p>' },
    sms: { body: 'Code {{ secret }}' },
    push: { title: 'Hi', body: '{{ secret }}' },
  });
  await call('PUT', `/v1/users/${userId}/contacts`, { email_address: secrets.email, phone_number: secrets.phone });
  await call('POST', `/v1/users/${userId}/devices`, { platform: 'fcm', token: secrets.token });
  const accepted = await call('POST', '/v1/notifications', {
    user_id: userId,
    type: 'hygiene',
    payload: { secret: secrets.payload },
  });
  // Refused requests too: their bodies carry the same kinds of data.
  await call('PUT', `/v1/users/${userId}/contacts`, {
    email_address: secrets.email,
    phone_number: `${secrets.phone}x`,
  });
  await call('POST', '/v1/notifications', `{"user_id":"${userId}","payload":{"secret":"${secrets.payload}"`);
  await eventually('the three deliveries', async () => {
    const { json } = await call('GET', `/v1/notifications/${accepted.json.notification_id}`);
    const channels = Object.values((json.channels ?? {}) as Record<string, { status: string }>);
    // Sent, or delivered once SES's Delivery event has come back.
    return channels.length === 3 && channels.every((channel) => ['sent', 'delivered'].includes(channel.status))
      ? true
      : undefined;
  });
  expect(await platform.stop()).toBe(0);
  log = platform.output();
});
afterAll(async () => {
  await platform?.stop();
});

describe('logs', () => {
  it("were written: the runtime's lines and the functions' own, at DEBUG", () => {
    expect(log).toContain('"event":"request"');
    expect(log).toContain('"event":"delivery"');
    expect(log).toContain('"message":"notification accepted"');
    expect(log).toContain('"message":"device registered"');
  });

  it.each(Object.entries(secrets))('never contain the %s', (_kind, value) => {
    expect(log).not.toContain(value);
  });

  it('contain no email address or phone number at all', () => {
    expect(log.match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g) ?? []).toEqual([]);
    expect(log.match(/\+[1-9]\d{7,14}/g) ?? []).toEqual([]);
  });
});
