import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signConsentToken } from '../../../lambdas/shared/domain/consent-token.js';
import { SCOPES } from '../../../lambdas/shared/domain/producer.js';
import {
  API_FUNCTIONS,
  type ApiFunction,
  OPERATION_LIST,
  OPERATIONS,
  type Operation,
  type OperationId,
  pathParameterNames,
} from '../../../lambdas/shared/platform/operations.js';
import { HANDLER_MODULES } from '../../../lambdas/shared/platform/resources.js';
import { producerApiPolicy } from '../../../lib/api-resource-policy.js';
import { ApiGatewayEmulation, type LocalProducer } from '../../../local/api-gateway-emulation.js';
import { SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN } from '../../../local/twilio-sandbox.js';
import {
  apiEvent,
  invoke,
  lambdaContext,
  onlyScopeKey,
  PEOPLE_SCOPES,
  TEST_KEYS,
  TEST_PRODUCERS,
} from '../../support/api-gateway.js';
import { TEST_CONSENT_KEYS } from '../../support/categories.js';
import {
  ALL_CHANNEL_TEMPLATE,
  type ControlPlane,
  loadControlPlane,
  saveTemplate,
} from '../../support/platform-fixtures.js';
import { footprint, provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

// Generated bad requests against every body-taking endpoint: each is answered 4xx with a JSON error, never 5xx,
// and writes and queues nothing. PROPERTY_RUNS raises the count (the suite's default keeps CI quick).
const RUNS = Number(process.env.PROPERTY_RUNS ?? 60);
let generated = 0;

type Handler = Parameters<typeof invoke>[0];

let platform: TestPlatform;
let plane: ControlPlane;
/** Every API function's handler, by function name, loaded as the platform loads it. */
const handlers = new Map<ApiFunction, Handler>();

beforeAll(async () => {
  // Twilio's webhooks check signatures with these (they are refused here: nothing is signed with them).
  platform = await provisionTestPlatform('hostile', {
    TWILIO_ACCOUNT_SID: SANDBOX_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: SANDBOX_AUTH_TOKEN,
    TWILIO_MESSAGING_SERVICE_SID: 'MG00000000000000000000000000000001',
  });
  plane = await loadControlPlane();
  for (const name of API_FUNCTIONS) {
    const file = new URL(`../../../lambdas/${HANDLER_MODULES.api(name)}`, import.meta.url).href;
    handlers.set(name, ((await import(/* @vite-ignore */ file)) as { handler: Handler }).handler);
  }
  await saveTemplate(plane, 'order_shipped', ALL_CHANNEL_TEMPLATE);
});

const handlerOf = (operation: OperationId) => handlers.get(OPERATIONS[operation].function) as Handler;
const nameOf = (operation: OperationId) => `${OPERATIONS[operation].method} /v1${OPERATIONS[operation].path}`;
afterAll(async () => {
  await platform.remove();
  process.stdout.write(`hostile requests: ${generated} generated bad requests, each refused with a 4xx\n`);
});

const notAllowed = (pattern: RegExp) => fc.string({ maxLength: 200 }).filter((text) => !pattern.test(text));
const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
const hostileText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(
    '\u0000',
    '\uD800',
    '🙂'.repeat(100),
    '<script>alert(1)</script>',
    "'; DROP TABLE users; --",
    'x'.repeat(70_000),
  ),
);

/** For an operation that takes a body: a valid one, and what must be refused in it. */
interface BodyRules {
  readonly pathParameters?: Record<string, string>;
  readonly apiKeyId: string;
  readonly valid: Record<string, unknown>;
  /** Fields whose absence must be refused. */
  readonly required: readonly string[];
  /** For each field, values that must be refused. */
  readonly badValues: Record<string, fc.Arbitrary<unknown>>;
}

