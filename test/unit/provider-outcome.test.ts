import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { movesForward, PROVIDER_OUTCOMES, statusesBefore } from '../../lambdas/shared/domain/provider-outcome.js';

describe('provider outcomes', () => {
  it('move a sent message forward, and never back', () => {
    expect(movesForward('sent', 'delivered')).toBe(true);
    expect(movesForward('delivered', 'bounced')).toBe(true);
    expect(movesForward('delivered', 'complained')).toBe(true);
    expect(movesForward('bounced', 'delivered')).toBe(false);
    expect(movesForward('delivered', 'delayed')).toBe(false);
    expect(movesForward('complained', 'bounced')).toBe(false);
  });

  it('change nothing the second time', () => {
    for (const outcome of PROVIDER_OUTCOMES) expect(movesForward(outcome, outcome)).toBe(false);
  });

  it('never move a channel the worker ended without sending, or a status it does not know', () => {
    for (const outcome of PROVIDER_OUTCOMES) {
      expect(movesForward('skipped', outcome)).toBe(false);
      expect(movesForward('failed', outcome)).toBe(false);
      expect(movesForward('something-new', outcome)).toBe(false);
    }
  });

  it('may arrive before the worker recorded the send (the provider is faster than the status write)', () => {
    expect(movesForward(undefined, 'delivered')).toBe(true);
    expect(movesForward('sending', 'bounced')).toBe(true);
  });

  it('end in the same status whatever order the events arrive in', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PROVIDER_OUTCOMES), { minLength: 1, maxLength: 8 }), (events) => {
        const apply = (order: readonly (typeof PROVIDER_OUTCOMES)[number][]) =>
          order.reduce<string>((status, event) => (movesForward(status, event) ? event : status), 'sent');
        const forward = apply(events);
        const backward = apply([...events].reverse());
        // Equal ranks (bounced, rejected, undelivered) keep the first that came; the rank reached is the same.
        expect(statusesBefore(forward as (typeof PROVIDER_OUTCOMES)[number])).toEqual(
          statusesBefore(backward as (typeof PROVIDER_OUTCOMES)[number]),
        );
      }),
    );
  });

  it('name, for a conditional write, exactly the statuses an outcome may replace', () => {
    expect(statusesBefore('delivered').sort()).toEqual(['deferred', 'delayed', 'queued', 'sending', 'sent']);
    expect(statusesBefore('complained')).not.toContain('skipped');
  });
});
