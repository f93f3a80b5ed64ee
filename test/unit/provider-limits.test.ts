import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitPushMessage, MAX_PUSH_PAYLOAD_BYTES, pushPayloadBytes } from '../../lambdas/channels/push/payload.js';
import { MAX_SMS_BODY_CHARACTERS, smsBudgetProblem } from '../../lambdas/channels/sms/body-budget.js';
import { renderedProblems } from '../../lambdas/templates/rendered-problems.js';

const data = { notification_id: '6f1c2f4e-8a43-4c1e-9a43-2b6a1f0e9d11', type: 'order_shipped' };

describe('a push fitted to the 4 KB of APNs and FCM', () => {
  it('is left alone when it fits', () => {
    const message = { title: 'Shipped', body: 'Your order is on its way', data };

    expect(fitPushMessage(message)).toEqual({ message, shortened: false });
  });

  it('is shortened on a character boundary, ending in an ellipsis, within the budget on every platform', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        fc.integer({ min: 100, max: 600 }),
        (piece, times) => {
          const body = piece.repeat(times);
          const { message, shortened } = fitPushMessage({ title: 'Hi', body, data });
          expect(pushPayloadBytes(message)).toBeLessThanOrEqual(MAX_PUSH_PAYLOAD_BYTES);
          if (!shortened) {
            expect(message.body).toBe(body);
            return;
          }
          expect(message.body.endsWith('…')).toBe(true);
          // Cut between characters: what is left is the start of the body, no character split.
          const kept = message.body.slice(0, -1);
          expect(body.startsWith(kept)).toBe(true);
          const characters = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(body)];
          expect(characters.some(({ index }) => index === kept.length) || kept.length === 0).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('keeps an emoji with its modifiers whole', () => {
    const family = '👨‍👩‍👧‍👦';
    const { message } = fitPushMessage({ title: 'Hi', body: family.repeat(1_000), data });

    expect(message.body.slice(0, -1).length % family.length).toBe(0);
  });
});

describe('a text within Twilio’s 1,600 characters', () => {
  it('fits with its opt-out line, or says by how much it does not', () => {
    const line = 'Reply STOP to opt out.';

    expect(smsBudgetProblem('x'.repeat(MAX_SMS_BODY_CHARACTERS - line.length - 1), line)).toBeUndefined();
    expect(smsBudgetProblem('x'.repeat(MAX_SMS_BODY_CHARACTERS - line.length), line)).toMatch(
      /1578 characters, and with the opt-out line 1601/,
    );
    expect(smsBudgetProblem('🙂'.repeat(801), undefined)).toMatch(/1602 characters/);
  });
});

describe('a template refused when it is saved, for what every message would be', () => {
  it('names the SMS body that cannot take its opt-out line, and the push that would always be shortened', () => {
    const problems = renderedProblems(
      [
        { channel: 'sms', prefix: '', rendered: { body: 'x'.repeat(1_590) }, optOutLine: 'Reply STOP to opt out.' },
        { channel: 'sms', prefix: 'locales.de.', rendered: { body: 'kurz' }, optOutLine: 'Abmelden: STOP.' },
        { channel: 'push', prefix: 'locales.de.', rendered: { title: 't', body: 'ü'.repeat(2_100) } },
        { channel: 'email', prefix: '', rendered: { subject: 's', html: 'x'.repeat(200_000), text: '' } },
      ],
      'order_shipped',
    );

    expect(problems.map((problem) => problem.field)).toEqual(['sms.body', 'locales.de.push.body']);
    expect(problems[0]?.message).toMatch(/opt-out line.*even over an empty payload/);
  });
});
