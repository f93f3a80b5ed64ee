import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../../channels/registry.js';
import { CATEGORY_NAME } from '../domain/categories.js';
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
