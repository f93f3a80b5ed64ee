import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryJob } from '../../lambdas/shared/adapters/webhook-deliveries.js';
import { resolvedAddressProblem, WebhookSender } from '../../lambdas/shared/adapters/webhook-sender.js';
import type { DeliveryAttempt } from '../../lambdas/shared/adapters/webhooks-store.js';
import type { StateEvent } from '../../lambdas/shared/domain/state-events.js';
import {
  type AttemptResult,
  failedTooLong,
  isPublicAddress,
  laneOf,
  newSigningSecret,
  parseRetryAfter,
  RETRY_SCHEDULE_SECONDS,
  retryAfterSeconds,
  signingSecrets,
  verdictOf,
  type WebhookEndpoint,
  wantsEvent,
  webhookPayload,
  webhookUrlProblem,
} from '../../lambdas/shared/domain/webhooks.js';
import { WebhookDelivery } from '../../lambdas/webhooks/webhook-delivery.js';
import { ENDPOINTS_CACHE_MS, stateEventOf, WebhookFanOut } from '../../lambdas/webhooks/webhook-fan-out.js';

const NOW = new Date('2026-12-08T10:00:00.000Z');
const event = (overrides: Partial<StateEvent> = {}): StateEvent => ({
  schema_version: '1',
  event_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
  event_type: 'message.sent',
  occurred_at: NOW.toISOString(),
  notification_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  producer: 'order-service',
  notification_type: 'order_shipped',
  critical: false,
  channel: 'email',
  status: 'sent',
  ...overrides,
});
const endpoint = (overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  endpointId: 'e1',
  producer: 'order-service',
  url: 'https://hooks.example.com/n',
  events: ['*'],
  secret: newSigningSecret(),
  createdAt: NOW.toISOString(),
  ...overrides,
});

describe('which deliveries go where', () => {
  it('gives an endpoint the types it lists, or every one for "*", and nothing once disabled', () => {
    expect(wantsEvent(endpoint(), 'message.bounced')).toBe(true);
    expect(wantsEvent(endpoint({ events: ['message.bounced'] }), 'message.bounced')).toBe(true);
    expect(wantsEvent(endpoint({ events: ['message.bounced'] }), 'message.sent')).toBe(false);
    expect(wantsEvent(endpoint({ disabledAt: NOW.toISOString() }), 'message.sent')).toBe(false);
  });

  it('puts an endpoint that fails or answers slowly on the slow lane', () => {
    expect(laneOf(endpoint())).toBe('prompt');
    expect(laneOf(endpoint({ failingSince: NOW.toISOString() }))).toBe('slow');
    expect(laneOf(endpoint({ slow: true }))).toBe('slow');
  });

  it('signs with the secret a rotation replaced for as long as it is valid, beside the new one', () => {
    const rotated = endpoint({ previousSecret: 'whsec_old', previousSecretExpiresAt: '2026-12-08T11:00:00.000Z' });
    expect(signingSecrets(rotated, NOW)).toEqual([rotated.secret, 'whsec_old']);
    expect(signingSecrets(rotated, new Date('2026-12-08T11:00:00.000Z'))).toEqual([rotated.secret]);
  });
});

