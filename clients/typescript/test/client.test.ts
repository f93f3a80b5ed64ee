import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { Channel } from '../../../lambdas/channels/registry.js';
import { API_TAGS } from '../../../lambdas/shared/platform/openapi-tags.js';
import { OPERATION_LIST, pathParameterNames } from '../../../lambdas/shared/platform/operations.js';
import {
  type AttemptOutcome,
  createNotificationClient,
  NotificationApiError,
  type NotificationClientOptions,
  NotificationConnectionError,
  NotificationRetriesExhaustedError,
  type ProducerOperationId,
} from '../src/index.js';

const BASE_URL = 'https://api.example.test/v1';
const API_KEY = 'producer-key';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

interface SentRequest {
  readonly url: string;
  readonly method: string | undefined;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly signal: AbortSignal | null | undefined;
}

/** A fetch that answers the replies in order (the last one again and again) and records what it was sent. */
function fakeFetch(...replies: Reply[]) {
  const sent: SentRequest[] = [];
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    sent.push({
      url,
      method: init.method,
      headers: init.headers as Record<string, string>,
      body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
      signal: init.signal,
    });
    const reply = (replies.length > 1 ? replies.shift() : replies[0]) as Reply;
    if (reply instanceof Error) throw reply;
    const text =
      reply.body === undefined ? null : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    return new Response(text, { status: reply.status, headers: reply.headers });
  };
  return { fetch, sent };
}

/** A client whose waits are recorded, never waited. */
function clientWith(fetch: ReturnType<typeof fakeFetch>['fetch'], options: Partial<NotificationClientOptions> = {}) {
  const delays: number[] = [];
  const outcomes: AttemptOutcome[] = [];
  const client = createNotificationClient({
    baseUrl: BASE_URL,
    apiKey: API_KEY,
    fetch,
    sleep: async (ms) => {
      delays.push(ms);
    },
    onAttempt: (outcome) => outcomes.push(outcome),
    ...options,
  });
  return { client, delays, outcomes };
}

const refused = () =>
  new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) });
const timedOut = () => new DOMException('The operation was aborted due to timeout', 'TimeoutError');
const unavailable = (headers?: Record<string, string>): Reply => ({
  status: 503,
  body: { error: { code: 'dependency_unavailable', message: 'try again' } },
  ...(headers ? { headers } : {}),
});
const accepted: Reply = {
  status: 202,
  body: { notification_id: '3b241101-e2bb-4255-8caf-4136c566a962', status: 'queued', channels: {} },
};
const notification = { user_id: 'user-1', type: 'welcome', payload: { name: 'Ada' } };

afterEach(() => {
  vi.restoreAllMocks();
});

/** The table's operations a producer's service calls: those of the tags whose audience is a producer. */
const PRODUCER_OPERATIONS = OPERATION_LIST.filter((operation) => API_TAGS[operation.tag].audience === 'producer');