const BODY_RULES: Partial<Record<OperationId, BodyRules>> = {
  sendNotification: {
    apiKeyId: TEST_KEYS.orderService,
    valid: { user_id: 'user-1', type: 'order_shipped', payload: { order_id: 'A' } },
    required: ['user_id', 'type', 'payload'],
    badValues: {
      user_id: fc.oneof(notAString, notAllowed(/^[A-Za-z0-9_.:@-]{1,128}$/)),
      type: fc.oneof(notAString, notAllowed(/^[a-z0-9_.-]{1,64}$/)),
      payload: fc.oneof(
        fc.constant(null),
        fc.integer(),
        fc.string(),
        fc.array(fc.integer()),
        fc.constant({ big: 'x'.repeat(17_000) }),
        // Nested deeper than the 32 levels a payload may have: a 400 naming payload, never a stack overflow.
        fc
          .integer({ min: 33, max: 400 })
          .map((depth) => JSON.parse(`${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`)),
      ),
      channels: fc.oneof(
        fc.constant([]),
        fc.constant(['email', 'email']),
        fc.array(notAllowed(/^(email|sms|push)$/), { minLength: 1, maxLength: 3 }),
        notAString,
      ),
      // In the past, without an offset, no date at all, a day that does not exist, beyond 366 days ahead.
      send_at: fc.oneof(
        notAString,
        fc.string({ maxLength: 40 }).filter((text) => Number.isNaN(Date.parse(text))),
        fc.constantFrom(
          '',
          '2020-01-01T00:00:00Z',
          '2027-01-05T09:00:00',
          '2027-01-05',
          '2027-02-30T09:00:00Z',
          '2099-01-01T00:00:00+01:00',
          'tomorrow at nine',
        ),
        fc.date({ min: new Date('1970-01-01'), max: new Date('2020-01-01') }).map((date) => date.toISOString()),
      ),
      cancel_key: fc.oneof(notAString, notAllowed(/^[A-Za-z0-9_.:-]{1,128}$/)),
    },
  },
  // The envelope, refused whole; its notifications are refused one by one, in their results (below).
  sendNotificationBatch: {
    apiKeyId: TEST_KEYS.orderService,
    valid: { notifications: [{ user_id: 'user-1', type: 'order_shipped', payload: { order_id: 'A' } }] },
    required: ['notifications'],
    badValues: {
      // Not a list (a list of anything is the notifications' to refuse, one by one), none, more than 100.
      notifications: fc.oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.object({ maxDepth: 1 }),
        fc.string(),
        fc.constant([]),
        fc.constant(
          Array.from({ length: 101 }, (_, index) => ({ user_id: `user-${index}`, type: 'order_shipped', payload: {} })),
        ),
      ),
    },
  },
  cancelNotificationsByKey: {
    apiKeyId: TEST_KEYS.orderService,
    valid: { cancel_key: 'order-123-reminder' },
    required: ['cancel_key'],
    badValues: { cancel_key: fc.oneof(notAString, notAllowed(/^[A-Za-z0-9_.:-]{1,128}$/)) },
  },
  putPreferences: {
    pathParameters: { user_id: 'user-1' },
    apiKeyId: TEST_KEYS.admin,
    valid: {
      email: true,
      sms: true,
      push: true,
      quiet_hours: { start: '22:00', end: '07:00', timezone: 'Europe/Berlin' },
    },
    required: ['email', 'sms', 'push', 'quiet_hours'],
    badValues: {
      email: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      quiet_hours: fc.oneof(
        fc.record({
          start: notAllowed(/^([01]\d|2[0-3]):[0-5]\d$/),
          end: fc.constant('07:00'),
          timezone: fc.constant('UTC'),
        }),
        fc.record({
          start: fc.constant('22:00'),
          end: fc.constant('07:00'),
          timezone: fc.constantFrom('Mars/Base', 'UTC+2', '', 'Europe/Nowhere', '+02:00'),
        }),
        fc.record({ start: fc.constant('22:00'), end: fc.constant('22:00'), timezone: fc.constant('UTC') }),
        // null is valid: it turns quiet hours off.
        fc.oneof(fc.integer(), fc.boolean(), fc.string()),
      ),
      categories: fc.oneof(
        fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string())),
        // A category the installation does not have, a name that is no category name, a switch that is no boolean,
        // a channel that does not exist, and a required category turned off.
        fc.constantFrom(
          { newsletters: { email: false } },
          { 'Not A Name': { email: false } },
          { marketing: { email: 'no' } },
          { marketing: { fax: false } },
          { security: { sms: false } },
        ),
      ),
    },
  },
  putContacts: {
    pathParameters: { user_id: 'user-1' },
    apiKeyId: TEST_KEYS.admin,
    valid: { email_address: 'ada@example.com', phone_number: '+4915112345678' },
    required: [],
    badValues: {
      phone_number: fc.oneof(notAString, notAllowed(/^\+[1-9]\d{1,14}$/)),
      email_address: fc.oneof(
        notAString,
        fc.string({ maxLength: 50 }).filter((text) => !text.includes('@')),
      ),
    },
  },
  registerDevice: {
    pathParameters: { user_id: 'user-1' },
    apiKeyId: TEST_KEYS.admin,
    valid: { platform: 'apns', token: 'a'.repeat(64) },
    required: ['platform', 'token'],
    badValues: {
      platform: fc.oneof(notAString, notAllowed(/^(apns|fcm)$/)),
      token: fc.oneof(notAString, notAllowed(/^[0-9a-fA-F]{64,200}$/)),
    },
  },
  findSuppression: {
    apiKeyId: TEST_KEYS.admin,
    valid: { channel: 'email', address: 'ada@example.com' },
    required: ['channel', 'address'],
    badValues: {
      channel: fc.oneof(notAString, notAllowed(/^(email|sms)$/)),
      address: fc.oneof(notAString, fc.constant(''), fc.constant('x'.repeat(255))),
    },
  },
  createWebhookEndpoint: {
    apiKeyId: TEST_KEYS.admin,
    valid: { url: 'https://93.184.215.14/hooks', events: ['*'] },
    required: ['url', 'events'],
    badValues: {
      // Not https, an address of the platform's own network (written as one, or a name that resolves to one), not a
      // URL, credentials in it, longer than 2,048 characters.
      url: fc.oneof(
        notAString,
        fc.constantFrom(
          '',
          'http://hooks.example.com/n',
          'ftp://hooks.example.com/n',
          'https://127.0.0.1/n',
          'https://10.0.0.7/n',
          'https://172.16.4.2/n',
          'https://192.168.1.1/n',
          'https://169.254.169.254/latest/meta-data/',
          'https://[::1]/n',
          'https://[::ffff:169.254.169.254]/n',
          'https://[fe80::1]/n',
          'https://0.0.0.0/n',
          'https://0x7f000001/n',
          'https://localhost/n',
          'https://localhost./n',
          'https://vm/n',
          'https://runsc/n',
          'https://kubernetes.default.svc.internal/n',
          'https://nothing-resolves-this.invalid/n',
          'https://user:password@hooks.example.com/n',
          `https://hooks.example.com/${'x'.repeat(2_048)}`,
          'hooks.example.com/n',
        ),
        hostileText,
      ),
      // Not a list, an empty one, a type that is none, "*" among others, a type twice.
      events: fc.oneof(
        notAString.filter((value) => !Array.isArray(value)),
        fc.constantFrom([], ['message.opened'], ['*', 'message.sent'], ['message.sent', 'message.sent'], [1], ['']),
        fc.array(notAllowed(/^(\*|notification\.[a-z_]+|message\.[a-z_]+)$/), { minLength: 1, maxLength: 3 }),
      ),
    },
  },
  subscribeManyToTopic: {
    pathParameters: { topic: 'hostile' },
    apiKeyId: TEST_KEYS.admin,
    valid: { user_ids: ['user-1'] },
    required: ['user_ids'],
    badValues: {
      // Not a list, an empty one, one over 1,000 people, and lists with a person who is no id.
      user_ids: fc.oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.string(),
        fc.object({ maxDepth: 1 }),
        fc.constant([]),
        fc.constant(Array.from({ length: 1_001 }, (_, index) => `user-${index}`)),
        fc
          .tuple(
            fc.array(fc.constant('user-1'), { maxLength: 5 }),
            fc.oneof(
              notAString,
              notAllowed(/^[A-Za-z0-9_.:@-]{1,128}$/),
              fc.constantFrom('ada@example.com', '+4915112345678'),
            ),
          )
          .map(([valid, bad]) => [...valid, bad]),
      ),
    },
  },
  putTemplate: {
    pathParameters: { type: 'hostile' },
    apiKeyId: TEST_KEYS.admin,
    valid: { sms: { body: 'Hello {{ name }}' } },
    required: [],
    badValues: {
      sms: fc.oneof(
        notAString,
        fc.record({ body: fc.constantFrom('{{ x', '{% include "x" %}', '{{ x | nosuch }}', '{% for %}', '') }),
      ),
      critical: fc.oneof(fc.string(), fc.integer()),
      // A window outside a minute to a day, fewer than two or more than 100 items, a key that is no field name.
      digest: fc.oneof(
        notAString,
        fc.constantFrom(
          { window_seconds: 59, max_items: 5 },
          { window_seconds: 86_401, max_items: 5 },
          { window_seconds: 60.5, max_items: 5 },
          { window_seconds: 600, max_items: 1 },
          { window_seconds: 600, max_items: 101 },
          { window_seconds: 600 },
          { window_seconds: 600, max_items: 5, key: 'thread.id' },
          { window_seconds: 600, max_items: 5, key: '' },
          { window_seconds: 600, max_items: 5, every: 'hour' },
        ),
      ),
      throttle: fc.oneof(
        notAString,
        fc.constantFrom(
          { limit: 0, window_seconds: 3600 },
          { limit: 1.5, window_seconds: 3600 },
          { limit: 3, window_seconds: 59 },
          { limit: 3, window_seconds: 40_000_000 },
          { limit: 3 },
          { limit: 3, window_seconds: 3600, per: 'day' },
        ),
      ),
      category: fc.oneof(notAString, fc.constantFrom('newsletters', 'Marketing', '', 'security; drop', 'a'.repeat(40))),
      locales: fc.oneof(
        notAString,
        fc.constantFrom(
          { 'not a tag': { sms: { body: 'x' } } },
          { de: { push: { title: 't', body: 'b' } } },
          { de: { sms: { body: '{{ x' } } },
          { de: { sms: 'x' } },
          { de: { fax: {} } },
        ),
      ),
    },
  },
};