describe('what an answer means', () => {
  it.each<[AttemptResult, string]>([
    [{ kind: 'answered', status: 200 }, 'delivered'],
    [{ kind: 'answered', status: 204 }, 'delivered'],
    [{ kind: 'answered', status: 500 }, 'retry'],
    [{ kind: 'answered', status: 503 }, 'retry'],
    [{ kind: 'answered', status: 429 }, 'retry'],
    [{ kind: 'answered', status: 301 }, 'rejected'],
    [{ kind: 'answered', status: 404 }, 'rejected'],
    [{ kind: 'answered', status: 410 }, 'rejected'],
    [{ kind: 'timed_out' }, 'retry'],
    [{ kind: 'unreachable', error: 'ECONNREFUSED' }, 'retry'],
    [{ kind: 'address_not_allowed' }, 'rejected'],
  ])('%o is %s', (result, verdict) => {
    expect(verdictOf(result)).toBe(verdict);
  });

  it('retries on the schedule, for more than 24 hours, and then no more', () => {
    const waits = RETRY_SCHEDULE_SECONDS.map((_, index) => retryAfterSeconds(index + 1, undefined));
    expect(waits).toEqual([...RETRY_SCHEDULE_SECONDS]);
    expect(waits.reduce((sum, wait) => (sum ?? 0) + (wait ?? 0), 0)).toBeGreaterThan(24 * 3600);
    expect(retryAfterSeconds(RETRY_SCHEDULE_SECONDS.length + 1, undefined)).toBeUndefined();
  });

  it('honours a Retry-After longer than the step, up to the longest step, and never waits less than the step', () => {
    expect(retryAfterSeconds(1, 120)).toBe(120);
    expect(retryAfterSeconds(1, 1)).toBe(5);
    expect(retryAfterSeconds(1, 10 ** 8)).toBe(Math.max(...RETRY_SCHEDULE_SECONDS));
  });

  it('reads Retry-After as seconds or as an HTTP date, and ignores anything else', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120);
    expect(parseRetryAfter('Tue, 08 Dec 2026 10:02:00 GMT', NOW)).toBe(120);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });

  it('disables an endpoint that has failed for five days', () => {
    expect(failedTooLong('2026-12-03T10:00:00.000Z', NOW)).toBe(true);
    expect(failedTooLong('2026-12-03T10:00:01.000Z', NOW)).toBe(false);
  });
});

describe('where deliveries may go', () => {
  it.each([
    ['http://hooks.example.com/n', 'must be an https URL'],
    ['ftp://hooks.example.com/n', 'must be an https URL'],
    ['not a url', 'must be an absolute URL'],
    ['https://hooks.example.com/(2,049 characters)', 'at most 2048'],
    ['https://user:secret@hooks.example.com/n', 'user name or password'],
    ['https://hooks.example.com/n#x', 'fragment'],
    ['https://127.0.0.1/n', 'private, loopback'],
    ['https://10.1.2.3/n', 'private, loopback'],
    ['https://192.168.0.1/n', 'private, loopback'],
    ['https://169.254.169.254/latest/meta-data', 'private, loopback'],
    ['https://0x7f.1/n', 'private, loopback'],
    ['https://2130706433/n', 'private, loopback'],
    ['https://[::1]/n', 'private, loopback'],
    ['https://[::ffff:127.0.0.1]/n', 'private, loopback'],
    ['https://[fd00::1]/n', 'private, loopback'],
    ['https://localhost/n', 'public host'],
    ['https://LOCALHOST./n', 'public host'],
    ['https://intranet/n', 'public host'],
    ['https://metadata.google.internal/n', 'public host'],
  ])('refuses %s', (url, problem) => {
    const longUrl = `https://hooks.example.com/${'a'.repeat(2_049 - 'https://hooks.example.com/'.length)}`;
    expect(
      webhookUrlProblem(url.replace('https://hooks.example.com/(2,049 characters)', longUrl), 'public-https'),
    ).toContain(problem);
  });

  it('takes a public https URL, and locally (policy any) http and loopback too', () => {
    expect(webhookUrlProblem('https://hooks.example.com/n?x=1', 'public-https')).toBeUndefined();
    expect(webhookUrlProblem('https://93.184.215.14/n', 'public-https')).toBeUndefined();
    expect(webhookUrlProblem('http://127.0.0.1:8080/n', 'any')).toBeUndefined();
  });

  it('refuses a name that resolves to a loopback or private address, or does not resolve', async () => {
    const dns = async (host: string) => {
      if (host === 'rebind.example.com') return [{ address: '93.184.215.14' }, { address: '127.0.0.1' }];
      if (host === 'hooks.example.com') return [{ address: '93.184.215.14' }];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    expect(await resolvedAddressProblem('https://rebind.example.com/n', 'public-https', dns)).toContain('resolves');
    expect(await resolvedAddressProblem('https://nowhere.example.com/n', 'public-https', dns)).toContain(
      'does not resolve',
    );
    expect(await resolvedAddressProblem('https://hooks.example.com/n', 'public-https', dns)).toBeUndefined();
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('100.64.0.1')).toBe(false);
  });
});

