/** SQS refuses a DelaySeconds above 15 minutes; a longer wait takes several hops. */
export const MAX_DELAY_SECONDS = 900;

const DAY_MS = 86_400_000;
// A wall time that a DST gap pushes back into the window starts a new window, whose end comes a day later; one
// more hop is slack. Real zones change their offset at most twice a year, so this bound is never reached.
const MAX_WINDOW_HOPS = 3;
export const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

// Building a DateTimeFormat costs far more than using one, and every notification reads a wall clock.
const formatters = new Map<string, Intl.DateTimeFormat>();

export function isValidTimeZone(timezone: string): boolean {
  // Newer runtimes accept offsets such as "+02:00" as a time zone; an offset knows nothing of DST.
  if (timezone === '' || /^[+-]/.test(timezone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

export function isClockTime(value: string): boolean {
  return CLOCK_TIME.test(value);
}

export function quietHoursEnd(now: Date, window: { start: string; end: string; timezone: string }): Date | undefined {
  const start = minuteOfDay(window.start);
  const end = minuteOfDay(window.end);
  if (start === end) return undefined;
  let instant = now.getTime();
  for (let hop = 0; hop < MAX_WINDOW_HOPS; hop++) {
    const windowEnd = endOfWindowAround(instant, start, end, window.timezone);
    if (windowEnd === undefined) return hop === 0 ? undefined : new Date(instant);
    instant = windowEnd;
  }
  return new Date(instant);
}

export function delaySecondsUntil(notBefore: Date, now: Date): number {
  const seconds = Math.ceil((notBefore.getTime() - now.getTime()) / 1000);
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, seconds));
}

function minuteOfDay(clockTime: string): number {
  const match = CLOCK_TIME.exec(clockTime);
  // Preferences are validated where they are written; a bad value here is a bug, not a reason to ignore quiet hours.
  if (match === null) throw new RangeError(`Not a clock time (HH:MM): ${JSON.stringify(clockTime)}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function isInsideWindow(minute: number, start: number, end: number): boolean {
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/** The end of the window `instant` is in, or undefined when it is outside. */
function endOfWindowAround(instant: number, start: number, end: number, timezone: string): number | undefined {
  const wall = wallClockAt(instant, timezone);
  const minute = wall.hour * 60 + wall.minute;
  if (!isInsideWindow(minute, start, end)) return undefined;
  const endsTomorrow = start > end && minute >= start;
  // Date.UTC rolls day 32 into the next month: calendar arithmetic, immune to 23- and 25-hour days.
  const endWall = Date.UTC(wall.year, wall.month - 1, wall.day + (endsTomorrow ? 1 : 0), 0, end);
  return instantOfWallTime(endWall, timezone, instant);
}

/**
 * Temporal's 'compatible' disambiguation: a skipped wall time is read with the offset before the gap (so it lands
 * after the gap by the gap's length), a repeated one is the earlier instant — unless that one has already passed,
 * as it has for a window entered again during the repeated hour.
 */
function instantOfWallTime(wall: number, timezone: string, after: number): number {
  const candidates = [offsetAt(wall - DAY_MS, timezone), offsetAt(wall + DAY_MS, timezone)]
    .map((offset) => wall - offset)
    .filter((candidate) => offsetAt(candidate, timezone) === wall - candidate)
    .sort((a, b) => a - b);
  if (candidates.length === 0) return wall - offsetAt(wall - DAY_MS, timezone);
  return candidates.find((candidate) => candidate > after) ?? Math.max(...candidates);
}

/** Milliseconds the zone's wall clock is ahead of UTC at `instant`. */
function offsetAt(instant: number, timezone: string): number {
  const wall = wallClockAt(instant, timezone);
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return wallAsUtc - Math.floor(instant / 1000) * 1000;
}

function wallClockAt(instant: number, timezone: string): WallClock {
  const parts = formatterFor(timezone).formatToParts(instant);
  const field = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((part) => part.type === type)?.value);
  return {
    year: field('year'),
    month: field('month'),
    day: field('day'),
    hour: field('hour'),
    minute: field('minute'),
    second: field('second'),
  };
}

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}