/** Every operation that takes a body, with its rules. */
// A webhook's form is its provider's, refused unless signed (closed-loop.test.ts).
const endpoints = OPERATION_LIST.filter((operation) => operation.body && !operation.formBody).map((operation) => ({
  operation: operation.id,
  name: nameOf(operation.id),
  ...(BODY_RULES[operation.id] as BodyRules),
}));

type BadRequest = { body: string; contentType: string; field?: string };

function badRequests(endpoint: BodyRules): fc.Arbitrary<BadRequest> {
  const json = (value: unknown) => JSON.stringify(value);
  const wrongField = fc.constantFrom(...Object.keys(endpoint.badValues)).chain((field) =>
    (endpoint.badValues[field] as fc.Arbitrary<unknown>).map((value) => ({
      body: json({ ...endpoint.valid, [field]: value }),
      contentType: 'application/json',
      field,
    })),
  );
  const missingField = endpoint.required.map((field) => {
    const { [field]: _removed, ...rest } = endpoint.valid;
    return fc.constant({ body: json(rest), contentType: 'application/json', field });
  });
  const extraField = fc
    .string({ minLength: 1, maxLength: 20 })
    .filter(
      (name) =>
        !(name in endpoint.valid) &&
        ![
          'channels',
          'send_at',
          'cancel_key',
          'digest',
          'throttle',
          'critical',
          'category',
          'categories',
          'locales',
          'email',
          'push',
          'sms',
          'locale',
        ].includes(name) &&
        name !== '__proto__',
    )
    .map((name) => ({ body: json({ ...endpoint.valid, [name]: 1 }), contentType: 'application/json', field: name }));
  const malformed = hostileText
    .filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    })
    .map((body) => ({ body, contentType: 'application/json' }));
  const wrongType = fc
    .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/xml')
    .map((contentType) => ({ body: json(endpoint.valid), contentType }));
  const notAnObject = fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer()), fc.constant(null)).map((value) => ({
    body: json(value),
    contentType: 'application/json',
  }));
  return fc.oneof(wrongField, ...missingField, extraField, malformed, wrongType, notAnObject);
}

