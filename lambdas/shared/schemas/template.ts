import { z } from 'zod';
import { CHANNEL_DEFINITIONS, CHANNELS, type Channel } from '../../channels/registry.js';

type TemplateParts = { [Name in Channel]: z.ZodOptional<(typeof CHANNEL_DEFINITIONS)[Name]['templatePart']> };

/** A notification type's templates: Liquid over the notification's payload, one part per channel it uses. */
export const templateSchema = z
  .strictObject({
    critical: z.boolean().default(false),
    ...(Object.fromEntries(
      CHANNELS.map((channel) => [channel, CHANNEL_DEFINITIONS[channel].templatePart.optional()]),
    ) as TemplateParts),
  })
  .refine((template) => CHANNELS.some((channel) => template[channel] !== undefined), {
    message: `must have at least one of ${CHANNELS.join(', ')}`,
  })
  .meta({ anyOf: CHANNELS.map((channel) => ({ required: [channel] })) });

export type TemplateDocument = z.infer<typeof templateSchema>;
