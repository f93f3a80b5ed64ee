import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RETRY_BASE_SECONDS, RETRY_CAP_SECONDS, retryDelaySeconds } from '../../lambdas/shared/domain/retry-policy.js';

// Math.random never returns 1; this is as close as it gets.
const ALMOST_ONE = 1 - Number.EPSILON;
const lowest = (receiveCount: number) => retryDelaySeconds(receiveCount, () => 0);
const highest = (receiveCount: number) => retryDelaySeconds(receiveCount, () => ALMOST_ONE);

describe('retryDelaySeconds', () => {
  it('waits half to all of base * 2^receiveCount', () => {
    expect([lowest(1), highest(1)]).toEqual([10, 20]);
    expect([lowest(2), highest(2)]).toEqual([20, 40]);
    expect([lowest(3), highest(3)]).toEqual([40, 80]);
    expect([lowest(6), highest(6)]).toEqual([320, 640]);
  });

  it('puts the random half in between, in whole seconds', () => {
    expect(retryDelaySeconds(1, () => 0.5)).toBe(15);
    expect(retryDelaySeconds(1, () => 0.01)).toBe(11);
    expect(retryDelaySeconds(2, () => 0.25)).toBe(25);
  });

  it('stops growing at the cap, keeping half of it fixed', () => {
    for (const receiveCount of [7, 8, 20, 1000, Number.MAX_SAFE_INTEGER]) {
      expect([lowest(receiveCount), highest(receiveCount)]).toEqual([450, 900]);
    }
  });

  it('waits at least what the provider asked for', () => {
    expect(retryDelaySeconds(1, () => 0, 60)).toBe(60);
    expect(retryDelaySeconds(1, () => 0, 12.2)).toBe(13);
    expect(retryDelaySeconds(3, () => 0.5, 5)).toBe(60);
  });

  it('never waits past the cap, whatever the provider asked for', () => {
    expect(retryDelaySeconds(1, () => 0, 3600)).toBe(RETRY_CAP_SECONDS);
    expect(retryDelaySeconds(1, () => 0, Number.POSITIVE_INFINITY)).toBe(10);
  });

  it('scales with a shorter base (the fault drill runs its clock fast), under the same cap', () => {
    expect(retryDelaySeconds(1, () => 0, undefined, 1)).toBe(1);
    expect(retryDelaySeconds(1, () => 1, undefined, 1)).toBe(2);
    expect(retryDelaySeconds(3, () => 1, undefined, 1)).toBe(8);
    expect(retryDelaySeconds(20, () => 1, undefined, 1)).toBe(RETRY_CAP_SECONDS);
  });

  it('reads a missing or garbled receive count as the first attempt', () => {
    for (const receiveCount of [0, -3, Number.NaN]) {
      expect(lowest(receiveCount)).toBe(10);
      expect(highest(receiveCount)).toBe(20);
    }
  });

  it('keeps a misbehaving random source inside the range', () => {
    expect(retryDelaySeconds(1, () => 7)).toBe(20);
    expect(retryDelaySeconds(1, () => -1)).toBe(10);
    expect(retryDelaySeconds(1, () => Number.NaN)).toBe(10);
  });
});

describe('retryDelaySeconds, for any receive count and random draw', () => {
  const receiveCount = fc.integer({ min: 1, max: 50 });
  const draw = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
  const ceilingOf = (count: number) => Math.min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** count);

  it('stays within [ceiling / 2, ceiling], whole seconds', () => {
    fc.assert(
      fc.property(receiveCount, draw, (count, random) => {
        const delay = retryDelaySeconds(count, () => random);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(ceilingOf(count) / 2);
        expect(delay).toBeLessThanOrEqual(ceilingOf(count));
      }),
    );
  });

  it('waits at least as long as the attempt before, until the cap is reached', () => {
    // Below the cap, the ranges only touch: the next one starts where this one ends. From the attempt whose range
    // is cut by the cap on, they overlap, and only the range's bounds keep growing.
    fc.assert(
      fc.property(receiveCount, draw, draw, (count, before, after) => {
        if (RETRY_BASE_SECONDS * 2 ** (count + 1) <= RETRY_CAP_SECONDS) {
          expect(retryDelaySeconds(count + 1, () => after)).toBeGreaterThanOrEqual(
            retryDelaySeconds(count, () => before),
          );
        }
        expect(lowest(count + 1)).toBeGreaterThanOrEqual(lowest(count));
        expect(highest(count + 1)).toBeGreaterThanOrEqual(highest(count));
      }),
    );
  });

  it('honours a retry-after up to the cap', () => {
    fc.assert(
      fc.property(receiveCount, draw, fc.double({ min: 0, max: 10_000, noNaN: true }), (count, random, asked) => {
        const delay = retryDelaySeconds(count, () => random, asked);
        expect(delay).toBeGreaterThanOrEqual(Math.min(asked, RETRY_CAP_SECONDS));
        expect(delay).toBeLessThanOrEqual(RETRY_CAP_SECONDS);
        expect(delay).toBeGreaterThanOrEqual(retryDelaySeconds(count, () => random));
      }),
    );
  });
});
