import { describe, expect, it } from 'vitest';
import { ownWordAfter, withOwnWord } from '../../lambdas/shared/domain/own-word.js';

describe("the person's own word", () => {
  it('keeps off what they turned off themselves, whatever a producer writes, and leaves the rest as written', () => {
    const written = withOwnWord(
      { marketing: { email: true, sms: true }, orders: { push: false } },
      new Set(['marketing/email', 'sms', 'news/push']),
    );

    expect(written).toEqual({
      marketing: { email: false, sms: true },
      orders: { push: false },
      news: { push: false },
    });
  });

  it('forgets what they turned back on, and adds what they turned off', () => {
    const after = ownWordAfter(new Set(['marketing/email', 'orders/sms']), {
      on: ['marketing/email'],
      off: ['marketing/push'],
    });

    expect(after).toEqual(new Set(['orders/sms', 'marketing/push']));
  });
});