describe('hostile requests', () => {
  it('has rules for every operation that takes a body', () => {
    expect(endpoints.filter((endpoint) => endpoint.valid === undefined).map((endpoint) => endpoint.name)).toEqual([]);
  });

  it.each(endpoints)(
    '$name: refuses every one with a 4xx JSON error, naming the field, and changes nothing',
    async (endpoint) => {
      const before = await footprint(platform);

      await fc.assert(
        fc.asyncProperty(badRequests(endpoint), async (request) => {
          generated++;
          const answer = await invoke(handlerOf(endpoint.operation), {
            operation: endpoint.operation,
            pathParameters: endpoint.pathParameters,
            body: request.body,
            headers: { 'Content-Type': request.contentType },
            apiKeyId: endpoint.apiKeyId,
          });
          expect(answer.statusCode).toBeGreaterThanOrEqual(400);
          expect(answer.statusCode).toBeLessThan(500);
          expect(typeof answer.json.error.code).toBe('string');
          expect(typeof answer.json.error.message).toBe('string');
          if (request.field && answer.statusCode === 400 && answer.json.error.code !== 'malformed_json') {
            const fields = (answer.json.error.details ?? []).map((detail: { field: string }) => detail.field);
            expect(
              fields.some((field: string) => field === request.field || field.startsWith(`${request.field}.`)),
            ).toBe(true);
          }
        }),
        { numRuns: RUNS },
      );

      expect(await footprint(platform)).toBe(before);
    },
    300_000,
  );
});

