import type { Category } from './categories.js';

/**
 * Frequency caps: no more than `limit` messages in any `windowSeconds`, per person and channel, counted per scope (a
 * category, or one notification type). Pure: the counting store is an adapter (adapters/frequency-counters.ts).
 */
export interface FrequencyCap {
  /** What is counted together: `category:marketing`, or `type:spring_sale`. */
  readonly scope: string;
  readonly limit: number;
  readonly windowSeconds: number;
}

/** The bounds a cap's window may have: a minute to a year. */
export const CAP_WINDOW_SECONDS = { min: 60, max: 366 * 86_400 } as const;

/**
 * The caps a message of this type is held to on each channel: its template's own, then its category's. A critical
 * type and a required category are never capped: a password reset or a fraud alert must arrive however many came
 * before it.
 */
export function capsFor(
  template: {
    readonly type: string;
    readonly critical: boolean;
    readonly throttle?: { readonly limit: number; readonly window_seconds: number };
  },
  categoryName: string,
  category: Pick<Category, 'required' | 'throttle'> | undefined,
): FrequencyCap[] {
  if (template.critical || category?.required) return [];
  const caps: FrequencyCap[] = [];
  if (template.throttle)
    caps.push({
      scope: `type:${template.type}`,
      limit: template.throttle.limit,
      windowSeconds: template.throttle.window_seconds,
    });
  if (category?.throttle) caps.push({ scope: `category:${categoryName}`, ...category.throttle });
  return caps;
}

/**
 * Whether one more message fits the cap at `now`, given when the earlier ones went (epoch ms); and the times to keep:
 * those still inside the window, with `now` added when it fits. A sliding window, exact: the last slot is the limit's.
 */
export function takeSlot(
  sentAt: readonly number[],
  now: number,
  cap: Pick<FrequencyCap, 'limit' | 'windowSeconds'>,
): { readonly allowed: boolean; readonly kept: number[] } {
  const since = now - cap.windowSeconds * 1000;
  const inWindow = sentAt.filter((at) => at > since);
  if (inWindow.length >= cap.limit) return { allowed: false, kept: inWindow };
  return { allowed: true, kept: [...inWindow, now] };
}
