import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey, SuppressionList } from '../../../lambdas/shared/adapters/suppression-list.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let list: SuppressionList;
const RULE = { threshold: 3, windowSeconds: 7 * 24 * 3600 };

beforeAll(async () => {
  platform = await provisionTestPlatform('suppression-list');
  list = new SuppressionList(platform.resources.tables.suppressions, documentClient);
});
afterAll(() => platform.remove());

describe('SuppressionList', () => {
  it('suppresses an address, found again whatever its case and spaces', async () => {
    await list.suppress('email', 'Ada@Example.com', 'bounce', '2026-11-25T10:00:00.000Z', { bounce_type: 'Permanent' });

    expect(await list.isSuppressed('email', ' ada@example.COM ')).toBe(true);
    expect(await list.find('email', 'ada@example.com')).toMatchObject({
      channel: 'email',
      reason: 'bounce',
      since: '2026-11-25T10:00:00.000Z',
      detail: { bounce_type: 'Permanent' },
    });
    expect(await list.isSuppressed('email', 'bob@example.com')).toBe(false);
    expect(await list.isSuppressed('sms', 'ada@example.com')).toBe(false);
  });

  it('keeps the first reason and time when the address is suppressed again', async () => {
    await list.suppress('email', 'eve@example.com', 'bounce', '2026-11-25T10:00:00.000Z');
    await list.suppress('email', 'eve@example.com', 'complaint', '2026-11-26T10:00:00.000Z');

    expect(await list.find('email', 'eve@example.com')).toMatchObject({
      reason: 'bounce',
      since: '2026-11-25T10:00:00.000Z',
    });
  });

  it('stores a hash of the address, never the address', async () => {
    const { Items = [] } = await documentClient.send(
      new ScanCommand({ TableName: platform.resources.tables.suppressions }),
    );
    expect(JSON.stringify(Items)).not.toContain('example.com');
    expect(Items.map((item) => item.address_key)).toContain(addressKey('email', 'ada@example.com'));
  });

  it('suppresses after the threshold of soft bounces in the window, each counted once', async () => {
    const address = 'carol@example.com';
    expect(await list.countSoftBounce('email', address, 'b1', '2026-11-20T10:00:00.000Z', RULE)).toBe(false);
    // The same bounce delivered twice counts once.
    expect(await list.countSoftBounce('email', address, 'b1', '2026-11-20T10:00:00.000Z', RULE)).toBe(false);
    expect(await list.countSoftBounce('email', address, 'b2', '2026-11-21T10:00:00.000Z', RULE)).toBe(false);
    expect(await list.isSuppressed('email', address)).toBe(false);

    expect(await list.countSoftBounce('email', address, 'b3', '2026-11-22T10:00:00.000Z', RULE)).toBe(true);
    expect(await list.find('email', address)).toMatchObject({ reason: 'soft_bounces', detail: { soft_bounces: '3' } });
  });

  it('starts counting again once the window has passed', async () => {
    const address = 'dan@example.com';
    await list.countSoftBounce('email', address, 'b1', '2026-11-01T10:00:00.000Z', RULE);
    await list.countSoftBounce('email', address, 'b2', '2026-11-02T10:00:00.000Z', RULE);
    // Three weeks later: a new window, with this bounce alone in it.
    expect(await list.countSoftBounce('email', address, 'b3', '2026-11-23T10:00:00.000Z', RULE)).toBe(false);

    expect(await list.find('email', address)).toMatchObject({ soft_bounces_since: '2026-11-23T10:00:00.000Z' });
    expect((await list.find('email', address))?.soft_bounce_ids).toEqual(new Set(['b3']));
  });

  it('lifts a suppression, answering whether there was one', async () => {
    expect(await list.lift('email', 'ADA@example.com')).toBe(true);
    expect(await list.isSuppressed('email', 'ada@example.com')).toBe(false);
    expect(await list.lift('email', 'ada@example.com')).toBe(false);
  });
});