describe('WebhookSender', () => {
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  let url = '';
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (request.url === '/busy') response.writeHead(429, { 'Retry-After': '120' }).end();
      else if (request.url === '/hang') return;
      else if (request.url === '/trickle') {
        // An answer whose headers never end, a line every 50 ms: the socket is never idle.
        response.socket?.write('HTTP/1.1 200 OK\r\n');
        const trickle = setInterval(() => {
          if (response.socket?.destroyed) clearInterval(trickle);
          else response.socket?.write('x-trickle: 1\r\n');
        }, 50);
      } else response.writeHead(204).end();
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('signs so that the standardwebhooks verifier accepts each secret, and refuses a tampered body', async () => {
    const [current, previous] = [newSigningSecret(), newSigningSecret()];
    const payload = webhookPayload(event());
    const result = await new WebhookSender('any').send(
      { url: `${url}/ok`, messageId: event().event_id, payload, secrets: [current, previous], timeoutMs: 5_000 },
      new Date(),
    );

    expect(result).toEqual({ kind: 'answered', status: 204, retryAfterSeconds: undefined });
    const { headers, body } = received.at(-1) ?? { headers: {}, body: '' };
    const flat = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)]));
    expect(flat['webhook-id']).toBe(event().event_id);
    expect(new Webhook(current).verify(body, flat)).toEqual(JSON.parse(payload));
    expect(new Webhook(previous).verify(body, flat)).toEqual(JSON.parse(payload));
    expect(() => new Webhook(current).verify(body.replace('sent', 'bounced'), flat)).toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(body, flat)).toThrow();
  });

  it("reads a 429's Retry-After, and times out on an endpoint that does not answer, or answers a byte at a time", async () => {
    const sender = new WebhookSender('any');
    const delivery = { messageId: 'm', payload: '{}', secrets: [newSigningSecret()], timeoutMs: 300 };
    expect(await sender.send({ ...delivery, url: `${url}/busy` })).toMatchObject({
      kind: 'answered',
      status: 429,
      retryAfterSeconds: 120,
    });
    expect(await sender.send({ ...delivery, url: `${url}/hang` })).toEqual({ kind: 'timed_out' });
    expect(await sender.send({ ...delivery, url: `${url}/trickle` })).toEqual({ kind: 'timed_out' });
    expect(await sender.send({ ...delivery, url: 'http://127.0.0.1:1/n' })).toMatchObject({ kind: 'unreachable' });
  });

  it('deployed, connects to no private or loopback address, whatever the name resolves to when it connects', async () => {
    const sender = new WebhookSender('public-https');
    const delivery = { messageId: 'm', payload: '{}', secrets: [newSigningSecret()], timeoutMs: 2_000 };
    const before = received.length;
    // localhost resolves (now) to 127.0.0.1: the agent refuses the socket once the name is resolved.
    expect(await sender.send({ ...delivery, url: url.replace('http://127.0.0.1', 'https://localhost') })).toEqual({
      kind: 'address_not_allowed',
    });
    expect(await sender.send({ ...delivery, url: `${url}/ok` })).toEqual({ kind: 'address_not_allowed' });
    expect(received.length).toBe(before);
  });
});

