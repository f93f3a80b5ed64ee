import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrequencyCounters } from '../../../lambdas/shared/adapters/frequency-counters.js';
import { documentClient } from '../../../lambdas/shared/aws/dynamodb.js';
import type { FrequencyCap } from '../../../lambdas/shared/domain/frequency-caps.js';
import { provisionTestPlatform, type TestPlatform } from '../../support/test-platform.js';

let platform: TestPlatform;
let counters: FrequencyCounters;
const NOW = Date.parse('2030-01-01T12:00:00Z');
const cap: FrequencyCap = { scope: 'type:spring_sale', limit: 3, windowSeconds: 3600 };

beforeAll(async () => {
  platform = await provisionTestPlatform('frequency-counters');
  counters = new FrequencyCounters(platform.resources.tables.notifications, documentClient);
});
afterAll(() => platform.remove());

describe('frequency counters', () => {
  it('lets exactly the limit through when twenty messages compete for the last slots at the same moment', async () => {
    // Prepare: one slot already taken
    const user = `user-${randomUUID()}`;
    await counters.take(user, 'email', cap, NOW - 1000);

    // Act
    const taken = await Promise.all(Array.from({ length: 20 }, () => counters.take(user, 'email', cap, NOW)));

    // Assess
    expect(taken.filter(Boolean)).toHaveLength(2);
  });

  it('counts each person, channel and scope apart, and frees a slot when its window has passed', async () => {
    // Prepare
    const user = `user-${randomUUID()}`;
    for (let index = 0; index < 3; index++)
      expect(await counters.take(user, 'email', cap, NOW + index * 1000)).toBe(true);

    // Act and assess
    expect(await counters.take(user, 'email', cap, NOW + 2500)).toBe(false);
    expect(await counters.take(user, 'sms', cap, NOW + 10)).toBe(true);
    expect(await counters.take(`${user}-2`, 'email', cap, NOW + 10)).toBe(true);
    expect(await counters.take(user, 'email', { ...cap, scope: 'category:marketing' }, NOW + 10)).toBe(true);
    // The first went at NOW: an hour later its slot is free again, and only its.
    expect(await counters.take(user, 'email', cap, NOW + 3600_000 + 1)).toBe(true);
    expect(await counters.take(user, 'email', cap, NOW + 3600_000 + 2)).toBe(false);
  });

  it('gives a slot back for a message another cap stopped', async () => {
    // Prepare
    const user = `user-${randomUUID()}`;
    for (let index = 0; index < 3; index++) await counters.take(user, 'push', cap, NOW + index);

    // Act
    await counters.giveBack(user, 'push', cap, NOW + 1);

    // Assess
    expect(await counters.take(user, 'push', cap, NOW + 5)).toBe(true);
    expect(await counters.take(user, 'push', cap, NOW + 6)).toBe(false);
  });
});
