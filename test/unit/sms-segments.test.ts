import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { smsSegments } from '../../lambdas/channels/sms/segments.js';

describe('smsSegments in GSM-7', () => {
  it('fits 160 characters in one message and splits 161 into two parts of 153', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', characters: 160, segments: 1 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', characters: 161, segments: 2 });
    expect(smsSegments('a'.repeat(306)).segments).toBe(2);
    expect(smsSegments('a'.repeat(307)).segments).toBe(3);
  });

  it('takes the accented letters, Greek capitals and symbols of the basic set', () => {
    expect(smsSegments('Grüße aus Köln! Ça coute 5£ @ 10:00 ΔΦΓΛΩ §¿¡ ñ')).toMatchObject({ encoding: 'GSM-7' });
  });

  it('counts each character of the extension table as two septets', () => {
    expect(smsSegments('€')).toEqual({ encoding: 'GSM-7', characters: 2, segments: 1 });
    expect(smsSegments('^{}\\[~]|€')).toEqual({ encoding: 'GSM-7', characters: 18, segments: 1 });
    expect(smsSegments(`${'a'.repeat(158)}€`)).toEqual({ encoding: 'GSM-7', characters: 160, segments: 1 });
    expect(smsSegments(`${'a'.repeat(159)}€`)).toEqual({ encoding: 'GSM-7', characters: 161, segments: 2 });
  });

  it('never splits an escaped character between two parts', () => {
    // 152 septets, then a two-septet "€" that would straddle the end of the first part: 154 + 153 + 1.
    const text = `${'a'.repeat(152)}€${'a'.repeat(153)}`;
    expect(smsSegments(text)).toEqual({ encoding: 'GSM-7', characters: 307, segments: 3 });
  });
});

describe('smsSegments in UCS-2', () => {
  it('fits 70 characters in one message and splits 71 into two parts of 67', () => {
    expect(smsSegments('ж'.repeat(70))).toEqual({ encoding: 'UCS-2', characters: 70, segments: 1 });
    expect(smsSegments('ж'.repeat(71))).toEqual({ encoding: 'UCS-2', characters: 71, segments: 2 });
    expect(smsSegments('ж'.repeat(134)).segments).toBe(2);
    expect(smsSegments('ж'.repeat(135)).segments).toBe(3);
  });

  it('switches the whole message for one character outside GSM-7', () => {
    expect(smsSegments(`${'a'.repeat(100)}ç`)).toEqual({ encoding: 'UCS-2', characters: 101, segments: 2 });
    expect(smsSegments('Straße `quoted`')).toMatchObject({ encoding: 'UCS-2' });
  });

  it('counts an emoji as two code units', () => {
    expect(smsSegments('Hi 👋')).toEqual({ encoding: 'UCS-2', characters: 5, segments: 1 });
    expect(smsSegments('👋'.repeat(35))).toEqual({ encoding: 'UCS-2', characters: 70, segments: 1 });
    expect(smsSegments('👋'.repeat(36))).toEqual({ encoding: 'UCS-2', characters: 72, segments: 2 });
  });

  it('never splits a surrogate pair between two parts', () => {
    // 66 code units, then an emoji that would straddle the end of the first part: 68 + 67 + 1 code units.
    const text = `${'ж'.repeat(66)}👋${'ж'.repeat(67)}`;
    expect(smsSegments(text)).toEqual({ encoding: 'UCS-2', characters: 135, segments: 3 });
  });
});

describe('smsSegments of nothing', () => {
  it('is one empty GSM-7 message', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', characters: 0, segments: 1 });
  });
});

describe('smsSegments, for any text', () => {
  it('needs enough segments for its characters, and no more than a part per character would give', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '€', 'ж', '👋', ' '), maxLength: 400 }), (text) => {
        const { encoding, characters, segments } = smsSegments(text);
        const [single, part] = encoding === 'GSM-7' ? [160, 153] : [70, 67];
        if (characters <= single) expect(segments).toBe(1);
        else {
          expect(segments).toBeGreaterThanOrEqual(Math.ceil(characters / part));
          // A part loses at most one unit to a character that does not fit.
          expect(segments).toBeLessThanOrEqual(Math.ceil(characters / (part - 1)));
        }
      }),
    );
  });
});