describe('WebhookDelivery', () => {
  function parts(result: AttemptResult, found: WebhookEndpoint | null = endpoint()) {
    const attempts: DeliveryAttempt[] = [];
    const queued: { lane: string; jobs: readonly DeliveryJob[] }[] = [];
    const hidden: string[] = [];
    const health: boolean[] = [];
    const delivery = new WebhookDelivery({
      store: {
        endpoint: async () => found ?? undefined,
        recordAttempt: async (_id, attempt) => void attempts.push(attempt),
        recordHealth: async (_endpoint, delivered) => {
          health.push(delivered);
          return false;
        },
      },
      deliveries: {
        send: async (lane, jobs) => void queued.push({ lane, jobs }),
        hideUntil: async (_lane, _handle, dueAt) => void hidden.push(dueAt),
      },
      sender: { send: async () => result },
      clock: () => NOW,
    });
    return { delivery, attempts, queued, hidden, health };
  }
  const job = (overrides: Partial<DeliveryJob> = {}): DeliveryJob => ({
    endpoint_id: 'e1',
    producer: 'order-service',
    attempt: 1,
    event: event(),
    ...overrides,
  });
  const received = { lane: 'prompt' as const, receiptHandle: 'r' };

  it('records a delivery, and the endpoint as healthy', async () => {
    const { delivery, attempts, queued, health } = parts({ kind: 'answered', status: 200 });
    expect(await delivery.deliver(job(), received)).toBe('delivered');
    expect(attempts).toMatchObject([{ attempt: 1, verdict: 'delivered', eventId: event().event_id }]);
    expect(queued).toEqual([]);
    expect(health).toEqual([true]);
  });

  it('queues a failure that may pass on the slow lane for its time, as the next attempt', async () => {
    const { delivery, attempts, queued, health } = parts({ kind: 'answered', status: 503 });
    expect(await delivery.deliver(job({ attempt: 2 }), received)).toBe('retrying');
    const next = queued[0]?.jobs[0];
    expect(queued[0]?.lane).toBe('slow');
    expect(next?.attempt).toBe(3);
    expect(Date.parse(next?.due_at ?? '') - NOW.getTime()).toBeGreaterThanOrEqual(300_000);
    expect(attempts[0]).toMatchObject({ verdict: 'retry', nextAttemptAt: next?.due_at });
    expect(health).toEqual([false]);
  });

  it('ends a delivery the endpoint refused, or whose schedule is spent', async () => {
    const refused = parts({ kind: 'answered', status: 404 });
    expect(await refused.delivery.deliver(job(), received)).toBe('failed');
    expect(refused.queued).toEqual([]);
    const spent = parts({ kind: 'timed_out' });
    expect(await spent.delivery.deliver(job({ attempt: RETRY_SCHEDULE_SECONDS.length + 1 }), received)).toBe('failed');
    expect(spent.queued).toEqual([]);
    expect(spent.attempts[0]?.nextAttemptAt).toBeUndefined();
  });

  it('hides a job not due yet until its time, and sends nothing to a deleted or disabled endpoint', async () => {
    const early = parts({ kind: 'answered', status: 200 });
    const dueAt = new Date(NOW.getTime() + 3_600_000).toISOString();
    expect(await early.delivery.deliver(job({ due_at: dueAt }), received)).toBe('waiting');
    expect(early.hidden).toEqual([dueAt]);
    expect(early.attempts).toEqual([]);
    const gone = parts({ kind: 'answered', status: 200 }, null);
    expect(await gone.delivery.deliver(job(), received)).toBe('endpoint_gone');
    const disabled = parts({ kind: 'answered', status: 200 }, endpoint({ disabledAt: NOW.toISOString() }));
    expect(await disabled.delivery.deliver(job(), received)).toBe('endpoint_disabled');
    expect(disabled.attempts).toMatchObject([{ verdict: 'endpoint_disabled' }]);
  });
});

describe('WebhookFanOut', () => {
  it("makes a job per endpoint of the event's producer that wants it, on its lane, reading the endpoints once a while", async () => {
    let reads = 0;
    let now = 0;
    const queued: { lane: string; jobs: readonly DeliveryJob[] }[] = [];
    const fanOut = new WebhookFanOut(
      {
        endpointsOf: async (producer) => {
          reads++;
          return producer === 'order-service'
            ? [
                endpoint({ endpointId: 'all' }),
                endpoint({ endpointId: 'bounces', events: ['message.bounced'] }),
                endpoint({ endpointId: 'failing', failingSince: NOW.toISOString() }),
              ]
            : [];
        },
      },
      { send: async (lane, jobs) => void queued.push({ lane, jobs }) },
      () => now,
    );

    expect(await fanOut.fanOut([event(), event({ producer: 'auth-service' })])).toBe(2);
    expect(queued.map(({ lane, jobs }) => [lane, jobs.map((job) => job.endpoint_id)])).toEqual([
      ['prompt', ['all']],
      ['slow', ['failing']],
    ]);
    await fanOut.fanOut([event({ event_type: 'message.bounced' })]);
    expect(reads).toBe(2);
    now += ENDPOINTS_CACHE_MS + 1;
    await fanOut.fanOut([event()]);
    expect(reads).toBe(3);
  });

  it("reads the state event out of the bus's envelope, and nothing else", () => {
    expect(stateEventOf({ 'detail-type': 'message.sent', detail: event() })).toEqual(event());
    expect(stateEventOf({ detail: { ...event(), event_type: 'message.opened' } })).toBeUndefined();
    expect(stateEventOf({ detail: 'x' })).toBeUndefined();
    expect(stateEventOf(undefined)).toBeUndefined();
  });
});
