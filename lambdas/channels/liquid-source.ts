import { z } from 'zod';

/** A field of a template: Liquid source, not empty, at most `max` characters. */
export function liquidSource(max: number) {
  return z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
}
