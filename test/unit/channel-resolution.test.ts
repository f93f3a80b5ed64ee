import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHANNELS, type Channel } from '../../lambdas/channels/registry.js';
import {
  type ChannelResolutionInput,
  notificationStatus,
  resolveChannels,
  withSuppressions,
} from '../../lambdas/shared/domain/channel-resolution.js';
import {
  DEFAULT_PREFERENCES,
  DEFAULT_QUIET_CHANNELS,
  type Preferences,
} from '../../lambdas/shared/domain/preferences.js';
import { SHIPPED_CATEGORIES } from '../support/categories.js';

// 23:30 in Berlin, inside the night window below, which ends at 05:00Z.
const night = new Date('2026-06-10T21:30:00Z');
const quietAtNight: Preferences = {
  ...DEFAULT_PREFERENCES,
  quiet_hours: { start: '22:00', end: '07:00', timezone: 'Europe/Berlin', channels: DEFAULT_QUIET_CHANNELS },
};
const reachable = {
  contacts: { email_address: 'ada@example.com', phone_number: '+4915112345678' },
  deviceCount: 2,
};

// The rules below are shown on the first three channels; a channel added later changes none of these answers.
const THREE: readonly Channel[] = ['email', 'sms', 'push'];

const arbitraryInput = (() => {
  const channels = fc.subarray([...CHANNELS]);
  return fc.record({
    requested: fc.option(channels, { nil: undefined }),
    templateChannels: channels,
    critical: fc.boolean(),
    category: fc.constantFrom(...Object.keys(SHIPPED_CATEGORIES.categories), 'removed_since'),
    catalogue: fc.constant(SHIPPED_CATEGORIES),
    unsubscribed: fc
      .subarray([
        ...CHANNELS,
        ...CHANNELS.flatMap((channel) =>
          Object.keys(SHIPPED_CATEGORIES.categories).map((name) => `${name}/${channel}`),
        ),
      ])
      .map((keys) => new Set(keys)),
    preferences: fc.record({
      ...(Object.fromEntries(CHANNELS.map((channel) => [channel, fc.boolean()])) as Record<
        Channel,
        fc.Arbitrary<boolean>
      >),
      quiet_hours: fc.option(
        fc.record({
          start: fc.constantFrom('00:00', '07:00', '22:00'),
          end: fc.constantFrom('00:00', '07:00', '22:00'),
          timezone: fc.constantFrom('Europe/Berlin', 'Asia/Kolkata'),
          channels,
        }),
        { nil: null },
      ),
      categories: fc.dictionary(
        fc.constantFrom(...Object.keys(SHIPPED_CATEGORIES.categories)),
        fc.record(
          Object.fromEntries(CHANNELS.map((channel) => [channel, fc.boolean()])) as Record<
            Channel,
            fc.Arbitrary<boolean>
          >,
          { requiredKeys: [] },
        ),
      ),
    }),
    reachability: fc.record({
      contacts: fc.record({
        email_address: fc.option(fc.constant('ada@example.com'), { nil: undefined }),
        phone_number: fc.option(fc.constant('+4915112345678'), { nil: undefined }),
      }),
      deviceCount: fc.nat(3),
    }),
    now: fc.date({
      min: new Date('2025-01-01T00:00:00Z'),
      max: new Date('2028-12-31T23:59:59Z'),
      noInvalidDate: true,
    }),
  });
})();

function input(overrides: Partial<ChannelResolutionInput> = {}): ChannelResolutionInput {
  return {
    templateChannels: THREE,
    critical: false,
    category: 'orders',
    catalogue: SHIPPED_CATEGORIES,
    unsubscribed: new Set(),
    preferences: DEFAULT_PREFERENCES,
    reachability: reachable,
    now: night,
    ...overrides,
  };
}

