import { describe, expect, it } from 'vitest';
import { validatePlatformSettings } from '../../lib/settings.js';
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
    expect(validatePlatformSettings(structuredClone(config)).environment).toBe('dev');
  });

  it('refuses a producer with a negative rate, naming the field', () => {
    expect(
      broken((raw) => {
        raw.producers[0].rateLimit = -1;
      }),
    ).toThrow(/producers\.0\.rateLimit: must be a positive number/);
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
