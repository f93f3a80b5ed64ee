import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TemplateOwnedByAnother, TemplatesStore } from '../../../lambdas/shared/adapters/templates-store.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import type { TemplateDocument } from '../../../lambdas/shared/schemas/template.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

const CACHE_SECONDS = 30;
let platform: TestPlatform;
let table: string;

beforeAll(async () => {
  platform = await provisionTestPlatform('templates-store');
  table = platform.resources.tables.templates;
});
afterAll(() => platform.remove());

/** A store as one function instance holds it, on a clock the test moves. */
function instance(clock: { now: number } = { now: Date.parse('2030-01-01T12:00:00Z') }) {
  return { store: new TemplatesStore(table, documentClient, CACHE_SECONDS, () => clock.now), clock };
}

const newType = () => `order_${randomUUID()}`;
const v1: TemplateDocument = { critical: false, email: { subject: 'Shipped', body: 'v1' }, sms: { body: 'v1' } };
const v2: TemplateDocument = { critical: true, email: { subject: 'Shipped', body: 'v2' } };

describe('save', () => {
  it('creates a template owned by the producer that saved it, and answers it as stored', async () => {
    const { store } = instance();
    const type = newType();

    const saved = await store.save(type, v1, 'order-service');

    expect(saved).toMatchObject({ type, ...v1, owner: 'order-service', updated_by: 'order-service' });
    expect(await store.findFresh(type)).toEqual(saved);
  });

  it('saves the template whole: a channel left out is removed', async () => {
    const { store } = instance();
    const type = newType();
    await store.save(type, v1, 'order-service');

    const saved = await store.save(type, v2, 'order-service');

    expect(saved.sms).toBeUndefined();
    expect(await store.findFresh(type)).toMatchObject({ critical: true, email: v2.email, owner: 'order-service' });
    expect((await store.findFresh(type))?.sms).toBeUndefined();
  });

  it("refuses another producer's change with TemplateOwnedByAnother and keeps the template", async () => {
    const { store } = instance();
    const type = newType();
    await store.save(type, v1, 'order-service');

    const attempt = store.save(type, v2, 'billing');

    await expect(attempt).rejects.toBeInstanceOf(TemplateOwnedByAnother);
    expect(await store.findFresh(type)).toMatchObject({ ...v1, owner: 'order-service', updated_by: 'order-service' });
  });

  it("lets an admin change another producer's template, whose owner stays", async () => {
    const { store } = instance();
    const type = newType();
    await store.save(type, v1, 'order-service');

    const saved = await store.save(type, v2, 'admin', { overrideOwner: true });

    expect(saved).toMatchObject({ critical: true, owner: 'order-service', updated_by: 'admin' });
  });

  it('gives a type two producers create at once to exactly one of them', async () => {
    const { store } = instance();
    const type = newType();

    const attempts = await Promise.allSettled([store.save(type, v1, 'order-service'), store.save(type, v2, 'billing')]);

    const saved = attempts.flatMap((attempt) => (attempt.status === 'fulfilled' ? [attempt.value] : []));
    const refused = attempts.flatMap((attempt) => (attempt.status === 'rejected' ? [attempt.reason] : []));
    expect(saved).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(TemplateOwnedByAnother);
    expect((await store.findFresh(type))?.owner).toBe(saved[0]?.owner);
  });
});

describe('the cache', () => {
  it('answers a template it read from memory for cacheSeconds, then reads it again', async () => {
    // Prepare: this instance reads v1; another instance then saves v2
    const type = newType();
    const { store, clock } = instance();
    const other = instance().store;
    await other.save(type, v1, 'order-service');
    expect((await store.find(type))?.sms).toEqual(v1.sms);
    await other.save(type, v2, 'order-service');

    // Act
    clock.now += (CACHE_SECONDS - 1) * 1000;
    const cached = await store.find(type);
    clock.now += 1000;
    const reread = await store.find(type);

    // Assess
    expect(cached).toMatchObject({ critical: false, sms: v1.sms });
    expect(reread).toMatchObject({ critical: true });
    expect(reread?.sms).toBeUndefined();
  });

  it('does not keep a miss: a type saved a moment after an unknown answer is found at once', async () => {
    const type = newType();
    const { store } = instance();
    const other = instance().store;
    expect(await store.find(type)).toBeUndefined();

    await other.save(type, v1, 'order-service');

    expect(await store.find(type)).toMatchObject({ type, owner: 'order-service' });
  });

  it('forgets a template the instance itself saves', async () => {
    const type = newType();
    const { store } = instance();
    await store.save(type, v1, 'order-service');
    await store.find(type);

    await store.save(type, v2, 'order-service');

    expect(await store.find(type)).toMatchObject({ critical: true });
  });

  it("forgets the template even when its own save is refused, so the owner's newer version is read", async () => {
    // Prepare: this instance caches v1; the owner saves v2 through another instance
    const type = newType();
    const { store } = instance();
    const owners = instance().store;
    await owners.save(type, v1, 'order-service');
    await store.find(type);
    await owners.save(type, v2, 'order-service');

    // Act
    await expect(store.save(type, v1, 'billing')).rejects.toBeInstanceOf(TemplateOwnedByAnother);

    // Assess
    expect(await store.find(type)).toMatchObject({ critical: true });
  });

  it('reads through findFresh past the cache, every time', async () => {
    const type = newType();
    const { store } = instance();
    const other = instance().store;
    await other.save(type, v1, 'order-service');
    await store.find(type);
    await other.save(type, v2, 'order-service');

    expect(await store.findFresh(type)).toMatchObject({ critical: true });
  });
});