const DEVICE_ID = 'a'.repeat(32);
/** A valid value of each path parameter, so that only the one made bad is. */
const VALID_SEGMENTS: Record<string, string> = {
  notification_id: '6f1c2f4e-8a43-4c1e-9a43-2b6a1f0e9d11',
  user_id: 'user-1',
  device_id: DEVICE_ID,
  type: 'order_shipped',
  address_key: 'a'.repeat(64),
  topic: 'product-updates',
  endpoint_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
};

/**
 * Every operation with a path parameter, with a valid value for each and a valid body where it takes one. A
 * recipient's link is the exception: its one parameter is a signed token, and any other is refused as not the
 * platform's (below).
 */
const pathRoutes = OPERATION_LIST.filter(
  (operation) => pathParameterNames(operation.path).length > 0 && operation.caller !== 'recipient',
).map((operation) => ({
  operation: operation.id,
  name: nameOf(operation.id),
  valid: Object.fromEntries(pathParameterNames(operation.path).map((name) => [name, VALID_SEGMENTS[name] ?? ''])),
  body: BODY_RULES[operation.id]?.valid,
}));

const PATH_RULES: Record<string, RegExp> = {
  user_id: /^[A-Za-z0-9_.:@-]{1,128}$/,
  type: /^[a-z0-9_.-]{1,64}$/,
  notification_id: /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i,
  device_id: /^[a-f0-9]{32}$/,
  address_key: /^[0-9a-f]{64}$/,
  topic: /^[a-z0-9][a-z0-9_.:-]{0,99}$/,
  endpoint_id: /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i,
};

// What a path segment can carry once API Gateway has decoded it: anything but an empty string.
const badSegment = (rule: RegExp) =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      fc.constantFrom('..', '../../etc/passwd', 'a/b', '%2F', ' ', 'x'.repeat(129), 'USER#1', '\u0000', '🙂'),
    )
    .filter((value) => !rule.test(value));

describe('hostile notifications in a batch', () => {
  /** A notification refused alone (as POST /v1/notifications refuses it), and the field it is refused for. */
  const badNotification = (): fc.Arbitrary<{ notification: unknown; field: string }> => {
    const rules = BODY_RULES.sendNotification as BodyRules;
    const badValues: Record<string, fc.Arbitrary<unknown>> = {
      ...rules.badValues,
      idempotency_key: fc.oneof(notAString, notAllowed(/^[\x21-\x7e]{1,255}$/)),
    };
    const wrongField = fc.constantFrom(...Object.keys(badValues)).chain((field) =>
      (badValues[field] as fc.Arbitrary<unknown>).map((value) => ({
        notification: { ...rules.valid, [field]: value },
        field,
      })),
    );
    const missingField = fc.constantFrom(...rules.required).map((field) => {
      const { [field]: _removed, ...rest } = rules.valid;
      return { notification: rest, field };
    });
    const extraField = fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((name) => !['channels', 'send_at', 'cancel_key', 'idempotency_key', '__proto__'].includes(name))
      .filter((name) => !(name in rules.valid))
      .map((name) => ({ notification: { ...rules.valid, [name]: 1 }, field: name }));
    const notAnObject = fc
      .oneof(fc.integer(), fc.string(), fc.array(fc.integer()), fc.constant(null))
      .map((notification) => ({ notification, field: '' }));
    return fc.oneof(wrongField, missingField, extraField, notAnObject);
  };

  it('POST /v1/notifications/batch: refuses each bad notification in its own result, naming its field, and changes nothing', async () => {
    const before = await footprint(platform);

    await fc.assert(
      fc.asyncProperty(fc.array(badNotification(), { minLength: 1, maxLength: 5 }), async (bad) => {
        generated++;
        const answer = await invoke(handlerOf('sendNotificationBatch'), {
          operation: 'sendNotificationBatch',
          body: JSON.stringify({ notifications: bad.map(({ notification }) => notification) }),
          apiKeyId: TEST_KEYS.orderService,
        });
        expect(answer.statusCode).toBe(200);
        expect(answer.json.results).toHaveLength(bad.length);
        bad.forEach(({ field }, index) => {
          const { error } = answer.json.results[index];
          expect(error.status).toBeGreaterThanOrEqual(400);
          expect(error.status).toBeLessThan(500);
          const named = field ? `notifications[${index}].${field}` : `notifications[${index}]`;
          const fields = (error.details ?? []).map((detail: { field: string }) => detail.field);
          expect(
            fields.some((each: string) => each === named || each.startsWith(`${named}.`)),
            `${JSON.stringify(fields)} names ${named}`,
          ).toBe(true);
        });
      }),
      { numRuns: RUNS },
    );

    expect(await footprint(platform)).toBe(before);
  }, 300_000);
});

