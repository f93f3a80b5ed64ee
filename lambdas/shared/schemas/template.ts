import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../../channels/registry.js';
import { CATEGORY_NAME } from '../domain/categories.js';
import { DIGEST_MAX_ITEMS, DIGEST_WINDOW_SECONDS } from '../domain/digest.js';
import { CAP_WINDOW_SECONDS } from '../domain/frequency-caps.js';
import { LOCALE_TAG } from '../domain/locale.js';
import * as z from './zod.js';

type TemplateParts = { [Name in Channel]: z.ZodMiniOptional<(typeof CHANNEL_DEFINITIONS)[Name]['templatePart']> };

/** Each channel's part of a template, optional. */
const templateParts = () =>
  Object.fromEntries(
    CHANNELS.map((channel) => [channel, z.optional(CHANNEL_DEFINITIONS[channel].templatePart)]),
  ) as TemplateParts;

/** A notification type's templates: Liquid over the notification's payload, one part per channel it uses. */
export const templateSchema = z
  .strictObject({
    critical: z._default(z.boolean(), false),
    category: z
      .optional(z.string().check(z.regex(CATEGORY_NAME, 'must be a category name (a-z 0-9 _, starting with a letter)')))
      .check(
        z.describe(
          "what the type is about, one of the installation's categories (platform.config.ts); a critical type must " +
            'belong to a required one. Left out: the first required category for a critical type, the default otherwise',
        ),
      ),
    throttle: z
      .optional(
        z.strictObject({
          limit: z.int().check(z.gte(1), z.lte(10_000)),
          window_seconds: z.int().check(z.gte(CAP_WINDOW_SECONDS.min), z.lte(CAP_WINDOW_SECONDS.max)),
        }),
      )
      .check(
        z.describe(
          'a frequency cap: at most limit messages of this type in any window_seconds (60 to 31,622,400), per person ' +
            'and channel; over it the channel is skipped as throttled. Not for a critical type or a required category',
        ),
      ),
    digest: z
      .optional(
        z.strictObject({
          window_seconds: z.int().check(z.gte(DIGEST_WINDOW_SECONDS.min), z.lte(DIGEST_WINDOW_SECONDS.max)),
          max_items: z.int().check(z.gte(DIGEST_MAX_ITEMS.min), z.lte(DIGEST_MAX_ITEMS.max)),
          key: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_]{1,64}$/, 'must be the name of a payload field'))),
        }),
      )
      .check(
        z.describe(
          "notifications of this type for one person (and one value of the payload's key field) within window_seconds " +
            '(60 to 86,400) go as one message per channel, rendered with items (each payload, oldest first) and count; ' +
            'at max_items (2 to 100) it goes at once. Not for a critical type or a required category',
        ),
      ),
    ...templateParts(),
    locales: z
      .optional(
        z.record(
          z.string().check(z.regex(LOCALE_TAG, 'must be a language tag such as "de" or "pt-BR"')),
          z.strictObject(templateParts()),
        ),
      )
      .check(
        z.describe(
          'the content in other languages, by language tag: {"de": {"email": {...}}, "pt-BR": {...}}; each may give ' +
            "any of the default's channels. A person gets their locale's (de-AT), else its language's (de), else the default",
        ),
      ),
  })
  .check(
    z.refine((template) => CHANNELS.some((channel) => template[channel] !== undefined), {
      message: `must have at least one of ${CHANNELS.join(', ')}`,
    }),
    z.meta({ anyOf: CHANNELS.map((channel) => ({ required: [channel] })) }),
  );

export type TemplateDocument = z.infer<typeof templateSchema>;
