import AjvModule from 'ajv-draft-04';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_LIST, type OperationId } from '../../lambdas/shared/platform/operations.js';
import { synthStack } from './stack-fixture.js';

// A CommonJS module whose exports are the class itself; TypeScript sees the module around it.
const Ajv = AjvModule as unknown as typeof AjvModule.default;

/**
 * API Gateway refuses a body its operation's model does not accept, before any function runs: a model that refused a
 * valid body would take the API down. Each model is checked here, with a JSON Schema draft 4 validator as API Gateway
 * runs one, against bodies the handler accepts (each checked against the handler's own schema first) and bodies whose
 * shape it refuses: a required field missing, a field it does not know. What the model leaves to the handler (a value
 * of the wrong type or form) is shown to pass the model, so that the handler names the field.
 */
const ACCEPTED: Partial<Record<OperationId, unknown[]>> = {
  sendNotification: [
    { user_id: 'ada', type: 'order_shipped', payload: {} },
    { user_id: 'user-42', type: 'order.shipped', payload: { order: { id: 'A-1', items: [1, 2] } }, channels: ['sms'] },
    { user_id: 'ada', type: 'order_shipped', payload: {}, send_at: '2030-01-05T09:00:00+01:00', cancel_key: 'A-1' },
    // A broadcast.
    { topic: 'status-page', type: 'order_shipped', payload: {} },
  ],
  sendNotificationBatch: [
    { notifications: [{ user_id: 'ada', type: 'order_shipped', payload: {} }] },
    {
      notifications: [
        { user_id: 'ada', type: 'order_shipped', payload: {}, idempotency_key: 'order-1' },
        { user_id: 'bob', type: 'order.shipped', payload: { a: 1 }, send_at: '2030-01-05T09:00:00+01:00' },
      ],
    },
  ],
  cancelNotificationsByKey: [{ cancel_key: 'order-123-reminder' }],
  putPreferences: [
    { email: true, sms: false, push: true, quiet_hours: null },
    { email: true, sms: true, push: true, quiet_hours: { start: '22:00', end: '07:00', timezone: 'Europe/Berlin' } },
    // What a GET answered, PUT back as it is.
    { email: true, sms: true, push: true, quiet_hours: null, categories: {}, unsubscribed: ['sms'] },
  ],
  putContacts: [{}, { email_address: 'ada@example.com', phone_number: '+4915112345678', locale: 'de-DE' }],
  registerDevice: [
    { platform: 'fcm', token: 'demo-fcm-token:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZ' },
    { platform: 'apns', token: 'a'.repeat(64) },
  ],
  putTemplate: [{ email: { subject: 'Hi {{ name }}', body: '<p>Hi</p>' } }, { critical: true, sms: { body: 'x' } }],
  findSuppression: [{ channel: 'email', address: 'ada@example.com' }],
  subscribeManyToTopic: [{ user_ids: ['ada'] }, { user_ids: ['ada', 'user-42', 'team:7'] }],
  createWebhookEndpoint: [
    { url: 'https://hooks.example.com/n', events: ['*'] },
    { url: 'https://hooks.example.com/n', events: ['message.bounced', 'message.delivered'] },
  ],
};

const REFUSED: Partial<Record<OperationId, unknown[]>> = {
  sendNotification: [
    { user_id: 'ada', payload: {} },
    { user_id: 'ada', type: 'x', payload: {}, extra: 1 },
  ],
  sendNotificationBatch: [{}, { notifications: [{ user_id: 'ada', type: 'x', payload: {} }], idempotency_key: 'k' }],
  cancelNotificationsByKey: [{}, { cancel_key: 'a', notification_id: 'b' }],
  putPreferences: [
    { email: true, sms: true, quiet_hours: null },
    { email: true, sms: true, push: true },
  ],
  putContacts: [{ fax: '+4915112345678' }],
  registerDevice: [{ platform: 'fcm' }, { platform: 'fcm', token: 'x'.repeat(30), user: 'ada' }],
  putTemplate: [{ voice: { body: 'x' } }],
  findSuppression: [{ channel: 'email' }, { channel: 'email', address: 'a', extra: 1 }],
  subscribeManyToTopic: [{}, { user_ids: ['ada'], topic: 'news' }],
  createWebhookEndpoint: [{ events: ['*'] }, { url: 'https://hooks.example.com/n', events: ['*'], secret: 'x' }],
};

