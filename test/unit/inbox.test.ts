import { describe, expect, it } from 'vitest';
import { actionUrlProblem, countsOf, type InboxItem, inboxTagOf, isListed } from '../../lambdas/shared/domain/inbox.js';

const item = (minute: number, more: Partial<InboxItem> = {}): InboxItem => ({
  notification_id: `n${minute}`,
  created_at: `2026-12-08T10:0${minute}:00.000Z`,
  ...more,
});

describe("a person's inbox", () => {
  const items = [
    item(1),
    item(2, { read_at: '2026-12-08T10:05:00.000Z' }),
    item(3, { archived_at: '2026-12-08T10:05:00.000Z' }),
    item(4),
    item(5),
  ];

  it('lists the unread, the unseen or all, never the archived', () => {
    const head = { version: 7, seen_before: '2026-12-08T10:04:00.000Z' };
    const listed = (filter: 'unread' | 'unseen' | 'all') =>
      items.filter((one) => isListed(one, head, filter)).map(({ notification_id }) => notification_id);

    expect(listed('all')).toEqual(['n1', 'n2', 'n4', 'n5']);
    expect(listed('unread')).toEqual(['n1', 'n4', 'n5']);
    expect(listed('unseen')).toEqual(['n5']);
    expect(countsOf(items, head)).toEqual({ unread: 3, unseen: 1 });
  });

  it('marks everything read or seen at once by a watermark, and an item made after it is new again', () => {
    const head = { version: 8, read_before: '2026-12-08T10:04:00.000Z' };

    expect(countsOf(items, head)).toEqual({ unread: 1, unseen: 1 });
    expect(countsOf(items, { ...head, seen_before: '2026-12-08T10:09:00.000Z' })).toEqual({ unread: 1, unseen: 0 });
  });

  it('names its version as an entity tag', () => {
    expect(inboxTagOf({ version: 12 })).toBe('"inbox-12"');
  });

  it.each([
    ['https://shop.example.com/orders/42', undefined],
    ['/orders/42?tab=items', undefined],
    ['http://shop.example.com/orders/42', 'https URL'],
    ['javascript:alert(1)', 'https URL'],
    ['data:text/html,<script>', 'https URL'],
    ['//evil.example.com/x', 'path of this site'],
    ['/\\evil.example.com', 'path of this site'],
    ['orders/42', 'https URL'],
    ['https://shop.example.com/a b', 'spaces'],
    ['https://shop.example.com/\u0000', 'control'],
  ])('takes %s as an action_url: %s', (url, problem) => {
    if (problem === undefined) expect(actionUrlProblem(url)).toBeUndefined();
    else expect(actionUrlProblem(url)).toContain(problem);
  });
});
