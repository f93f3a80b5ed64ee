import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKey, lookupKeys, rekeyed } from '../../lambdas/shared/domain/address-key.js';

const first = { current: 'pepper-one-000000000000000000000000', previous: [], rekeyed: true };
const rotated = { current: 'pepper-two-000000000000000000000000', previous: [first.current], rekeyed: false };

describe("an address's key on the suppression list", () => {
  it('is no hash anyone can compute from a guess: an HMAC under the pepper, the same for the same address', () => {
    const unpeppered = createHash('sha256').update('sms:+4915112345678').digest('hex');

    expect(addressKey(first, 'sms', '+4915112345678')).toMatch(/^[0-9a-f]{64}$/);
    expect(addressKey(first, 'sms', '+4915112345678')).not.toBe(unpeppered);
    expect(addressKey(first, 'sms', ' +4915112345678 ')).toBe(addressKey(first, 'sms', '+4915112345678'));
    expect(addressKey(first, 'email', 'Ada@Example.COM')).toBe(addressKey(first, 'email', 'ada@example.com'));
    expect(addressKey({ ...first, current: 'another-pepper-00000000000000000000' }, 'sms', '+4915112345678')).not.toBe(
      addressKey(first, 'sms', '+4915112345678'),
    );
  });

  it('is re-keyed to a new pepper from the stored key alone, without the address', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (address) => {
        expect(rekeyed(rotated, addressKey(first, 'email', address), 1)).toBe(addressKey(rotated, 'email', address));
      }),
    );
    // An unpeppered key of a release before peppers (generation 0) too.
    const unpeppered = createHash('sha256').update('email:ada@example.com').digest('hex');
    expect(rekeyed(rotated, unpeppered, 0)).toBe(addressKey(rotated, 'email', 'ada@example.com'));
    expect(rekeyed(rotated, addressKey(rotated, 'email', 'ada@example.com'), 2)).toBeUndefined();
  });

  it('is looked up under the key before the rotation too, until every entry is re-keyed', () => {
    expect(lookupKeys(rotated, 'sms', '+4915112345678')).toEqual([
      addressKey(rotated, 'sms', '+4915112345678'),
      addressKey(first, 'sms', '+4915112345678'),
    ]);
    expect(lookupKeys({ ...rotated, rekeyed: true }, 'sms', '+4915112345678')).toEqual([
      addressKey(rotated, 'sms', '+4915112345678'),
    ]);
  });
});