/** Refused by the handler, which names the field; the model lets them through to it. */
const LEFT_TO_THE_HANDLER: Partial<Record<OperationId, unknown[]>> = {
  sendNotification: [
    // One of user_id and topic, exactly: the handler's (the model's message could not name the field).
    { type: 'order_shipped', payload: {} },
    { user_id: 'ada', topic: 'status-page', type: 'order_shipped', payload: {} },
    { user_id: 42, type: 'order_shipped', payload: {} },
    { user_id: 'ada', type: 'order_shipped', payload: {}, send_at: 'tomorrow at nine' },
    { user_id: 'ada', type: 'order_shipped', payload: {}, cancel_key: 'not a key!' },
  ],
  // The envelope, refused whole; a notification, refused in its own result (the others are sent).
  sendNotificationBatch: [
    { notifications: [] },
    { notifications: 'ada' },
    { notifications: [{ user_id: 42, type: 'order_shipped', payload: {} }] },
    { notifications: [{ topic: 'news', type: 'order_shipped', payload: {} }] },
  ],
  cancelNotificationsByKey: [{ cancel_key: 7 }, { cancel_key: '' }],
  putPreferences: [{ email: 'yes', sms: true, push: true, quiet_hours: null }],
  putContacts: [{ email_address: 42 }],
  registerDevice: [{ platform: 'webpush', token: 'x'.repeat(30) }],
  putTemplate: [{}, { email: { subject: 'no body' } }],
  findSuppression: [{ channel: 'push', address: 'a' }],
  subscribeManyToTopic: [{ user_ids: [] }, { user_ids: 'ada' }, { user_ids: ['not an id!'] }],
  createWebhookEndpoint: [
    { url: 'https://hooks.example.com/n', events: [] },
    { url: 'https://hooks.example.com/n', events: ['message.opened'] },
    { url: 'https://hooks.example.com/n', events: ['*', 'message.sent'] },
  ],
};

let models: Map<string, object>;
beforeAll(() => {
  const template: Template = synthStack();
  models = new Map(
    Object.values(template.findResources('AWS::ApiGateway::Model')).map((model) => [
      model.Properties.Name,
      model.Properties.Schema,
    ]),
  );
});

describe("API Gateway's request models", () => {
  const withBody = OPERATION_LIST.filter((operation) => operation.body && !operation.formBody);

  it('are given examples for every operation that takes a body', () => {
    expect(Object.keys(ACCEPTED).sort()).toEqual(withBody.map((operation) => operation.id).sort());
    expect(Object.keys(REFUSED).sort()).toEqual(withBody.map((operation) => operation.id).sort());
  });

  it.each(withBody.map((operation) => [operation.id, operation] as const))(
    '%s: accept what the handler accepts, and refuse what it refuses for its shape',
    (id, operation) => {
      const model = models.get(`${id}Body`);
      expect(model, `no model ${id}Body`).toBeDefined();
      const validate = new Ajv({ strict: false }).compile(model as object);
      for (const body of ACCEPTED[id] ?? []) {
        expect(operation.body?.safeParse(body).success, `the handler accepts ${JSON.stringify(body)}`).toBe(true);
        expect(validate(body), `${JSON.stringify(body)}: ${JSON.stringify(validate.errors)}`).toBe(true);
      }
      for (const body of REFUSED[id] ?? []) {
        expect(operation.body?.safeParse(body).success, `the handler refuses ${JSON.stringify(body)}`).toBe(false);
        expect(validate(body), `the model refuses ${JSON.stringify(body)}`).toBe(false);
      }
      for (const body of LEFT_TO_THE_HANDLER[id] ?? []) {
        expect(operation.body?.safeParse(body).success, `the handler refuses ${JSON.stringify(body)}`).toBe(false);
        expect(validate(body), `the model leaves ${JSON.stringify(body)} to the handler`).toBe(true);
      }
    },
  );
});
