import { createHash } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SuppressionList } from '../../../lambdas/shared/adapters/suppression-list.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import { type AddressKeyPeppers, addressKey, rekeyed } from '../../../lambdas/shared/domain/address-key.js';
import { TEST_SUPPRESSION_KEYS } from '../../support/categories.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let list: SuppressionList;
let table: string;
const RULE = { threshold: 3, windowSeconds: 7 * 24 * 3600 };
const PEPPERS: AddressKeyPeppers = TEST_SUPPRESSION_KEYS;

beforeAll(async () => {
  platform = await provisionTestPlatform('suppression-list');
  table = platform.resources.tables.suppressions;
  list = new SuppressionList(table, documentClient, async () => PEPPERS);
});
afterAll(() => platform.remove());

const scan = async () => (await documentClient.send(new ScanCommand({ TableName: table }))).Items ?? [];
/** The unpeppered key releases before peppers stored: a SHA-256 anyone can compute from a guess. */
const unpeppered = (channel: string, address: string) =>
  createHash('sha256').update(`${channel}:${address}`).digest('hex');

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

  it('stores the peppered key of the address: never the address, nor a hash anyone could compute from a guess', async () => {
    const items = await scan();

    expect(JSON.stringify(items)).not.toContain('example.com');
    const keys = items.map((item) => item.address_key);
    expect(keys).toContain(await list.keyOf('email', 'ada@example.com'));
    expect(keys).toContain(addressKey(PEPPERS, 'email', 'ada@example.com'));
    expect(keys).not.toContain(unpeppered('email', 'ada@example.com'));
    const other = new SuppressionList(table, documentClient, async () => ({ ...PEPPERS, current: 'x'.repeat(32) }));
    expect(await other.keyOf('email', 'ada@example.com')).not.toBe(await list.keyOf('email', 'ada@example.com'));
  });

  it('finds an entry keyed before the last rotation while re-keying is under way, and one re-keyed after', async () => {
    const before: AddressKeyPeppers = { current: PEPPERS.previous[0] ?? '', previous: [], rekeyed: true };
    const old = new SuppressionList(table, documentClient, async () => before);
    await old.suppress('sms', '+4915111111111', 'opt_out', '2026-11-25T10:00:00.000Z');

    expect(await list.isSuppressed('sms', '+4915111111111')).toBe(true);
    // Re-keyed from its stored key alone, without the address.
    const stored = addressKey(before, 'sms', '+4915111111111');
    expect(rekeyed(PEPPERS, stored, 1)).toBe(addressKey(PEPPERS, 'sms', '+4915111111111'));
    const settled = new SuppressionList(table, documentClient, async () => ({ ...PEPPERS, rekeyed: true }));
    expect(await settled.isSuppressed('sms', '+4915111111111')).toBe(false);
  });

  it('suppresses after the threshold of soft bounces in the window, each counted once; a count expires with its window', async () => {
    const address = 'carol@example.com';
    expect(await list.countSoftBounce('email', address, 'b1', '2026-11-20T10:00:00.000Z', RULE)).toBe(false);
    // The same bounce delivered twice counts once.
    expect(await list.countSoftBounce('email', address, 'b1', '2026-11-20T10:00:00.000Z', RULE)).toBe(false);
    expect(await list.countSoftBounce('email', address, 'b2', '2026-11-21T10:00:00.000Z', RULE)).toBe(false);
    expect(await list.isSuppressed('email', address)).toBe(false);
    expect((await list.find('email', address))?.expires_at).toBe(
      Date.parse('2026-11-20T10:00:00.000Z') / 1000 + RULE.windowSeconds,
    );

    expect(await list.countSoftBounce('email', address, 'b3', '2026-11-22T10:00:00.000Z', RULE)).toBe(true);
    const suppressed = await list.find('email', address);
    expect(suppressed).toMatchObject({ reason: 'soft_bounces', detail: { soft_bounces: '3' } });
    // A suppression does not expire.
    expect(suppressed?.expires_at).toBeUndefined();
    expect(await list.countSoftBounce('email', address, 'b4', '2026-12-22T10:00:00.000Z', RULE)).toBe(true);
    expect((await list.find('email', address))?.expires_at).toBeUndefined();
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

  it("forgets an erased person's soft bounces, and keeps their suppression without them", async () => {
    await list.countSoftBounce('email', 'fay@example.com', 'b1', '2026-11-20T10:00:00.000Z', RULE);
    await list.countSoftBounce('email', 'gus@example.com', 'b1', '2026-11-20T10:00:00.000Z', RULE);
    await list.suppress('email', 'gus@example.com', 'bounce', '2026-11-21T10:00:00.000Z');
    expect((await list.find('email', 'gus@example.com'))?.soft_bounce_ids).toEqual(new Set(['b1']));

    await list.forgetSoftBounces('email', 'fay@example.com');
    await list.forgetSoftBounces('email', 'gus@example.com');

    expect(await list.find('email', 'fay@example.com')).toBeUndefined();
    const kept = await list.find('email', 'gus@example.com');
    expect(kept).toMatchObject({ reason: 'bounce' });
    expect(kept?.soft_bounce_ids).toBeUndefined();
  });

  it('lifts a suppression by its key, answering whether there was one', async () => {
    const key = (await list.find('email', 'ADA@example.com'))?.address_key ?? '';

    expect(await list.liftKey(key)).toBe(true);
    expect(await list.isSuppressed('email', 'ada@example.com')).toBe(false);
    expect(await list.liftKey(key)).toBe(false);
  });
});
