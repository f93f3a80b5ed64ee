import { createHash } from 'node:crypto';

/**
 * Digests: notifications of one type for one person (and one value of a payload field, such as a thread id) within a
 * window become one message per channel, rendered with `items` (each member's payload, oldest first) and `count`. Pure:
 * the windows are kept by adapters/digest-windows.ts.
 */
export interface DigestSettings {
  readonly window_seconds: number;
  readonly max_items: number;
  /** The payload field whose value keeps digests apart, e.g. thread_id. */
  readonly key?: string;
}

export const DIGEST_WINDOW_SECONDS = { min: 60, max: 86_400 } as const;
export const DIGEST_MAX_ITEMS = { min: 2, max: 100 } as const;
/** Room for the members' payloads in one digest: a job must fit a queue message, a record an item. */
export const DIGEST_PAYLOAD_LIMIT_BYTES = 192 * 1024;

/** One member as the digest keeps it. */
export interface DigestMember {
  readonly notification_id: string;
  readonly payload: Record<string, unknown>;
  readonly accepted_at: string;
}

/**
 * What names the window a member joins among its person's: its type, and a hash of its key field's value (the value
 * itself is the producer's data and never becomes part of a key). A missing key field is a value of its own.
 */
export function digestRef(
  type: string,
  settings: Pick<DigestSettings, 'key'>,
  payload: Record<string, unknown>,
): string {
  const value = settings.key === undefined ? '' : JSON.stringify(payload[settings.key] ?? null);
  const hash = createHash('sha256').update(value).digest('base64url').slice(0, 16);
  return `${type}#${hash}`;
}

/** What the digest renders with: every member not cancelled, oldest first, and how many. */
export function digestPayload(
  members: readonly DigestMember[],
  cancelled: ReadonlySet<string>,
): { readonly items: Record<string, unknown>[]; readonly count: number } {
  const kept = members
    .filter((member) => !cancelled.has(member.notification_id))
    .sort((a, b) => a.accepted_at.localeCompare(b.accepted_at));
  return { items: kept.map((member) => member.payload), count: kept.length };
}

/** Bytes a member's payload takes in a digest. */
export function payloadBytes(payload: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(payload), 'utf8');
}
