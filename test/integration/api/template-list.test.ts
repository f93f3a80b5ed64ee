import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageCursor } from '../../../lambdas/shared/schemas/paging.js';
import { invoke, TEST_KEYS } from '../../support/api-gateway.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let handler: Parameters<typeof invoke>[0];

// This file's own tables: the list is exactly these.
const TYPES = ['order_shipped', 'order.cancelled', 'password_reset', 'billing.invoice', 'marketing.sale', 'a', 'z-9'];

beforeAll(async () => {
  platform = await provisionTestPlatform('template-list');
  ({ handler } = await import('../../../lambdas/templates/handler.js'));
  for (const type of TYPES) {
    const saved = await invoke(handler, {
      operation: 'putTemplate',
      pathParameters: { type },
      body: { sms: { body: `About ${type}` } },
      apiKeyId: TEST_KEYS.admin,
    });
    expect(saved.statusCode, type).toBe(200);
  }
});
afterAll(() => platform.remove());

/** Any producer may list templates, as any may read one. */
const list = (query?: Record<string, string>) =>
  invoke(handler, { operation: 'listTemplates', ...(query ? { query } : {}), apiKeyId: TEST_KEYS.reporting });

describe('GET /v1/templates', () => {
  it('lists every template once across pages of 3, each as GET /templates/{type} answers it', async () => {
    const pages: string[][] = [];
    let cursor: string | undefined;
    // Bounded: a cursor that led back would otherwise page for ever.
    do {
      const page = await list({ limit: '3', ...(cursor ? { cursor } : {}) });
      expect(page.statusCode).toBe(200);
      pages.push(page.json.templates.map((template: { type: string }) => template.type));
      cursor = page.json.next_cursor;
    } while (cursor !== undefined && pages.length <= TYPES.length);

    expect(pages.map((types) => types.length)).toEqual([3, 3, 1]);
    // Each page is sorted by type; the pages are in the table's order.
    for (const types of pages) expect(types).toEqual([...types].sort());
    expect(pages.flat().sort()).toEqual([...TYPES].sort());
    const one = await invoke(handler, {
      operation: 'getTemplate',
      pathParameters: { type: 'password_reset' },
      apiKeyId: TEST_KEYS.reporting,
    });
    const all = await list();
    expect(all.json.templates).toContainEqual(one.json);
  });

  it('gives all of them in one page by default (50), with no next_cursor, and ignores parameters it does not name', async () => {
    const all = await list({ utm_source: 'newsletter' });

    expect(all.statusCode).toBe(200);
    expect(all.json.templates.map((template: { type: string }) => template.type)).toEqual([...TYPES].sort());
    expect(all.json).not.toHaveProperty('next_cursor');
  });

  it.each([
    ['limit', { limit: '0' }],
    ['limit', { limit: '101' }],
    ['limit', { limit: 'all' }],
    ['cursor', { cursor: 'not a cursor' }],
    ['cursor', { cursor: Buffer.from('{"type":"order_shipped"').toString('base64url') }],
    ['cursor', { cursor: pageCursor({ user_id: 'user-1' }) }],
    ['cursor', { cursor: pageCursor({ type: 'NOT A TYPE' }) }],
  ])('refuses a bad %s with 400 naming it: %j', async (field, query) => {
    const refused = await list(query);

    expect(refused.statusCode).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'invalid_request', details: [{ field }] });
  });
});