describe('one function per operation a producer calls', () => {
  it("has exactly the operations of the table's producer tags", () => {
    const { client } = clientWith(fakeFetch({ status: 200, body: {} }).fetch);

    expect(Object.keys(client).sort()).toEqual(PRODUCER_OPERATIONS.map((operation) => operation.id).sort());
  });

  it("has none of the webhooks, the recipients' links or the API's description", () => {
    const { client } = clientWith(fakeFetch({ status: 200, body: {} }).fetch);
    const notCalledByProducers = OPERATION_LIST.filter((operation) => !PRODUCER_OPERATIONS.includes(operation));

    expect(new Set(notCalledByProducers.map((operation) => operation.tag))).toEqual(
      new Set(['api-description', 'recipient-links', 'webhooks']),
    );
    for (const operation of notCalledByProducers) expect(client, operation.id).not.toHaveProperty(operation.id);
    expectTypeOf<'twilioStatusCallback'>().not.toMatchTypeOf<ProducerOperationId>();
    expectTypeOf<'unsubscribe'>().not.toMatchTypeOf<ProducerOperationId>();
    expectTypeOf<'getApiDescription'>().not.toMatchTypeOf<ProducerOperationId>();
  });

  it.each(PRODUCER_OPERATIONS)(
    '$id sends $method $path, its parameters encoded, its body as JSON, the key',
    async (operation) => {
      const [status, answer] = Object.entries(operation.answers)[0] ?? [];
      const body = Number(status) === 204 ? undefined : { answered: operation.id };
      const { fetch, sent } = fakeFetch({ status: Number(status), body });
      const { client } = clientWith(fetch);
      const path = Object.fromEntries(pathParameterNames(operation.path).map((name) => [name, `${name} a/b?c#d`]));
      const requestBody = operation.body ? { some: 'body' } : undefined;

      const call = client[operation.id as ProducerOperationId] as (request: unknown) => Promise<unknown>;
      const result = await call({ path, body: requestBody });

      expect(answer).toBeDefined();
      expect(result).toEqual(body);
      expect(sent).toHaveLength(1);
      const [request] = sent;
      expect(request?.method).toBe(operation.method);
      const expectedPath = operation.path.replace(/\{(\w+)\}/g, (_, name: string) =>
        encodeURIComponent(`${name} a/b?c#d`),
      );
      expect(request?.url).toBe(`${BASE_URL}${expectedPath}`);
      expect(request?.headers['x-api-key']).toBe(API_KEY);
      expect(request?.body).toEqual(requestBody);
      expect(request?.headers['Content-Type']).toBe(requestBody === undefined ? undefined : 'application/json');
      if (operation.idempotent) expect(request?.headers['Idempotency-Key']).toMatch(UUID);
      else expect(request?.headers['Idempotency-Key']).toBeUndefined();
    },
  );

  it('encodes path parameters, so a value cannot reach another route', async () => {
    const { fetch, sent } = fakeFetch({ status: 204 });
    const { client } = clientWith(fetch);

    const result = await client.removeDevice({ path: { user_id: 'user 1/../x', device_id: 'ab%2F?' } });

    expect(result).toBeUndefined();
    expect(sent[0]?.url).toBe(`${BASE_URL}/users/user%201%2F..%2Fx/devices/ab%252F%3F`);
  });

  it('takes a base URL with a trailing slash', async () => {
    const { fetch, sent } = fakeFetch({ status: 200, body: {} });
    const { client } = clientWith(fetch, { baseUrl: `${BASE_URL}/` });

    await client.getPreferences({ path: { user_id: 'user-1' } });

    expect(sent[0]?.url).toBe(`${BASE_URL}/preferences/user-1`);
  });

  it('refuses a call without a path parameter before sending anything', async () => {
    const { fetch, sent } = fakeFetch({ status: 200, body: {} });
    const { client } = clientWith(fetch);
    const untyped = client.getPreferences as (request: unknown) => Promise<unknown>;

    await expect(untyped({ path: {} })).rejects.toThrow('path parameter user_id is missing');
    expect(sent).toHaveLength(0);
  });

  it('sends the query parameters given, encoded, and none left undefined', async () => {
    const { fetch, sent } = fakeFetch({ status: 200, body: { templates: [] } });
    const { client } = clientWith(fetch);

    await client.listTemplates();
    await client.listTemplates({ query: { limit: 3, cursor: 'a+b/c' } });
    await client.listTemplates({ query: { cursor: undefined } });

    expect(sent.map((request) => request.url)).toEqual([
      `${BASE_URL}/templates`,
      `${BASE_URL}/templates?limit=3&cursor=a%2Bb%2Fc`,
      `${BASE_URL}/templates`,
    ]);
    expectTypeOf(client.listTemplates).toBeCallableWith({ query: { cursor: 'c', limit: 10 } });
    expectTypeOf(client.listTemplates).returns.resolves.toHaveProperty('templates').toBeArray();
    expectTypeOf(client.listTemplates)
      .returns.resolves.toHaveProperty('next_cursor')
      .toEqualTypeOf<string | undefined>();
    // @ts-expect-error: only an operation with query parameters takes a query
    void client.getTemplate({ path: { type: 'welcome' }, query: { limit: 3 } }).catch(() => {});
  });

  it('is typed from the schemas: the request as they accept it, the answer as they describe it', () => {
    const { client } = clientWith(fakeFetch({ status: 200, body: {} }).fetch);

    type SendRequest = Parameters<typeof client.sendNotification>[0];
    expectTypeOf<SendRequest['body']>().toEqualTypeOf<{
      user_id?: string | undefined;
      topic?: string | undefined;
      type: string;
      payload: Record<string, unknown>;
      channels?: Channel[] | undefined;
      send_at?: string | undefined;
      cancel_key?: string | undefined;
    }>();
    expectTypeOf<SendRequest['idempotencyKey']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<SendRequest['path']>().toEqualTypeOf<undefined>();
    expectTypeOf(client.getPreferences).parameter(0).toMatchTypeOf<{ readonly path: { user_id: string } }>();
    expectTypeOf(client.removeDevice)
      .parameter(0)
      .toMatchTypeOf<{ readonly path: { user_id: string; device_id: string } }>();
    expectTypeOf(client.sendNotification).returns.resolves.toHaveProperty('notification_id').toBeString();
    expectTypeOf(client.sendNotification)
      .returns.resolves.toHaveProperty('status')
      .toEqualTypeOf<'queued' | 'suppressed' | 'scheduled' | 'digested' | 'fanning_out'>();
    expectTypeOf(client.cancelNotification).toBeCallableWith({ path: { notification_id: 'a' } });
    expectTypeOf(client.cancelNotificationsByKey).toBeCallableWith({ body: { cancel_key: 'order-1-reminder' } });
    expectTypeOf(client.cancelNotificationsByKey).returns.resolves.toHaveProperty('cancelled').toBeNumber();
    expectTypeOf(client.listDevices).returns.resolves.toHaveProperty('devices').toBeArray();
    expectTypeOf(client.removeDevice).returns.resolves.toBeUndefined();
    expectTypeOf(client.erasePerson).returns.resolves.toBeUndefined();
    expectTypeOf(client.getNotification).toBeCallableWith({ path: { notification_id: 'a' } });
    // @ts-expect-error: only an operation that takes an Idempotency-Key has one
    void client.putTemplate({ path: { type: 'welcome' }, body: {}, idempotencyKey: 'k' }).catch(() => {});
    // @ts-expect-error: the path parameters are required
    void client.getTemplate({}).catch(() => {});
  });
});

