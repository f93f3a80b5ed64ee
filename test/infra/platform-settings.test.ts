import { describe, expect, it } from 'vitest';
import { type PlatformConfig, validatePlatformSettings } from '../../lib/settings.js';
import config from '../../platform.config.js';

// biome-ignore lint/suspicious/noExplicitAny: the point is to write what the types would forbid
type Untyped = any;

const broken = (change: (raw: Untyped) => void) => {
  const raw: Untyped = structuredClone(config);
  change(raw);
  return () => validatePlatformSettings(raw);
};

describe('platform.config.ts', () => {
  it('is valid as shipped', () => {
    expect(() => validatePlatformSettings(structuredClone(config))).not.toThrow();
  });

  it('says where the environment went: it is the stage now, and the file it names the bad fields of', () => {
    expect(() => validatePlatformSettings({ ...config, environment: 'dev' }, 'platform.config.qa.ts')).toThrow(
      /platform\.config\.qa\.ts is invalid:\n {2}- environment: is now the stage: deploy with -c stage=<name>/,
    );
  });

  it('refuses a producer with a negative rate, naming the field', () => {
    expect(
      broken((raw) => {
        raw.producers[0].rateLimit = -1;
      }),
    ).toThrow(/producers\.0\.rateLimit: must be a positive number/);
  });

  it('refuses a frequency cap outside a minute to a year, and a schedule horizon outside 1 to 3,650 days, naming each', () => {
    expect(
      broken((raw) => {
        raw.categories.marketing.throttle = { limit: 3, windowSeconds: 30 };
      }),
    ).toThrow(/categories\.marketing\.throttle\.windowSeconds/);
    expect(
      broken((raw) => {
        raw.categories.marketing.throttle = { limit: 0, windowSeconds: 3600 };
      }),
    ).toThrow(/categories\.marketing\.throttle\.limit/);
    expect(
      broken((raw) => {
        raw.schedule = { maxDaysAhead: 0 };
      }),
    ).toThrow(/schedule\.maxDaysAhead/);
    const capped = validatePlatformSettings({
      ...structuredClone(config),
      categories: {
        ...config.categories,
        marketing: { ...config.categories.marketing, throttle: { limit: 3, windowSeconds: 7 * 86_400 } },
      },
    });
    expect(capped.categories.marketing?.throttle).toEqual({ limit: 3, windowSeconds: 7 * 86_400 });
  });

  it('refuses an unknown channel, naming it', () => {
    expect(
      broken((raw) => {
        raw.channels.fax = { batchSize: 10, batchingWindowSeconds: 0, maxConcurrency: 5 };
      }),
    ).toThrow(/channels\.fax: is not a known setting/);
  });

  it('refuses an unknown scope, a duplicate producer and a batch larger than SQS allows', () => {
    expect(
      broken((raw) => {
        raw.producers[0].scopes = ['everything'];
      }),
    ).toThrow(/producers\.0\.scopes\.0/);
    expect(
      broken((raw) => {
        raw.producers.push({ ...raw.producers[0] });
      }),
    ).toThrow(/producers: must not name a producer twice/);
    expect(
      broken((raw) => {
        raw.channels.sms.batchSize = 11;
      }),
    ).toThrow(/channels\.sms\.batchSize/);
  });

  it('names every problem at once', () => {
    expect(
      broken((raw) => {
        raw.email.sender = 'nobody';
        raw.alarms.oldestJobAgeSeconds = 0;
      }),
    ).toThrow(/email\.sender[\s\S]*alarms\.oldestJobAgeSeconds/);
  });

  it("refuses links' lifetimes where an old link would do more, or an unsubscribe that stops working within 30 days", () => {
    expect(
      broken((raw) => {
        raw.links = { changeAnythingForDays: 60, unsubscribeForDays: 45 };
      }),
    ).toThrow(/links\.changeAnythingForDays: must not be longer than unsubscribeForDays/);
    expect(
      broken((raw) => {
        raw.links = { changeAnythingForDays: 7, unsubscribeForDays: 29 };
      }),
    ).toThrow(/links\.unsubscribeForDays: must be at least 30 days \(CAN-SPAM\)/);
  });
});

// Mistakes an editor underlines as they are typed, since platform.config.ts `satisfies PlatformConfig`: each marked
// line must fail to typecheck (`npx tsc`, part of npm test, reports a @ts-expect-error that finds no error), and the
// same settings fail validation at synth.
const [producer] = config.producers;
const misspelledField = {
  ...config,
  // @ts-expect-error rateLimit, not ratelimit
  producers: [{ ...producer, ratelimit: 5 }],
} satisfies PlatformConfig;
const wrongType = {
  ...config,
  // @ts-expect-error a number of requests, not a string
  api: { ...config.api, rateLimit: '200' },
} satisfies PlatformConfig;
const unknownScope = {
  ...config,
  // @ts-expect-error no such scope
  producers: [{ ...producer, scopes: ['everything'] }],
} satisfies PlatformConfig;
const { alarms: _, ...withoutAlarms } = config;
// @ts-expect-error alarms is required
const missingBlock: PlatformConfig = withoutAlarms;

describe('PlatformConfig, the type platform.config.ts satisfies', () => {
  it('flags what validation refuses', () => {
    expect(() => validatePlatformSettings(misspelledField)).toThrow(/producers\.0\.ratelimit: is not a known setting/);
    expect(() => validatePlatformSettings(wrongType)).toThrow(/api\.rateLimit/);
    expect(() => validatePlatformSettings(unknownScope)).toThrow(/producers\.0\.scopes\.0/);
    expect(() => validatePlatformSettings(missingBlock)).toThrow(/alarms/);
  });
});
