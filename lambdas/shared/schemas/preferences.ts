import { z } from 'zod';
import type { ChannelDefinition } from '../../channels/channel-definition.js';
import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../../channels/registry.js';
import { CATEGORY_NAME } from '../domain/categories.js';
import { DEFAULT_QUIET_CHANNELS } from '../domain/preferences.js';
import { CLOCK_TIME, isClockTime, isValidTimeZone } from '../domain/quiet-hours.js';

const clockTime = z
  .string()
  .refine(isClockTime, { message: 'must be a time of day as "HH:MM" (00:00 to 23:59)' })
  .meta({ pattern: CLOCK_TIME.source, examples: ['22:00'] });

export const quietHoursSchema = z
  .strictObject({
    start: clockTime,
    end: clockTime,
    timezone: z
      .string()
      .refine(isValidTimeZone, { message: 'must be an IANA time zone such as "Europe/Berlin"' })
      .meta({ description: 'an IANA time zone, e.g. Europe/Berlin', examples: ['Europe/Berlin'] }),
    channels: z
      .array(z.enum(CHANNELS, { message: `must be one of ${CHANNELS.join(', ')}` }))
      .min(1, 'must name at least one channel; set quiet_hours to null to turn quiet hours off')
      .refine((channels) => new Set(channels).size === channels.length, { message: 'must not name a channel twice' })
      .meta({ uniqueItems: true })
      .default([...DEFAULT_QUIET_CHANNELS]),
  })
  .refine((window) => window.start !== window.end, {
    message: 'must not start and end at the same time',
    path: ['end'],
  })
  .meta({
    description:
      "a window of the day in the person's time zone; it may cross midnight, and must not start when it ends",
  });

/** One category's choices: each channel on or off; a channel left out follows the category's default. */
const categoryChoicesSchema = z.strictObject(
  Object.fromEntries(CHANNELS.map((channel) => [channel, z.boolean().optional()])) as Record<
    Channel,
    z.ZodOptional<z.ZodBoolean>
  >,
);

/**
 * A master switch per channel (a PUT says each, unless its channel gives a default), quiet hours or null, and choices
 * per category (optional: a client that knows nothing of categories keeps working).
 */
export const preferencesSchema = z.strictObject({
  ...(Object.fromEntries(CHANNELS.map((channel) => [channel, channelSwitch(channel)])) as ChannelSwitches),
  quiet_hours: quietHoursSchema.nullable(),
  categories: z
    .record(
      z.string().regex(CATEGORY_NAME, 'must be a category name (a-z 0-9 _, starting with a letter)'),
      categoryChoicesSchema,
    )
    .default({})
    .meta({
      description:
        'the person\'s choices per category, e.g. {"marketing": {"email": false}}; the installation\'s categories ' +
        'are in platform.config.ts, and a required one cannot be turned off',
    }),
});

type ChannelSwitches = {
  [Name in Channel]: (typeof CHANNEL_DEFINITIONS)[Name] extends { switchDefault: boolean }
    ? z.ZodDefault<z.ZodBoolean>
    : z.ZodBoolean;
};

function channelSwitch(channel: Channel) {
  const definition: ChannelDefinition = CHANNEL_DEFINITIONS[channel];
  return definition.switchDefault === undefined ? z.boolean() : z.boolean().default(definition.switchDefault);
}