describe('Idempotency-Key', () => {
  it('is generated per call and kept on every retry of that call', async () => {
    const { fetch, sent } = fakeFetch(unavailable({ 'Retry-After': '1' }), refused(), accepted, accepted);
    const { client } = clientWith(fetch);

    await client.sendNotification({ body: notification });
    await client.sendNotification({ body: notification });

    const keys = sent.map((request) => request.headers['Idempotency-Key']);
    expect(keys).toHaveLength(4);
    expect(keys[0]).toMatch(UUID);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).toBe(keys[0]);
    expect(keys[3]).toMatch(UUID);
    expect(keys[3]).not.toBe(keys[0]);
  });

  it("is the caller's when given, on every attempt", async () => {
    const { fetch, sent } = fakeFetch(unavailable(), accepted);
    const { client } = clientWith(fetch);

    const answer = await client.sendNotification({ body: notification, idempotencyKey: 'order-42/shipped' });

    expect(answer.status).toBe('queued');
    expect(sent.map((request) => request.headers['Idempotency-Key'])).toEqual(['order-42/shipped', 'order-42/shipped']);
  });
});

describe("a batch's idempotency keys", () => {
  it('gives each notification without one its own, the same on every retry, and keeps those given', async () => {
    const results: Reply = { status: 200, body: { results: [] } };
    const { fetch, sent } = fakeFetch(refused(), unavailable({ 'Retry-After': '1' }), results);
    const { client } = clientWith(fetch);

    await client.sendNotificationBatch({
      body: { notifications: [notification, { ...notification, idempotency_key: 'order-42/shipped' }, notification] },
    });

    expect(sent).toHaveLength(3);
    const keys = sent.map((request) =>
      (request.body as { notifications: { idempotency_key: string }[] }).notifications.map(
        (each) => each.idempotency_key,
      ),
    );
    expect(keys[0]?.[0]).toMatch(UUID);
    expect(keys[0]?.[1]).toBe('order-42/shipped');
    expect(new Set(keys[0]).size).toBe(3);
    expect(keys[1]).toEqual(keys[0]);
    expect(keys[2]).toEqual(keys[0]);
    expect(sent[0]?.headers['Idempotency-Key']).toBeUndefined();
  });
});

