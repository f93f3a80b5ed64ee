import type { ChannelDefinition } from '../../channels/channel-definition.js';
import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../../channels/registry.js';
import { CATEGORY_NAME } from '../domain/categories.js';
import { DEFAULT_QUIET_CHANNELS } from '../domain/preferences.js';
import { CLOCK_TIME, isClockTime, isValidTimeZone } from '../domain/quiet-hours.js';
import * as z from './zod.js';

const clockTime = z
  .string()
  .check(
    z.refine(isClockTime, { message: 'must be a time of day as "HH:MM" (00:00 to 23:59)' }),
    z.meta({ pattern: CLOCK_TIME.source, examples: ['22:00'] }),
  );

export const quietHoursSchema = z
  .strictObject({
    start: clockTime,
    end: clockTime,
    timezone: z
      .string()
      .check(
        z.refine(isValidTimeZone, { message: 'must be an IANA time zone such as "Europe/Berlin"' }),
        z.meta({ description: 'an IANA time zone, e.g. Europe/Berlin', examples: ['Europe/Berlin'] }),
      ),
    channels: z._default(
      z.array(z.enum(CHANNELS, { message: `must be one of ${CHANNELS.join(', ')}` })).check(
        z.minLength(1, 'must name at least one channel; set quiet_hours to null to turn quiet hours off'),
        z.refine((channels) => new Set(channels).size === channels.length, {
          message: 'must not name a channel twice',
        }),
        z.meta({ uniqueItems: true }),
      ),
      [...DEFAULT_QUIET_CHANNELS],
    ),
  })
  .check(
    z.refine((window) => window.start !== window.end, {
      message: 'must not start and end at the same time',
      path: ['end'],
    }),
    z.describe("a window of the day in the person's time zone; it may cross midnight, and must not start when it ends"),
  );

/** One category's choices: each channel on or off; a channel left out follows the category's default. */
const categoryChoicesSchema = z.strictObject(
  Object.fromEntries(CHANNELS.map((channel) => [channel, z.optional(z.boolean())])) as Record<
    Channel,
    z.ZodMiniOptional<z.ZodMiniBoolean>
  >,
);

/**
 * A master switch per channel (a PUT says each, unless its channel gives a default), quiet hours or null, and choices
 * per category (optional: a client that knows nothing of categories keeps working, and leaves them as they are).
 */
const categoryChoicesRecord = z.record(
  z.string().check(z.regex(CATEGORY_NAME, 'must be a category name (a-z 0-9 _, starting with a letter)')),
  categoryChoicesSchema,
);
const CATEGORIES_DESCRIPTION =
  'the person\'s choices per category, e.g. {"marketing": {"email": false}}; the installation\'s categories are in ' +
  'platform.config.ts, and a required one cannot be turned off. What the person turned off themselves (unsubscribed) ' +
  'stays off whatever a PUT says';
const unsubscribedSchema = z
  .array(z.string())
  .check(
    z.describe(
      'what the person turned off themselves, which no producer turns back on: a channel by texting STOP ("sms", until ' +
        'START), a category on a channel by an email\'s unsubscribe link or their preference page ("marketing/email", ' +
        'until they turn it on there)',
    ),
    z.meta({ readOnly: true }),
  );

export const preferencesSchema = z.strictObject({
  ...(Object.fromEntries(CHANNELS.map((channel) => [channel, channelSwitch(channel)])) as ChannelSwitches),
  quiet_hours: z.nullable(quietHoursSchema),
  categories: z
    .optional(categoryChoicesRecord)
    .check(z.describe(`${CATEGORIES_DESCRIPTION}. Left out of a PUT, they stay as they are`)),
  // What a GET answered may be PUT back as it is.
  unsubscribed: z.optional(unsubscribedSchema).check(z.describe('answered, never written: ignored in a PUT')),
});

/** The preferences as answered: the choices per category always, and what the person turned off themselves. */
export const storedPreferencesSchema = z.strictObject({
  ...preferencesSchema.shape,
  categories: categoryChoicesRecord.check(z.describe(CATEGORIES_DESCRIPTION)),
  unsubscribed: unsubscribedSchema,
});

type ChannelSwitches = {
  [Name in Channel]: (typeof CHANNEL_DEFINITIONS)[Name] extends { switchDefault: boolean }
    ? z.ZodMiniDefault<z.ZodMiniBoolean>
    : z.ZodMiniBoolean;
};

function channelSwitch(channel: Channel) {
  const definition: ChannelDefinition = CHANNEL_DEFINITIONS[channel];
  return definition.switchDefault === undefined ? z.boolean() : z._default(z.boolean(), definition.switchDefault);
}
