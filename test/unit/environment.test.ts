import { afterEach, describe, expect, it } from 'vitest';
import { MissingConfigurationError, numberEnv } from '../../lambdas/shared/platform/environment.js';

const NAME = 'TEST_NUMBER_SETTING';
afterEach(() => {
  delete process.env[NAME];
});

describe('numberEnv', () => {
  it('reads a number, and the fallback when the variable is unset', () => {
    expect(numberEnv(NAME, 30)).toBe(30);
    process.env[NAME] = '5';
    expect(numberEnv(NAME, 30)).toBe(5);
  });

  it('refuses a variable that is not a number instead of reading NaN', () => {
    process.env[NAME] = 'thirty';
    expect(() => numberEnv(NAME, 30)).toThrow(/TEST_NUMBER_SETTING is not a number: "thirty"/);
  });

  it('refuses a required variable that is unset', () => {
    expect(() => numberEnv(NAME)).toThrow(MissingConfigurationError);
  });
});
