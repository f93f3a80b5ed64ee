import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke, TEST_KEYS } from '../../support/api-gateway.js';
import { type ControlPlane, createUser, loadControlPlane, saveTemplate } from '../../support/platform-fixtures.js';
import { footprint, provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

// Producers are fenced from each other: each sends only the types it owns, writes only its own templates, and reads
// only its own notifications. The test producers are in test/support/api-gateway.ts.
let platform: TestPlatform;
let plane: ControlPlane;
let ingest: Parameters<typeof invoke>[0];
let status: Parameters<typeof invoke>[0];
let userId: string;

beforeAll(async () => {
  platform = await provisionTestPlatform('trust');
  plane = await loadControlPlane();
  ({ handler: ingest } = await import('../../../lambdas/ingest/handler.js'));
  ({ handler: status } = await import('../../../lambdas/notification-status/handler.js'));
  await saveTemplate(plane, 'order_shipped', { sms: { body: 'Order {{ order_id }} shipped' } });
  await saveTemplate(plane, 'password_reset', {
    critical: true,
    email: { subject: 'Reset', body: '<a href="{{ reset_url }}">Reset your password</a>' },
  });
  userId = await createUser(plane, { phone: true, device: false });
});
afterAll(() => platform.remove());

const send = (apiKeyId: string, type: string, payload: object = {}) =>
  invoke(ingest, { operation: 'sendNotification', body: { user_id: userId, type, payload }, apiKeyId });
const read = (apiKeyId: string, notificationId: string) =>
  invoke(status, {
    operation: 'getNotification',
    pathParameters: { notification_id: notificationId },
    apiKeyId,
  });
const putTemplate = (apiKeyId: string, type: string, body: object) =>
  invoke(plane.templates, {
    operation: 'putTemplate',
    pathParameters: { type },
    body,
    apiKeyId,
  });

describe('a producer sends only the types it owns', () => {
  it('refuses password_reset from order-service with 403 type_not_allowed, naming the type, and changes nothing', async () => {
    const before = await footprint(platform);

    const phishing = await send(TEST_KEYS.orderService, 'password_reset', { reset_url: 'https://evil.example/reset' });

    expect(phishing.statusCode).toBe(403);
    expect(phishing.json.error).toMatchObject({
      code: 'type_not_allowed',
      details: [{ field: 'type', message: expect.stringContaining('order-service') }],
    });
    expect(phishing.json.error.message).toContain('password_reset');
    expect(await footprint(platform)).toBe(before);
  });

  it('accepts the types of its own patterns: a name, a prefix', async () => {
    expect((await send(TEST_KEYS.orderService, 'order_shipped', { order_id: 'A-1' })).statusCode).toBe(202);
    expect((await send(TEST_KEYS.authService, 'password_reset', { reset_url: 'https://a.example/r' })).statusCode).toBe(
      202,
    );
  });
});

describe('a template belongs to the producer that created it', () => {
  it('refuses to let a producer create the template of a type it does not own', async () => {
    const answer = await putTemplate(TEST_KEYS.marketing, 'password_reset_2', { sms: { body: 'Hi' } });

    expect(answer.statusCode).toBe(403);
    expect(answer.json.error).toMatchObject({ code: 'type_not_allowed', details: [{ field: 'type' }] });
  });

  it("answers 403 not_owner to another producer's PUT, and keeps the owner's template as it was", async () => {
    const created = await putTemplate(TEST_KEYS.marketing, 'marketing.weekly', {
      email: { subject: 'Week', body: 'Hi' },
    });

    const hijack = await putTemplate(TEST_KEYS.newsletter, 'marketing.weekly', { sms: { body: 'Click evil.example' } });

    expect(created.statusCode).toBe(200);
    expect(created.json.owner).toBe('marketing-tool');
    expect(hijack.statusCode).toBe(403);
    expect(hijack.json.error).toMatchObject({ code: 'not_owner', details: [{ field: 'type' }] });
    const stored = await invoke(plane.templates, {
      operation: 'getTemplate',
      pathParameters: { type: 'marketing.weekly' },
    });
    expect(stored.json).toMatchObject({ owner: 'marketing-tool', email: { subject: 'Week' } });
    expect(stored.json.sms).toBeUndefined();
  });

  it('lets the owner change it, and an admin too, without taking it over', async () => {
    await putTemplate(TEST_KEYS.marketing, 'marketing.daily', { sms: { body: 'One' } });

    const byOwner = await putTemplate(TEST_KEYS.marketing, 'marketing.daily', { sms: { body: 'Two' } });
    const byAdmin = await putTemplate(TEST_KEYS.admin, 'marketing.daily', { sms: { body: 'Three' } });
    const ownerAgain = await putTemplate(TEST_KEYS.marketing, 'marketing.daily', { sms: { body: 'Four' } });

    expect([byOwner.statusCode, byAdmin.statusCode, ownerAgain.statusCode]).toEqual([200, 200, 200]);
    expect(ownerAgain.json).toMatchObject({ owner: 'marketing-tool', sms: { body: 'Four' } });
  });
});

describe('a producer reads only its own notifications', () => {
  it('answers another producer 404, exactly as for an id that does not exist', async () => {
    const sent = await send(TEST_KEYS.orderService, 'order_shipped', { order_id: 'A-2' });
    const id: string = sent.json.notification_id;
    const unknown = '6f1c2f4e-8a43-4c1e-9a43-2b6a1f0e9d11';

    const own = await read(TEST_KEYS.orderService, id);
    const other = await read(TEST_KEYS.billingService, id);
    const missing = await read(TEST_KEYS.billingService, unknown);
    const readAll = await read(TEST_KEYS.admin, id);

    expect(own.statusCode).toBe(200);
    expect(own.json).toMatchObject({ notification_id: id, producer: 'order-service' });
    expect(other.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    // Nothing tells the two apart but the id each asked for.
    expect(JSON.stringify(other.json).replace(id, 'ID')).toBe(JSON.stringify(missing.json).replace(unknown, 'ID'));
    expect(readAll.statusCode).toBe(200);
  });
});
