import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ENDPOINTS_PER_PRODUCER } from '../../../lambdas/shared/domain/webhooks.js';
import { invoke, TEST_KEYS } from '../../support/api-gateway.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let webhooks: Parameters<typeof invoke>[0];

beforeAll(async () => {
  platform = await provisionTestPlatform('webhook-endpoints');
  ({ handler: webhooks } = await import('../../../lambdas/webhooks/handler.js'));
});
afterAll(() => platform.remove());

/** A public address written as one: no name to resolve, where the tests have no DNS but loopback's. */
const PUBLIC_URL = 'https://93.184.215.14/hooks';

const create = (body: unknown, apiKeyId: string = TEST_KEYS.admin) =>
  invoke(webhooks, { operation: 'createWebhookEndpoint', body, apiKeyId });
const get = (endpointId: string, apiKeyId: string = TEST_KEYS.admin) =>
  invoke(webhooks, { operation: 'getWebhookEndpoint', pathParameters: { endpoint_id: endpointId }, apiKeyId });
const list = (apiKeyId: string = TEST_KEYS.admin) => invoke(webhooks, { operation: 'listWebhookEndpoints', apiKeyId });
const remove = (endpointId: string, apiKeyId: string = TEST_KEYS.admin) =>
  invoke(webhooks, { operation: 'deleteWebhookEndpoint', pathParameters: { endpoint_id: endpointId }, apiKeyId });
const rotate = (endpointId: string, apiKeyId: string = TEST_KEYS.admin) =>
  invoke(webhooks, { operation: 'rotateWebhookSecret', pathParameters: { endpoint_id: endpointId }, apiKeyId });

describe('/v1/webhook-endpoints', () => {
  it('registers an endpoint, shows its secret once, and reads it back without', async () => {
    const created = await create({ url: PUBLIC_URL, events: ['message.bounced', 'message.delivered'] });

    expect(created.statusCode, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({
      url: PUBLIC_URL,
      status: 'enabled',
      events: ['message.bounced', 'message.delivered'],
    });
    // A secret the reference library takes.
    expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(() => new Webhook(created.json.secret)).not.toThrow();
    const read = await get(created.json.endpoint_id);
    expect(read.statusCode).toBe(200);
    expect(read.json.secret).toBeUndefined();
    expect((await list()).json.endpoints.map((endpoint: { endpoint_id: string }) => endpoint.endpoint_id)).toContain(
      created.json.endpoint_id,
    );
    expect(JSON.stringify((await list()).json)).not.toContain(created.json.secret);
  });

  it("shows a producer its own endpoints only: another's is 404, and changes nothing", async () => {
    const created = await create({ url: PUBLIC_URL, events: ['*'] });
    const other = TEST_KEYS.marketing;

    expect((await get(created.json.endpoint_id, other)).statusCode).toBe(404);
    expect((await list(other)).json.endpoints).toEqual([]);
    const attempts = await invoke(webhooks, {
      operation: 'listWebhookAttempts',
      pathParameters: { endpoint_id: created.json.endpoint_id },
      apiKeyId: other,
    });
    expect(attempts.statusCode).toBe(404);
    expect((await remove(created.json.endpoint_id, other)).statusCode).toBe(403);
    expect((await get(created.json.endpoint_id)).statusCode).toBe(200);
  });

  it('needs webhooks:write to register, delete or rotate', async () => {
    const refused = await create({ url: PUBLIC_URL, events: ['*'] }, TEST_KEYS.orderService);
    expect(refused.statusCode).toBe(403);
    expect(refused.json.error).toMatchObject({ code: 'missing_scope' });
    expect(refused.json.error.message).toContain('webhooks:write');
  });

  it('rotates a secret, the old one still signing for a day beside the new', async () => {
    const created = await create({ url: PUBLIC_URL, events: ['*'] });
    const rotated = await rotate(created.json.endpoint_id);

    expect(rotated.statusCode).toBe(200);
    expect(rotated.json.secret).not.toBe(created.json.secret);
    const validFor = Date.parse(rotated.json.previous_secret_expires_at) - Date.now();
    expect(validFor).toBeGreaterThan(23 * 3600 * 1000);
    expect(validFor).toBeLessThanOrEqual(24 * 3600 * 1000);
    expect((await get(created.json.endpoint_id)).json.previous_secret_expires_at).toBe(
      rotated.json.previous_secret_expires_at,
    );
    expect((await rotate('6f1c2f4e-8a43-4c1e-9a43-2b6a1f0e9d11')).statusCode).toBe(404);
  });

  it('deletes an endpoint, then answers 404 for it', async () => {
    const created = await create({ url: PUBLIC_URL, events: ['*'] });
    expect((await remove(created.json.endpoint_id)).statusCode).toBe(204);
    expect((await remove(created.json.endpoint_id)).statusCode).toBe(404);
    expect((await get(created.json.endpoint_id)).statusCode).toBe(404);
  });

  it(`holds a producer to ${MAX_ENDPOINTS_PER_PRODUCER} endpoints, even registered at once`, async () => {
    const producer = TEST_KEYS.admin;
    const existing = (await list(producer)).json.endpoints.length;
    const answers = await Promise.all(
      Array.from({ length: MAX_ENDPOINTS_PER_PRODUCER + 5 - existing }, () =>
        create({ url: PUBLIC_URL, events: ['*'] }, producer),
      ),
    );
    const statuses = answers.map((answer) => answer.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(MAX_ENDPOINTS_PER_PRODUCER - existing);
    expect(statuses.filter((status) => status === 422)).toHaveLength(5);
    expect((await list(producer)).json.endpoints).toHaveLength(MAX_ENDPOINTS_PER_PRODUCER);
  });
});
