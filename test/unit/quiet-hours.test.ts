import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  delaySecondsUntil,
  isClockTime,
  isValidTimeZone,
  MAX_DELAY_SECONDS,
  quietHoursEnd,
} from '../../lambdas/shared/domain/quiet-hours.js';

const berlin = (start: string, end: string) => ({ start, end, timezone: 'Europe/Berlin' });
const newYork = (start: string, end: string) => ({ start, end, timezone: 'America/New_York' });
const endAt = (now: string, window: { start: string; end: string; timezone: string }) =>
  quietHoursEnd(new Date(now), window)?.toISOString();

describe('quietHoursEnd within one day', () => {
  it('gives the end of the window when now is inside it', () => {
    // 14:00 CEST
    expect(endAt('2026-06-10T12:00:00Z', berlin('13:00', '15:00'))).toBe('2026-06-10T13:00:00.000Z');
  });

  it('is undefined outside the window', () => {
    expect(endAt('2026-06-10T09:00:00Z', berlin('13:00', '15:00'))).toBeUndefined();
    expect(endAt('2026-06-10T16:00:00Z', berlin('13:00', '15:00'))).toBeUndefined();
  });

  it('counts the start as inside and the end as outside', () => {
    expect(endAt('2026-06-10T11:00:00Z', berlin('13:00', '15:00'))).toBe('2026-06-10T13:00:00.000Z');
    expect(endAt('2026-06-10T10:59:59Z', berlin('13:00', '15:00'))).toBeUndefined();
    expect(endAt('2026-06-10T12:59:59Z', berlin('13:00', '15:00'))).toBe('2026-06-10T13:00:00.000Z');
    expect(endAt('2026-06-10T13:00:00Z', berlin('13:00', '15:00'))).toBeUndefined();
  });

  it('treats a window that starts where it ends as empty', () => {
    for (const now of ['2026-06-10T20:00:00Z', '2026-06-10T20:30:00Z', '2026-06-10T08:00:00Z']) {
      expect(endAt(now, berlin('22:00', '22:00'))).toBeUndefined();
    }
  });
});

describe('quietHoursEnd across midnight', () => {
  const night = berlin('22:00', '07:00');

  it('ends the next morning when now is before midnight', () => {
    // 23:30 CEST
    expect(endAt('2026-06-10T21:30:00Z', night)).toBe('2026-06-11T05:00:00.000Z');
  });

  it('ends the same morning when now is after midnight', () => {
    // 03:00 CEST
    expect(endAt('2026-06-11T01:00:00Z', night)).toBe('2026-06-11T05:00:00.000Z');
  });

  it('rolls over the end of a month', () => {
    expect(endAt('2026-06-30T21:30:00Z', night)).toBe('2026-07-01T05:00:00.000Z');
  });

  it('counts the start as inside and the end as outside', () => {
    expect(endAt('2026-06-10T20:00:00Z', night)).toBe('2026-06-11T05:00:00.000Z');
    expect(endAt('2026-06-11T05:00:00Z', night)).toBeUndefined();
    expect(endAt('2026-06-10T12:00:00Z', night)).toBeUndefined();
  });
});

describe('quietHoursEnd over DST changes in Europe/Berlin', () => {
  it('ends at 07:00 CEST on the night the clocks spring forward', () => {
    // 23:00 CET on 28 March; the night is an hour shorter
    expect(endAt('2026-03-28T22:00:00Z', berlin('22:00', '07:00'))).toBe('2026-03-29T05:00:00.000Z');
  });

  it('ends at 07:00 CET on the night the clocks fall back', () => {
    // 23:00 CEST on 24 October; the night is an hour longer
    expect(endAt('2026-10-24T21:00:00Z', berlin('22:00', '07:00'))).toBe('2026-10-25T06:00:00.000Z');
  });

  it('reads an end in the spring-forward gap with the offset before the gap', () => {
    // 02:30 does not exist on 29 March: it becomes 03:30 CEST
    expect(endAt('2026-03-29T00:15:00Z', berlin('01:00', '02:30'))).toBe('2026-03-29T01:30:00.000Z');
  });

  it('waits for the next end when the gap pushes the end back into the window', () => {
    // 02:30 becomes 03:30 CEST, already past the 02:45 start: quiet until 02:30 the next night
    expect(endAt('2026-03-29T00:00:00Z', berlin('02:45', '02:30'))).toBe('2026-03-30T00:30:00.000Z');
  });

  it('takes the earlier of a repeated end, and the later once the earlier has passed', () => {
    const window = berlin('01:00', '02:30');

    // 01:30 CEST
    expect(endAt('2026-10-24T23:30:00Z', window)).toBe('2026-10-25T00:30:00.000Z');
    // 02:45 CEST is outside; an hour later the clock reads 02:10 CET, inside again
    expect(endAt('2026-10-25T00:45:00Z', window)).toBeUndefined();
    expect(endAt('2026-10-25T01:10:00Z', window)).toBe('2026-10-25T01:30:00.000Z');
  });
});

