/**
 * A person's in-app inbox (issue 29, being built): which items a feed lists and how it counts them. Pure: the inbox
 * channel's folder will read and write them.
 *
 * A person's inbox has a head beside its items: a version that every change raises (a page that shows the inbox asks
 * "anything since this version?", as an ETag), the counts a bell shows, and two watermarks, so that "mark all read"
 * and "mark all seen" are one write whatever the number of items: every item made at or before `read_before` is read,
 * every one made at or before `seen_before` seen.
 */

/** What a feed asks for: the items not read, the items not seen, or all of them (never the archived). */
export const INBOX_FILTERS = ['unread', 'unseen', 'all'] as const;
export type InboxFilter = (typeof INBOX_FILTERS)[number];

export interface InboxItem {
  readonly notification_id: string;
  readonly created_at: string;
  readonly read_at?: string;
  readonly archived_at?: string;
}

export interface InboxHead {
  /** Raised by every change of the inbox. */
  readonly version: number;
  readonly read_before?: string;
  readonly seen_before?: string;
}

export function isRead(item: InboxItem, head: InboxHead): boolean {
  return item.read_at !== undefined || (head.read_before !== undefined && item.created_at <= head.read_before);
}

/** Seen: shown in an open feed (or read, which sees it too). */
export function isSeen(item: InboxItem, head: InboxHead): boolean {
  return isRead(item, head) || (head.seen_before !== undefined && item.created_at <= head.seen_before);
}

export function isListed(item: InboxItem, head: InboxHead, filter: InboxFilter): boolean {
  if (item.archived_at !== undefined) return false;
  switch (filter) {
    case 'unread':
      return !isRead(item, head);
    case 'unseen':
      return !isSeen(item, head);
    case 'all':
      return true;
  }
}

/** What the bell shows: the items not archived and not read, and not seen. */
export function countsOf(items: readonly InboxItem[], head: InboxHead): { unread: number; unseen: number } {
  const listed = items.filter((item) => item.archived_at === undefined);
  return {
    unread: listed.filter((item) => !isRead(item, head)).length,
    unseen: listed.filter((item) => !isSeen(item, head)).length,
  };
}

/** The head's version as an HTTP entity tag: a page that sends it back is answered 304 until something changes. */
export function inboxTagOf(head: Pick<InboxHead, 'version'>): string {
  return `"inbox-${head.version}"`;
}

/**
 * Why a rendered `action_url` is refused, or undefined: it must be an https URL, or a path of the product's own site
 * ("/orders/42", never "//elsewhere"), so that a feed never links to `javascript:`, `data:` or another scheme.
 */
export function actionUrlProblem(url: string): string | undefined {
  if (url.length > 2_048) return 'must be at most 2048 characters';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f\s]/.test(url)) return 'must not contain spaces or control characters';
  if (url.startsWith('/'))
    return url.startsWith('//') || url.startsWith('/\\') ? 'must be a path of this site' : undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an https URL or a path starting with /';
  }
  return parsed.protocol === 'https:' ? undefined : 'must be an https URL or a path starting with /';
}
