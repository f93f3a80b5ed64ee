import { z } from 'zod';
import { CHANNELS, type Channel } from '../../channels/registry.js';
import { DEFAULT_QUIET_CHANNELS } from '../domain/preferences.js';
import { isClockTime, isValidTimeZone } from '../domain/quiet-hours.js';

const clockTime = z.string().refine(isClockTime, { message: 'must be a time of day as "HH:MM" (00:00 to 23:59)' });

export const quietHoursSchema = z
  .strictObject({
    start: clockTime,
    end: clockTime,
    timezone: z.string().refine(isValidTimeZone, { message: 'must be an IANA time zone such as "Europe/Berlin"' }),
    channels: z
      .array(z.enum(CHANNELS, { message: `must be one of ${CHANNELS.join(', ')}` }))
      .min(1, 'must name at least one channel; set quiet_hours to null to turn quiet hours off')
      .refine((channels) => new Set(channels).size === channels.length, { message: 'must not name a channel twice' })
      .default([...DEFAULT_QUIET_CHANNELS]),
  })
  .refine((window) => window.start !== window.end, {
    message: 'must not start and end at the same time',
    path: ['end'],
  });

/** A switch per channel (each required: a PUT says all of it), and quiet hours or null. */
export const preferencesSchema = z.strictObject({
  ...(Object.fromEntries(CHANNELS.map((channel) => [channel, z.boolean()])) as Record<Channel, z.ZodBoolean>),
  quiet_hours: quietHoursSchema.nullable(),
});