describe('quietHoursEnd over DST changes in America/New_York', () => {
  it('ends at 08:00 EDT on the night the clocks spring forward', () => {
    // 22:00 EST on 7 March
    expect(endAt('2026-03-08T03:00:00Z', newYork('21:00', '08:00'))).toBe('2026-03-08T12:00:00.000Z');
  });

  it('ends at 08:00 EST on the night the clocks fall back', () => {
    // 21:00 EDT on 31 October
    expect(endAt('2026-11-01T01:00:00Z', newYork('21:00', '08:00'))).toBe('2026-11-01T13:00:00.000Z');
  });

  it('reads an end in the spring-forward gap with the offset before the gap', () => {
    // 01:30 EST; 02:15 does not exist and becomes 03:15 EDT
    expect(endAt('2026-03-08T06:30:00Z', newYork('00:00', '02:15'))).toBe('2026-03-08T07:15:00.000Z');
  });

  it('takes the earlier of a repeated end, and the later once the earlier has passed', () => {
    const window = newYork('23:00', '01:30');

    // 00:00 EDT
    expect(endAt('2026-11-01T04:00:00Z', window)).toBe('2026-11-01T05:30:00.000Z');
    // 01:10 EST, the second time round
    expect(endAt('2026-11-01T06:10:00Z', window)).toBe('2026-11-01T06:30:00.000Z');
  });
});

describe('quietHoursEnd elsewhere', () => {
  it('honours a half-hour offset', () => {
    // 22:30 IST
    expect(endAt('2026-06-10T17:00:00Z', { start: '22:00', end: '06:00', timezone: 'Asia/Kolkata' })).toBe(
      '2026-06-11T00:30:00.000Z',
    );
  });

  it('follows the southern hemisphere, where DST ends in April and starts in October', () => {
    const sydney = { start: '22:00', end: '07:00', timezone: 'Australia/Sydney' };

    // 23:00 AEDT, ends 07:00 AEST
    expect(endAt('2026-04-04T12:00:00Z', sydney)).toBe('2026-04-04T21:00:00.000Z');
    // 22:30 AEST, ends 07:00 AEDT
    expect(endAt('2026-10-03T12:30:00Z', sydney)).toBe('2026-10-03T20:00:00.000Z');
  });

  it('refuses a clock time that is not HH:MM', () => {
    expect(() => quietHoursEnd(new Date(), berlin('7:00', '08:00'))).toThrow(RangeError);
  });
});