describe('retries', () => {
  it('waits what Retry-After says, on 503 and 429, capped by maxRetryDelayMs', async () => {
    const { fetch, sent } = fakeFetch(
      unavailable({ 'Retry-After': '2' }),
      { status: 429, body: { message: 'Too Many Requests' }, headers: { 'Retry-After': '1' } },
      unavailable({ 'Retry-After': '120' }),
      { status: 200, body: { email: true } },
    );
    const { client, delays } = clientWith(fetch, { maxRetryDelayMs: 10_000 });

    const answer = await client.getPreferences({ path: { user_id: 'user-1' } });

    expect(answer).toEqual({ email: true });
    expect(sent).toHaveLength(4);
    expect(delays).toEqual([2_000, 1_000, 10_000]);
  });

  it('backs off exponentially, with jitter, without Retry-After', async () => {
    const { fetch } = fakeFetch(unavailable(), unavailable(), unavailable(), unavailable(), { status: 200, body: {} });
    const low = clientWith(fetch, { maxAttempts: 10 });
    vi.spyOn(Math, 'random').mockReturnValue(0);
    await low.client.getTemplate({ path: { type: 'welcome' } });

    const again = fakeFetch(unavailable(), unavailable(), unavailable(), unavailable(), unavailable(), {
      status: 200,
      body: {},
    });
    const high = clientWith(again.fetch, { maxAttempts: 10, maxRetryDelayMs: 2_000 });
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    await high.client.getTemplate({ path: { type: 'welcome' } });

    expect(low.delays).toEqual([100, 200, 400, 800]);
    expect(high.delays.map(Math.round)).toEqual([200, 400, 800, 1_600, 2_000]);
  });

  it('jitters: delays differ between calls and stay within the window', async () => {
    const { fetch } = fakeFetch(unavailable());
    const { client, delays } = clientWith(fetch, { maxAttempts: 2 });

    for (let call = 0; call < 20; call++) await client.listDevices({ path: { user_id: 'user-1' } }).catch(() => {});

    expect(delays).toHaveLength(20);
    for (const delay of delays) expect(delay >= 100 && delay <= 200).toBe(true);
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  it('retries 409 idempotency_key_in_use after its Retry-After, with the same key', async () => {
    const inUse: Reply = {
      status: 409,
      body: { error: { code: 'idempotency_key_in_use', message: 'a request with this key is at work' } },
      headers: { 'Retry-After': '1' },
    };
    const { fetch, sent } = fakeFetch(inUse, accepted);
    const { client, delays } = clientWith(fetch);

    const answer = await client.sendNotification({ body: notification, idempotencyKey: 'k-1' });

    expect(answer.notification_id).toBe('3b241101-e2bb-4255-8caf-4136c566a962');
    expect(delays).toEqual([1_000]);
    expect(sent.map((request) => request.headers['Idempotency-Key'])).toEqual(['k-1', 'k-1']);
  });

  it('does not retry 409 idempotency_key_reused', async () => {
    const { fetch, sent } = fakeFetch({
      status: 409,
      body: { error: { code: 'idempotency_key_reused', message: 'this key was used with another body' } },
    });
    const { client, delays } = clientWith(fetch);

    const error = await client.sendNotification({ body: notification, idempotencyKey: 'k-1' }).catch((e) => e);

    expect(error).toBeInstanceOf(NotificationApiError);
    expect(error).toMatchObject({ status: 409, code: 'idempotency_key_reused', operation: 'sendNotification' });
    expect(sent).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('gives up after maxAttempts, saying how many and the last status', async () => {
    const { fetch, sent } = fakeFetch(unavailable({ 'Retry-After': '1' }));
    const { client, delays } = clientWith(fetch, { maxAttempts: 3 });

    const error = await client.putContacts({ path: { user_id: 'user-1' }, body: {} }).catch((e) => e);

    expect(error).toBeInstanceOf(NotificationRetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 3, lastStatus: 503, operation: 'putContacts' });
    expect(error.message).toBe(
      'PUT /users/{user_id}/contacts: gave up after 3 attempts; the last answered 503 dependency_unavailable',
    );
    expect(error.cause).toBeInstanceOf(NotificationApiError);
    expect(error.cause).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    expect(sent).toHaveLength(3);
    expect(delays).toEqual([1_000, 1_000]);
  });

  it('gives up after the default of 5 attempts', async () => {
    const { fetch, sent } = fakeFetch({ status: 429, body: { message: 'Too Many Requests' } });
    const { client } = clientWith(fetch, { onAttempt: undefined });

    await expect(client.getNotification({ path: { notification_id: 'x' } })).rejects.toThrow(
      'GET /notifications/{notification_id}: gave up after 5 attempts; the last answered 429',
    );
    expect(sent).toHaveLength(5);
  });
});

describe('answers that are not retried', () => {
  it("throw the platform's error: status, code, message, details", async () => {
    const { fetch, sent } = fakeFetch({
      status: 400,
      body: {
        error: {
          code: 'invalid_request',
          message: 'the request is not valid',
          details: [{ field: 'quiet_hours.timezone', message: 'must be an IANA time zone' }],
        },
      },
    });
    const { client } = clientWith(fetch);

    const error = await client
      .putPreferences({
        path: { user_id: 'user-1' },
        body: { email: true, sms: true, push: true, quiet_hours: null },
      })
      .catch((e) => e);

    expect(error).toBeInstanceOf(NotificationApiError);
    expect(error).toMatchObject({
      name: 'NotificationApiError',
      operation: 'putPreferences',
      status: 400,
      code: 'invalid_request',
      message: 'the request is not valid',
      details: [{ field: 'quiet_hours.timezone', message: 'must be an IANA time zone' }],
      retryAfterSeconds: undefined,
    });
    expect(sent).toHaveLength(1);
  });

  it("throw API Gateway's {message} answers, without a code", async () => {
    const { fetch } = fakeFetch({ status: 403, body: { message: 'Forbidden' } });
    const { client } = clientWith(fetch);

    const error = await client.getTemplate({ path: { type: 'welcome' } }).catch((e) => e);

    expect(error).toMatchObject({ status: 403, code: undefined, message: 'Forbidden', details: undefined });
  });

  it('throw 500 at once, with Retry-After when the answer has one, and a body that is not JSON', async () => {
    const { fetch, sent } = fakeFetch(
      { status: 500, body: { error: { code: 'internal_error', message: 'logged' } }, headers: { 'Retry-After': '3' } },
      { status: 502, body: 'Bad Gateway' },
    );
    const { client, delays } = clientWith(fetch);

    const first = await client.getTemplate({ path: { type: 'welcome' } }).catch((e) => e);
    const second = await client.getTemplate({ path: { type: 'welcome' } }).catch((e) => e);

    expect(first).toMatchObject({ status: 500, code: 'internal_error', retryAfterSeconds: 3 });
    expect(second).toMatchObject({ status: 502, code: undefined, message: 'Bad Gateway' });
    expect(sent).toHaveLength(2);
    expect(delays).toEqual([]);
  });
});

describe('connection errors', () => {
  it.each([
    ['GET', 'getTemplate', { path: { type: 'welcome' } }],
    ['PUT', 'putTemplate', { path: { type: 'welcome' }, body: { sms: { body: 'hi' } } }],
    ['DELETE', 'erasePerson', { path: { user_id: 'user-1' } }],
    ['POST with an Idempotency-Key', 'sendNotification', { body: notification }],
  ] as const)('are retried for a %s, with backoff', async (_, id, request) => {
    const success: { status: number; body?: unknown } =
      id === 'erasePerson' ? { status: 204 } : { status: 200, body: {} };
    const { fetch, sent } = fakeFetch(refused(), timedOut(), success);
    const { client, delays, outcomes } = clientWith(fetch);
    vi.spyOn(Math, 'random').mockReturnValue(0);

    await (client[id] as (request: unknown) => Promise<unknown>)(request);

    expect(sent).toHaveLength(3);
    expect(delays).toEqual([100, 200]);
    expect(outcomes.map((outcome) => [outcome.status, outcome.timedOut])).toEqual([
      [undefined, false],
      [undefined, true],
      [success.status, undefined],
    ]);
  });

  it('are not retried for a POST without an Idempotency-Key: it may have been carried out', async () => {
    const { fetch, sent } = fakeFetch(refused(), { status: 201, body: { device_id: 'd' } });
    const { client, delays } = clientWith(fetch);

    const error = await client
      .registerDevice({ path: { user_id: 'user-1' }, body: { platform: 'fcm', token: 't' } })
      .catch((e) => e);

    expect(error).toBeInstanceOf(NotificationConnectionError);
    expect(error).toMatchObject({ attempts: 1, timedOut: false, operation: 'registerDevice' });
    expect(error.message).toContain('fetch failed: ECONNREFUSED');
    expect(sent).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('end the call after maxAttempts, with no last status', async () => {
    const { fetch, sent } = fakeFetch(timedOut());
    const { client } = clientWith(fetch, { maxAttempts: 2, timeoutMs: 1_500 });

    const error = await client.listDevices({ path: { user_id: 'user-1' } }).catch((e) => e);

    expect(error).toBeInstanceOf(NotificationRetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 2, lastStatus: undefined });
    expect(error.message).toBe(
      'GET /users/{user_id}/devices: gave up after 2 attempts; the last got no answer (timed out after 1500 ms)',
    );
    expect(sent).toHaveLength(2);
  });

  it('give every attempt a timeout signal', async () => {
    const { fetch, sent } = fakeFetch({ status: 200, body: {} });
    const { client } = clientWith(fetch, { timeoutMs: 1_000 });

    await client.getPreferences({ path: { user_id: 'user-1' } });

    expect(sent[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(sent[0]?.signal?.aborted).toBe(false);
  });
});

describe('onAttempt', () => {
  it("is told each attempt's outcome: status, Retry-After, code, or the error, and the wait", async () => {
    const failure = refused();
    const { fetch } = fakeFetch(unavailable({ 'Retry-After': '1' }), unavailable(), failure, accepted);
    const { client, outcomes } = clientWith(fetch);
    vi.spyOn(Math, 'random').mockReturnValue(0);

    await client.sendNotification({ body: notification });

    expect(outcomes).toEqual([
      {
        operation: 'sendNotification',
        method: 'POST',
        attempt: 1,
        status: 503,
        retryAfter: '1',
        code: 'dependency_unavailable',
        retryInMs: 1_000,
      },
      {
        operation: 'sendNotification',
        method: 'POST',
        attempt: 2,
        status: 503,
        retryAfter: null,
        code: 'dependency_unavailable',
        retryInMs: 200,
      },
      {
        operation: 'sendNotification',
        method: 'POST',
        attempt: 3,
        status: undefined,
        retryAfter: null,
        error: failure,
        timedOut: false,
        retryInMs: 400,
      },
      {
        operation: 'sendNotification',
        method: 'POST',
        attempt: 4,
        status: 202,
        retryAfter: null,
        retryInMs: undefined,
      },
    ]);
  });

  it('ends the call with what it throws', async () => {
    const { fetch, sent } = fakeFetch(refused(), accepted);
    const { client } = clientWith(fetch, {
      onAttempt: (outcome) => {
        if (outcome.status === undefined) throw new Error('the platform is gone');
      },
    });

    await expect(client.sendNotification({ body: notification })).rejects.toThrow('the platform is gone');
    expect(sent).toHaveLength(1);
  });
});

describe('createNotificationClient', () => {
  it('refuses a base URL that is not one, and maxAttempts below 1', () => {
    expect(() => createNotificationClient({ baseUrl: 'not a url', apiKey: API_KEY })).toThrow();
    expect(() => createNotificationClient({ baseUrl: BASE_URL, apiKey: API_KEY, maxAttempts: 0 })).toThrow(
      'maxAttempts must be an integer >= 1',
    );
  });
});
