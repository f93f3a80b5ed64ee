import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_BODY_BYTES } from '../../lambdas/shared/schemas/notification-batch.js';
import { numbersAbove } from '../../lib/api-firewall.js';

/**
 * WAF sees at most 64 KB of an API Gateway body, so a path that takes more (a batch) is held to its limit by its
 * Content-Length, matched by a regular expression: it must match exactly the numbers over the limit.
 */
describe("the Content-Length pattern of a path's own body limit", () => {
  const limits = [0, 9, 10, 65_536, 99_999, MAX_BATCH_BODY_BYTES];

  it.each(limits)('matches a number exactly when it is over %i, leading zeros or not', (limit) => {
    const pattern = new RegExp(numbersAbove(limit));
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 10 * (limit + 10) }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
        fc.nat(3),
        (number, zeros) => {
          expect(pattern.test(`${'0'.repeat(zeros)}${number}`)).toBe(number > limit);
        },
      ),
    );
    expect(pattern.test(String(limit))).toBe(false);
    expect(pattern.test(String(limit + 1))).toBe(true);
    for (const notANumber of ['', ' 1', `${limit + 1} `, '1e9', '-1', '+99999999', 'abc'])
      expect(pattern.test(notANumber), notANumber).toBe(false);
  });

  it('is what AWS WAF takes: no capturing group, at most 512 characters', () => {
    const pattern = numbersAbove(MAX_BATCH_BODY_BYTES);

    expect(pattern).not.toMatch(/\((?!\?:)/);
    expect(pattern.length).toBeLessThanOrEqual(512);
    expect(pattern).toBe(
      '^0*(?:[1-9]\\d{7,}|[2-9]\\d{6}|19\\d{5}|18[5-9]\\d{4}|184[5-9]\\d{3}|1844[3-9]\\d{2}|18442[3-9]\\d|184422[5-9])$',
    );
  });
});
