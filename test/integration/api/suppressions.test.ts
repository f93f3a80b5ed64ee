import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SuppressionList } from '../../../lambdas/shared/adapters/suppression-list.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { invoke, TEST_KEYS } from '../../support/api-gateway.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let handler: Parameters<typeof invoke>[0];
let list: SuppressionList;

beforeAll(async () => {
  platform = await provisionTestPlatform('suppressions-api');
  list = new SuppressionList(platform.resources.tables.suppressions, documentClient);
  ({ handler } = await import('../../../lambdas/suppressions/handler.js'));
});
afterAll(() => platform.remove());

const path = (address: string, channel = 'email') => ({ channel, address });

describe('GET and DELETE /v1/suppressions/{channel}/{address}', () => {
  it('shows why and since when an address is suppressed, and lifts it for an admin only', async () => {
    await list.suppress('email', 'grace@example.com', 'bounce', '2026-11-25T10:00:00.000Z', {
      bounce_type: 'Permanent',
    });

    const shown = await invoke(handler, {
      operation: 'getSuppression',
      pathParameters: path('Grace@Example.com'),
      apiKeyId: TEST_KEYS.admin,
    });
    expect(shown.statusCode).toBe(200);
    expect(shown.json).toEqual({
      channel: 'email',
      reason: 'bounce',
      since: '2026-11-25T10:00:00.000Z',
      detail: { bounce_type: 'Permanent' },
    });

    const refused = await invoke(handler, {
      operation: 'liftSuppression',
      pathParameters: path('grace@example.com'),
      apiKeyId: TEST_KEYS.orderService,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json.error.code).toBe('insufficient_scope');
    expect(await list.isSuppressed('email', 'grace@example.com')).toBe(true);

    const lifted = await invoke(handler, {
      operation: 'liftSuppression',
      pathParameters: path('grace@example.com'),
      apiKeyId: TEST_KEYS.admin,
    });
    expect(lifted.statusCode).toBe(204);
    expect(await list.isSuppressed('email', 'grace@example.com')).toBe(false);
  });

  it('answers 404 for an address that is not suppressed, and 400 naming a channel without addresses', async () => {
    for (const operation of ['getSuppression', 'liftSuppression'] as const) {
      const answer = await invoke(handler, {
        operation,
        pathParameters: path('nobody@example.com'),
        apiKeyId: TEST_KEYS.admin,
      });
      expect(answer.statusCode).toBe(404);
    }
    const push = await invoke(handler, {
      operation: 'getSuppression',
      pathParameters: path('x', 'push'),
      apiKeyId: TEST_KEYS.admin,
    });
    expect(push.statusCode).toBe(400);
    expect(push.json.error.details.map((detail: { field: string }) => detail.field)).toEqual(['channel']);
  });
});