describe('quietHoursEnd, for any instant and window', () => {
  const zones = [
    'Europe/Berlin',
    'America/New_York',
    'Australia/Sydney',
    'Australia/Lord_Howe',
    'Asia/Kolkata',
    'America/Santiago',
  ];
  // Uniform instants rarely land near a DST change, where the mistakes hide.
  const changes: Record<string, number[]> = {
    'Europe/Berlin': ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z'].map(Date.parse),
    'America/New_York': ['2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z'].map(Date.parse),
    'Australia/Sydney': ['2026-04-04T16:00:00Z', '2026-10-03T16:00:00Z'].map(Date.parse),
    'Australia/Lord_Howe': ['2026-04-04T15:00:00Z', '2026-10-03T15:30:00Z'].map(Date.parse),
  };
  const uniform = fc.date({
    min: new Date('2025-01-01T00:00:00Z'),
    max: new Date('2028-12-31T23:59:59Z'),
    noInvalidDate: true,
  });
  const instantIn = (zone: string) => {
    const near = changes[zone];
    if (near === undefined) return uniform;
    const nearChange = fc
      .tuple(fc.constantFrom(...near), fc.integer({ min: -48 * 3600, max: 48 * 3600 }))
      .map(([change, seconds]) => new Date(change + seconds * 1000));
    return fc.oneof(uniform, nearChange);
  };
  const clockTime = fc
    .oneof(
      fc.integer({ min: 0, max: 1439 }),
      fc.integer({ min: 0, max: 16 }).map((quarter) => quarter * 15),
    )
    .map((minute) => `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`);
  const cases = fc
    .constantFrom(...zones)
    .chain((timezone) =>
      fc.record({ now: instantIn(timezone), start: clockTime, end: clockTime, timezone: fc.constant(timezone) }),
    );

  it('is undefined outside the window, else strictly later and outside it', () => {
    fc.assert(
      fc.property(cases, ({ now, ...window }) => {
        const end = quietHoursEnd(now, window);

        expect(end === undefined).toBe(!isInside(now, window));
        if (end !== undefined) {
          expect(end.getTime()).toBeGreaterThan(now.getTime());
          expect(isInside(end, window)).toBe(false);
          expect(end.getTime() - now.getTime()).toBeLessThanOrEqual(48 * 3600 * 1000);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('isValidTimeZone', () => {
  it('knows IANA names', () => {
    for (const zone of ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney', 'UTC']) {
      expect(isValidTimeZone(zone)).toBe(true);
    }
  });

  it('refuses made-up names, offsets and nothing', () => {
    for (const zone of ['Mars/Base', '', '+02:00', '-05:00', 'Europe/Atlantis']) {
      expect(isValidTimeZone(zone)).toBe(false);
    }
  });
});

describe('isClockTime', () => {
  it('accepts HH:MM from 00:00 to 23:59', () => {
    for (const time of ['00:00', '07:05', '12:30', '23:59']) expect(isClockTime(time)).toBe(true);
  });

  it('refuses anything else', () => {
    for (const time of ['24:00', '7:00', '07:60', '0700', '07:00:00', ' 07:00', '07:00\n', '', 'ab:cd']) {
      expect(isClockTime(time)).toBe(false);
    }
  });
});

describe('delaySecondsUntil', () => {
  const now = new Date('2026-06-10T12:00:00Z');
  const later = (ms: number) => new Date(now.getTime() + ms);

  it('is 0 for a moment already past or present', () => {
    expect(delaySecondsUntil(later(-5000), now)).toBe(0);
    expect(delaySecondsUntil(now, now)).toBe(0);
  });

  it('rounds up, so a job never runs early', () => {
    expect(delaySecondsUntil(later(61_200), now)).toBe(62);
    expect(delaySecondsUntil(later(1), now)).toBe(1);
  });

  it("stops at SQS's 15-minute maximum", () => {
    expect(delaySecondsUntil(later(20 * 60_000), now)).toBe(MAX_DELAY_SECONDS);
    expect(delaySecondsUntil(later(900_000), now)).toBe(900);
  });
});

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

const clocks = new Map<string, Intl.DateTimeFormat>();

/** The oracle: the window read straight off the zone's wall clock. */
function isInside(instant: Date, window: { start: string; end: string; timezone: string }): boolean {
  let clockIn = clocks.get(window.timezone);
  if (clockIn === undefined) {
    clockIn = new Intl.DateTimeFormat('en-GB', {
      timeZone: window.timezone,
      hourCycle: 'h23',
      hour: '2-digit',
      minute: '2-digit',
    });
    clocks.set(window.timezone, clockIn);
  }
  const parts = clockIn.formatToParts(instant);
  const clock = `${parts.find((part) => part.type === 'hour')?.value}:${parts.find((part) => part.type === 'minute')?.value}`;
  const { start, end } = window;
  if (start === end) return false;
  return start < end ? clock >= start && clock < end : clock >= start || clock < end;
}
