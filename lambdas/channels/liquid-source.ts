import * as z from '../shared/schemas/zod.js';

/** A field of a template: Liquid source, not empty, at most `max` characters. */
export function liquidSource(max: number) {
  return z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(max, `must be at most ${max} characters`));
}
