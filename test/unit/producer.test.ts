import { describe, expect, it } from 'vitest';
import { ownsType, TYPE_PATTERN } from '../../lambdas/shared/domain/producer.js';

describe('ownsType', () => {
  const orders = { types: ['order.*', 'order_*', 'invoice_ready'] };

  it.each(['order.shipped', 'order.', 'order_shipped', 'invoice_ready'])('lets the owner of %s use it', (type) => {
    expect(ownsType(orders, type)).toBe(true);
  });

  it.each(['password_reset', 'orders.shipped', 'invoice_ready_2', 'invoice', 'xorder.shipped', 'order'])(
    'refuses %s to a producer that does not own it',
    (type) => {
      expect(ownsType(orders, type)).toBe(false);
    },
  );

  it('gives "*" every type and an empty list none', () => {
    expect(ownsType({ types: ['*'] }, 'password_reset')).toBe(true);
    expect(ownsType({ types: [] }, 'password_reset')).toBe(false);
  });
});

describe('TYPE_PATTERN', () => {
  it.each(['*', 'order.*', 'order_shipped', 'a'])('accepts %s', (pattern) => {
    expect(TYPE_PATTERN.test(pattern)).toBe(true);
  });

  it.each(['', '**', 'order.*.x', '*order', 'Order.*', 'order shipped'])('refuses %j', (pattern) => {
    expect(TYPE_PATTERN.test(pattern)).toBe(false);
  });
});