describe('resolveChannels', () => {
  it('queues every template channel for a reachable user with no preferences', () => {
    expect(resolveChannels(input())).toEqual({
      email: { status: 'queued' },
      sms: { status: 'queued' },
      push: { status: 'queued' },
    });
  });

  it('skips a requested channel the template does not have', () => {
    const decisions = resolveChannels(input({ requested: ['email', 'sms'], templateChannels: ['email'] }));

    expect(decisions).toEqual({
      email: { status: 'queued' },
      sms: { status: 'skipped', reason: 'not_in_template' },
    });
  });

  it('considers only the requested channels, in the usual channel order', () => {
    const decisions = resolveChannels(input({ requested: ['push', 'email'] }));

    expect(Object.keys(decisions)).toEqual(['email', 'push']);
  });

  it('skips a channel the user turned off', () => {
    const decisions = resolveChannels(input({ preferences: { ...DEFAULT_PREFERENCES, sms: false } }));

    expect(decisions.sms).toEqual({ status: 'skipped', reason: 'opted_out' });
    expect(decisions.email).toEqual({ status: 'queued' });
  });

  it('skips a channel with no address, number or device', () => {
    const decisions = resolveChannels(
      input({ reachability: { contacts: { email_address: 'ada@example.com' }, deviceCount: 0 } }),
    );

    expect(decisions).toEqual({
      email: { status: 'queued' },
      sms: { status: 'skipped', reason: 'no_contact' },
      push: { status: 'skipped', reason: 'no_contact' },
    });
  });

  it('defers the quiet channels to the end of quiet hours and sends email, which the default leaves out', () => {
    const decisions = resolveChannels(input({ preferences: quietAtNight }));

    expect(decisions).toEqual({
      email: { status: 'queued' },
      sms: { status: 'deferred', notBefore: new Date('2026-06-11T05:00:00Z') },
      push: { status: 'deferred', notBefore: new Date('2026-06-11T05:00:00Z') },
    });
  });

  it('queues everything outside quiet hours', () => {
    const decisions = resolveChannels(input({ preferences: quietAtNight, now: new Date('2026-06-10T12:00:00Z') }));

    expect(Object.values(decisions)).toEqual([{ status: 'queued' }, { status: 'queued' }, { status: 'queued' }]);
  });

  it('lets a critical message through quiet hours, but not past an opt-out', () => {
    // Prepare
    const preferences = { ...quietAtNight, push: false };

    // Act
    const decisions = resolveChannels(input({ preferences, critical: true }));

    // Assess
    expect(decisions).toEqual({
      email: { status: 'queued' },
      sms: { status: 'queued' },
      push: { status: 'skipped', reason: 'opted_out' },
    });
  });

  it('reports the first rule that applies', () => {
    // Prepare: sms is outside the template, turned off and unreachable; push is turned off and unreachable
    const preferences = { ...quietAtNight, sms: false, push: false };

    // Act
    const decisions = resolveChannels(
      input({
        requested: THREE,
        templateChannels: ['email', 'push'],
        preferences,
        reachability: { contacts: {}, deviceCount: 0 },
      }),
    );

    // Assess
    expect(decisions).toEqual({
      email: { status: 'skipped', reason: 'no_contact' },
      sms: { status: 'skipped', reason: 'not_in_template' },
      push: { status: 'skipped', reason: 'opted_out' },
    });
  });

  it('skips an unreachable channel rather than deferring it', () => {
    const decisions = resolveChannels(
      input({ preferences: quietAtNight, reachability: { contacts: {}, deviceCount: 0 } }),
    );

    expect(decisions.push).toEqual({ status: 'skipped', reason: 'no_contact' });
  });

  it('never sends on a channel the user turned off or the template lacks', () => {
    fc.assert(
      fc.property(arbitraryInput, (resolution) => {
        const decisions = resolveChannels(resolution);

        for (const [channel, decision] of Object.entries(decisions) as [Channel, { status: string }][]) {
          if (decision.status === 'skipped') continue;
          expect(resolution.preferences[channel]).toBe(true);
          expect(resolution.templateChannels).toContain(channel);
          expect(resolution.unsubscribed.has(channel)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never skips a required category for the person's category choices", () => {
    fc.assert(
      fc.property(arbitraryInput, (resolution) => {
        const decisions = resolveChannels({ ...resolution, category: 'security' });

        for (const decision of Object.values(decisions))
          expect(decision).not.toMatchObject({ reason: 'category_opted_out' });
      }),
      { numRuns: 500 },
    );
  });

  it('never sends a category the person turned off, or unsubscribed from, on that channel', () => {
    fc.assert(
      fc.property(arbitraryInput, (resolution) => {
        const decisions = resolveChannels(resolution);
        const required = SHIPPED_CATEGORIES.categories[resolution.category]?.required === true;

        for (const [channel, decision] of Object.entries(decisions) as [Channel, { status: string }][]) {
          const turnedOff = !required && resolution.preferences.categories[resolution.category]?.[channel] === false;
          const unsubscribed = resolution.unsubscribed.has(`${resolution.category}/${channel}`);
          if (turnedOff || unsubscribed) expect(decision.status).toBe('skipped');
        }
      }),
      { numRuns: 500 },
    );
  });

  it("follows the category's default until the person chooses: marketing texts wait for a yes", () => {
    const marketing = input({ category: 'marketing' });

    expect(resolveChannels(marketing)).toEqual({
      email: { status: 'queued' },
      sms: { status: 'skipped', reason: 'category_opted_out' },
      push: { status: 'skipped', reason: 'category_opted_out' },
    });
    const yes = { ...DEFAULT_PREFERENCES, categories: { marketing: { sms: true } } };
    expect(resolveChannels({ ...marketing, preferences: yes }).sms).toEqual({ status: 'queued' });
  });

  it('says why: unsubscribed (STOP, a link) before opted out before the category', () => {
    const off = { ...DEFAULT_PREFERENCES, sms: false, categories: { orders: { email: false } } };

    expect(resolveChannels(input({ preferences: off, unsubscribed: new Set(['sms', 'orders/push']) }))).toEqual({
      email: { status: 'skipped', reason: 'category_opted_out' },
      sms: { status: 'skipped', reason: 'unsubscribed' },
      push: { status: 'skipped', reason: 'unsubscribed' },
    });
  });

  it('lets a critical security message through every category choice, but not through a master switch or a STOP', () => {
    const everythingOff = {
      ...DEFAULT_PREFERENCES,
      email: false,
      categories: { security: { sms: false, push: false } },
    };

    expect(
      resolveChannels(
        input({ critical: true, category: 'security', preferences: everythingOff, unsubscribed: new Set(['push']) }),
      ),
    ).toEqual({
      email: { status: 'skipped', reason: 'opted_out' },
      sms: { status: 'queued' },
      push: { status: 'skipped', reason: 'unsubscribed' },
    });
  });
});

describe('notificationStatus', () => {
  it('is queued when any channel is queued or deferred', () => {
    expect(notificationStatus({ email: { status: 'queued' }, sms: { status: 'skipped', reason: 'no_contact' } })).toBe(
      'queued',
    );
    expect(notificationStatus({ push: { status: 'deferred', notBefore: night } })).toBe('queued');
  });

  it('is suppressed when every channel is skipped, or none was considered', () => {
    expect(
      notificationStatus({
        email: { status: 'skipped', reason: 'opted_out' },
        sms: { status: 'skipped', reason: 'no_contact' },
      }),
    ).toBe('suppressed');
    expect(notificationStatus({})).toBe('suppressed');
  });
});

describe('withSuppressions', () => {
  it('skips a channel to be sent on whose address is suppressed, critical or not, and leaves the rest', () => {
    const decisions = resolveChannels(input({ critical: true }));

    expect(withSuppressions(decisions, new Set(['sms']))).toEqual({
      email: { status: 'queued' },
      sms: { status: 'skipped', reason: 'suppressed' },
      push: { status: 'queued' },
    });
  });

  it('keeps the reason of a channel skipped already', () => {
    const decisions = resolveChannels(input({ preferences: { ...DEFAULT_PREFERENCES, sms: false } }));

    expect(withSuppressions(decisions, new Set(['sms'])).sms).toEqual({ status: 'skipped', reason: 'opted_out' });
  });
});
