import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SuppressionList } from '../../../lambdas/shared/adapters/suppression-list.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { suppressionPeppers } from '../../../lambdas/shared/platform/suppression-keys.js';
import { invoke, TEST_KEYS } from '../../support/api-gateway.js';
import { footprint, provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let handler: Parameters<typeof invoke>[0];
let list: SuppressionList;

beforeAll(async () => {
  platform = await provisionTestPlatform('suppressions-api');
  list = new SuppressionList(platform.resources.tables.suppressions, documentClient, suppressionPeppers);
  ({ handler } = await import('../../../lambdas/suppressions/handler.js'));
});
afterAll(() => platform.remove());

const lookup = (address: string, channel = 'email', apiKeyId: string = TEST_KEYS.admin) =>
  invoke(handler, { operation: 'findSuppression', body: { channel, address }, apiKeyId });

describe('the suppression list through the API: an address in a body, a key in a path', () => {
  it('looks an address up by its body, and shows and lifts it by its key, an admin only lifting', async () => {
    await list.suppress('email', 'grace@example.com', 'bounce', '2026-11-25T10:00:00.000Z', {
      bounce_type: 'Permanent',
    });
    const key = await list.keyOf('email', 'grace@example.com');

    const found = await lookup('Grace@Example.com');
    const shown = await invoke(handler, { operation: 'getSuppression', pathParameters: { address_key: key } });
    const expected = {
      address_key: key,
      channel: 'email',
      reason: 'bounce',
      since: '2026-11-25T10:00:00.000Z',
      detail: { bounce_type: 'Permanent' },
    };
    expect([found.statusCode, found.json]).toEqual([200, expected]);
    expect([shown.statusCode, shown.json]).toEqual([200, expected]);

    const refused = await invoke(handler, {
      operation: 'liftSuppression',
      pathParameters: { address_key: key },
      apiKeyId: TEST_KEYS.orderService,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json.error).toMatchObject({ code: 'missing_scope', message: expect.stringContaining('admin') });
    expect(await list.isSuppressed('email', 'grace@example.com')).toBe(true);

    const lifted = await invoke(handler, { operation: 'liftSuppression', pathParameters: { address_key: key } });
    expect(lifted.statusCode).toBe(204);
    expect(await list.isSuppressed('email', 'grace@example.com')).toBe(false);
  });

  it('answers 404 for an address or a key not suppressed, and changes nothing', async () => {
    const key = await list.keyOf('email', 'nobody@example.com');
    const before = await footprint(platform);

    expect((await lookup('nobody@example.com')).statusCode).toBe(404);
    for (const operation of ['getSuppression', 'liftSuppression'] as const)
      expect((await invoke(handler, { operation, pathParameters: { address_key: key } })).statusCode).toBe(404);
    expect(await footprint(platform)).toBe(before);
  });

  it('refuses a channel without addresses, a path that is no key (an address, say), and a producer without the scope', async () => {
    const push = await lookup('x', 'push');
    const address = await invoke(handler, {
      operation: 'getSuppression',
      pathParameters: { address_key: 'grace@example.com' },
    });
    const unscoped = await lookup('grace@example.com', 'email', TEST_KEYS.orderService);

    expect(push.statusCode).toBe(400);
    expect(push.json.error.details.map((detail: { field: string }) => detail.field)).toEqual(['channel']);
    expect(address.statusCode).toBe(400);
    expect(address.json.error.details.map((detail: { field: string }) => detail.field)).toEqual(['address_key']);
    expect(unscoped.json.error).toMatchObject({ code: 'missing_scope' });
  });
});