describe('hostile path parameters', () => {
  it.each(pathRoutes)(
    '$name: refuses every malformed path parameter with 400, naming it, and changes nothing',
    async (route) => {
      const before = await footprint(platform);
      const parameters = Object.keys(route.valid);

      await fc.assert(
        fc.asyncProperty(
          fc
            .constantFrom(...parameters.filter((name) => name in PATH_RULES))
            .chain((name) => badSegment(PATH_RULES[name] as RegExp).map((value) => ({ name, value }))),
          async ({ name, value }) => {
            generated++;
            const answer = await invoke(handlerOf(route.operation), {
              operation: route.operation,
              pathParameters: { ...route.valid, [name]: value },
              body: route.body === undefined ? undefined : JSON.stringify(route.body),
              headers: { 'Content-Type': 'application/json' },
              apiKeyId: TEST_KEYS.admin,
            });
            expect(answer.statusCode).toBe(400);
            const fields = (answer.json.error.details ?? []).map((detail: { field: string }) => detail.field);
            expect(fields).toContain(name);
          },
        ),
        { numRuns: RUNS },
      );

      expect(await footprint(platform)).toBe(before);
    },
    300_000,
  );
});

describe("hostile requests to a recipient's links", () => {
  const links = OPERATION_LIST.filter((operation) => operation.caller === 'recipient');
  // A link of an earlier release (no generation): it may still unsubscribe, and shows the page.
  const token = signConsentToken(
    { userId: 'hostile-person', category: 'marketing', channel: 'email', issuedAt: Math.floor(Date.now() / 1000) },
    TEST_CONSENT_KEYS,
  );

  it.each(links.map((operation) => ({ operation: operation.id, name: nameOf(operation.id) })))(
    '$name: refuses every token that is not the platform’s with 403, and any body with a genuine one changes nothing',
    async ({ operation }) => {
      // The person exists: a request that changed them would show in the footprint.
      await invoke(plane.contacts, {
        operation: 'putContacts',
        pathParameters: { user_id: 'hostile-person' },
        body: { email_address: 'hostile-person@example.com' },
      });
      const before = await footprint(platform);
      const genuine = fc.constant(token);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            // A token that is not the platform's: any text, a genuine one changed, truncated or extended.
            fc.record({
              token: fc.oneof(hostileText, fc.constantFrom(token.slice(0, -1), `${token}x`, token.toUpperCase())),
              body: fc.constant('List-Unsubscribe=One-Click'),
              expect: fc.constant(403),
            }),
            // A genuine token, expired: issued more than a year ago, at the epoch, or in the future.
            fc.record({
              token: fc
                .constantFrom(0, 1_000_000_000, Math.floor(Date.now() / 1000) - 366 * 24 * 3600, 4_102_444_800)
                .map((issuedAt) =>
                  signConsentToken(
                    { userId: 'hostile-person', category: 'marketing', channel: 'email', issuedAt, generation: 'g1' },
                    TEST_CONSENT_KEYS,
                  ),
                ),
              body: fc.constant('List-Unsubscribe=One-Click'),
              expect: fc.constant(410),
            }),
            // A genuine, fresh token of a link generation the person does not have (an earlier person of that id).
            fc.record({
              token: fc
                .string({
                  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'),
                  minLength: 1,
                  maxLength: 32,
                })
                .map((generation) =>
                  signConsentToken(
                    {
                      userId: 'hostile-person',
                      category: 'marketing',
                      channel: 'email',
                      issuedAt: Math.floor(Date.now() / 1000),
                      generation: `not-${generation}`,
                    },
                    TEST_CONSENT_KEYS,
                  ),
                ),
              body: fc.constant('List-Unsubscribe=One-Click'),
              expect: fc.constant(410),
            }),
            // The genuine token with a body that is no one-click request and no form of the page's own.
            fc.record({
              token: genuine,
              body: hostileText.filter((text) => !/One-Click/.test(text)),
              expect: fc.constant(
                OPERATIONS[operation].method === 'GET' ? 200 : operation === 'unsubscribe' ? 400 : 403,
              ),
            }),
          ),
          async (request) => {
            generated++;
            const answer = await handlerOf(operation)(
              {
                ...apiEvent({ operation, pathParameters: { token: request.token }, body: request.body, apiKeyId: '' }),
                headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
              },
              lambdaContext('hostile'),
            );
            expect(answer.statusCode).toBe(request.expect);
          },
        ),
        { numRuns: RUNS },
      );

      expect(await footprint(platform)).toBe(before);
    },
    300_000,
  );
});

