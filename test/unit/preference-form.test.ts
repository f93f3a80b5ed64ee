import { describe, expect, it } from 'vitest';
import { readPreferenceForm } from '../../lambdas/consent/page-form.js';
import { DEFAULT_PREFERENCES } from '../../lambdas/shared/domain/preferences.js';
import { SHIPPED_CATEGORIES } from '../support/categories.js';

// Shipped: security (required), orders, marketing (texts and pushes off until the person says yes).
const current = {
  preferences: {
    ...DEFAULT_PREFERENCES,
    quiet_hours: { start: '22:00', end: '07:00', timezone: 'UTC', channels: ['sms' as const] },
  },
  ownWord: new Set(['marketing/email']),
};
const everything = {
  'orders.email': 'on',
  'orders.sms': 'on',
  'orders.push': 'on',
  'marketing.email': 'on',
  'marketing.sms': 'on',
  'security.email': 'on',
  quiet: 'on',
  quiet_start: '21:00',
  quiet_end: '06:00',
  quiet_timezone: 'Europe/Berlin',
};

describe('the preference form', () => {
  it('reads every box of every category the person may leave as their own word: ticked on, left off', () => {
    const reading = readPreferenceForm(everything, current, SHIPPED_CATEGORIES, true);

    if ('problem' in reading) throw new Error(reading.problem);
    expect(reading.preferences.categories).toEqual({
      orders: { email: true, sms: true, push: true },
      marketing: { email: true, sms: true, push: false },
    });
    expect(reading.change).toEqual({
      on: ['orders/email', 'orders/sms', 'orders/push', 'marketing/email', 'marketing/sms'],
      off: ['marketing/push'],
    });
    expect(reading.preferences.quiet_hours).toEqual({
      start: '21:00',
      end: '06:00',
      timezone: 'Europe/Berlin',
      channels: ['sms'],
    });
  });

  it('lets an old link turn things off but never back on, and leaves quiet hours as they are', () => {
    const { 'orders.sms': _unticked, ...form } = everything;
    const reading = readPreferenceForm(form, current, SHIPPED_CATEGORIES, false);

    if ('problem' in reading) throw new Error(reading.problem);
    // marketing email (unsubscribed) and marketing sms (off by default) stay off though ticked; orders sms goes off.
    expect(reading.preferences.categories).toEqual({
      orders: { email: true, sms: false, push: true },
      marketing: { email: false, sms: false, push: false },
    });
    expect(reading.change.off).toEqual(['orders/sms', 'marketing/email', 'marketing/sms', 'marketing/push']);
    expect(reading.preferences.quiet_hours).toEqual(current.preferences.quiet_hours);
  });

  it('names a bad time or time zone, for a link that may change them', () => {
    expect(
      readPreferenceForm({ quiet: 'on', quiet_start: '25:00', quiet_end: '06:00' }, current, SHIPPED_CATEGORIES, true),
    ).toEqual({ problem: 'bad_time' });
    expect(
      readPreferenceForm(
        { quiet: 'on', quiet_start: '22:00', quiet_end: '06:00', quiet_timezone: 'Mars/Base' },
        current,
        SHIPPED_CATEGORIES,
        true,
      ),
    ).toEqual({ problem: 'bad_time_zone' });
  });
});