describe('hostile requests from producers without the scope', () => {
  /** The operations fenced by a capability over people, each with a request that would change or show someone. */
  const scoped = OPERATION_LIST.filter((operation) =>
    (PEOPLE_SCOPES as readonly string[]).includes(operation.scope ?? ''),
  ).map((operation) => ({
    operation: operation.id,
    name: nameOf(operation.id),
    scope: operation.scope as (typeof PEOPLE_SCOPES)[number],
    pathParameters: Object.fromEntries(
      pathParameterNames(operation.path).map((name) => [name, VALID_SEGMENTS[name] ?? '']),
    ),
    body: BODY_RULES[operation.id]?.valid,
  }));

  it('fences every operation on a person by one of the scopes', () => {
    expect(scoped.map((route) => `${route.name}: ${route.scope}`).sort()).toEqual([
      'DELETE /v1/topics/{topic}/subscribers/{user_id}: topics:write',
      'DELETE /v1/users/{user_id}/devices/{device_id}: contacts:write',
      'DELETE /v1/users/{user_id}: users:erase',
      'GET /v1/preferences/{user_id}: users:read',
      'GET /v1/topics/{topic}/subscribers: users:read',
      'GET /v1/users/{user_id}/devices: users:read',
      'POST /v1/topics/{topic}/subscribers: topics:write',
      'POST /v1/users/{user_id}/devices: contacts:write',
      'PUT /v1/preferences/{user_id}: preferences:write',
      'PUT /v1/topics/{topic}/subscribers/{user_id}: topics:write',
      'PUT /v1/users/{user_id}/contacts: contacts:write',
    ]);
  });

  it.each(scoped)(
    '$name: refuses every producer without $scope with 403 missing_scope naming it, and changes nothing',
    async (route) => {
      // The person exists, with a device: a request that changed them would show in the footprint.
      await invoke(plane.contacts, {
        operation: 'putContacts',
        pathParameters: { user_id: 'user-1' },
        body: { email_address: 'user-1@example.com', phone_number: '+4915112345678' },
      });
      const before = await footprint(platform);
      const without = [
        ...PEOPLE_SCOPES.filter((scope) => scope !== route.scope).map(onlyScopeKey),
        TEST_KEYS.orderService,
        TEST_KEYS.reporting,
      ];

      for (const apiKeyId of without) {
        generated++;
        const answer = await invoke(handlerOf(route.operation), {
          operation: route.operation,
          pathParameters: route.pathParameters,
          ...(route.body ? { body: route.body } : {}),
          apiKeyId,
        });
        expect(answer.statusCode, apiKeyId).toBe(403);
        expect(answer.json.error.code).toBe('missing_scope');
        expect(answer.json.error.message).toContain(route.scope);
      }

      expect(await footprint(platform)).toBe(before);
      // The producer that has the scope gets past it.
      const allowed = await invoke(handlerOf(route.operation), {
        operation: route.operation,
        pathParameters: route.pathParameters,
        ...(route.body ? { body: route.body } : {}),
        apiKeyId: onlyScopeKey(route.scope),
      });
      expect(allowed.json?.error?.code).not.toBe('missing_scope');
    },
    120_000,
  );
});

describe('hostile requests past api.allowedSources', () => {
  const PRODUCERS_CIDR = '203.0.113.0/24';
  const ELSEWHERE = '198.51.100.7';
  /** The local gateway, in this process, with the handlers and the resource policy the stack attaches. */
  const gateway = () =>
    new ApiGatewayEmulation(
      TEST_PRODUCERS.map(
        (producer): LocalProducer => ({
          keyId: producer.key_id,
          keyValue: `${producer.key_id}-value`,
          settings: {
            name: producer.name,
            scopes: producer.scopes.filter((scope) => (SCOPES as readonly string[]).includes(scope)) as never,
            types: producer.types,
            rateLimit: 1_000,
            burstLimit: 1_000,
            dailyQuota: 1_000_000,
          },
        }),
      ),
      Object.fromEntries(handlers) as never,
      { producerPolicy: producerApiPolicy({ cidrs: [PRODUCERS_CIDR] }) },
    );
  const request = (operation: OperationId, remoteAddress: string) => {
    const { method, path, formBody } = OPERATIONS[operation] as Operation;
    const url = `/v1${path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'token' ? 'v1.x.y' : (VALID_SEGMENTS[name] ?? 'x')))}`;
    const body = BODY_RULES[operation]?.valid;
    return {
      method,
      url,
      headers: {
        'x-api-key': `${TEST_KEYS.admin}-value`,
        'content-type': formBody ? 'application/x-www-form-urlencoded' : 'application/json',
      },
      body: Buffer.from(body ? JSON.stringify(body) : formBody ? 'MessageSid=SM1' : ''),
      remoteAddress,
    };
  };

  it("refuses every producer's operation from elsewhere at the edge, with the key of a producer that has every scope, and changes nothing", async () => {
    const edge = gateway();
    const before = await footprint(platform);

    for (const operation of OPERATION_LIST.filter((candidate) => candidate.caller === undefined)) {
      generated++;
      const answer = await edge.answer(request(operation.id, ELSEWHERE));
      expect(answer.statusCode, operation.id).toBe(403);
      expect(answer.handler, operation.id).toBeUndefined();
      expect(JSON.parse(answer.body).Message).toContain('explicit deny');
    }

    expect(await footprint(platform)).toBe(before);
  });

  it("lets a recipient's links and Twilio's webhooks through from anywhere, to their functions' own checks", async () => {
    const edge = gateway();
    const keyless = OPERATION_LIST.filter((operation) => operation.caller !== undefined);

    for (const operation of keyless) {
      generated++;
      const answer = await edge.answer({ ...request(operation.id, ELSEWHERE), headers: {} });
      // The function answered: it refused the unsigned webhook and the token that is not the platform's itself.
      expect(answer.handler, operation.id).toBe(operation.function);
      expect(answer.statusCode, operation.id).toBe(403);
    }
    expect(keyless).toHaveLength(5);
  });

  it("meets garbage posted at a keyless route with that route's own throttle: a producer's request is never the one refused", async () => {
    const edge = new ApiGatewayEmulation(
      [
        {
          keyId: TEST_KEYS.admin,
          keyValue: 'admin-value',
          settings: {
            name: 'admin-console',
            scopes: [...SCOPES],
            types: ['*'],
            rateLimit: 1_000,
            burstLimit: 1_000,
            dailyQuota: 1_000_000,
          },
        },
      ],
      Object.fromEntries(handlers) as never,
      { keylessThrottle: { rateLimit: 1, burstLimit: 5 } },
    );
    const garbage = () =>
      edge.answer({
        method: 'POST',
        url: '/v1/consent/garbage',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from('x=1'),
        remoteAddress: ELSEWHERE,
      });

    const flood: number[] = [];
    for (let index = 0; index < 30; index++) flood.push((await garbage()).statusCode);
    const producer = await edge.answer({
      method: 'POST',
      url: '/v1/notifications',
      headers: { 'x-api-key': 'admin-value', 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ user_id: 'user-1', type: 'order_shipped', payload: {} })),
      remoteAddress: ELSEWHERE,
    });
    const webhook = await edge.answer({ ...request('twilioInboundMessage', ELSEWHERE), headers: {} });

    // At most the burst and a request a second got through: the rest met the route's throttle.
    expect(flood.filter((status) => status === 429).length).toBeGreaterThanOrEqual(15);
    expect(producer.statusCode).toBe(202);
    // Each keyless route has a throttle of its own, too.
    expect(webhook.statusCode).toBe(403);
  });

  it("lets the producers' own addresses through", async () => {
    const answer = await gateway().answer(request('getTemplate', '203.0.113.9'));

    expect(answer.handler).toBe('templates');
  });
});
