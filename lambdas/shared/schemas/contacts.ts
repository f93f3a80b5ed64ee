import { CHANNEL_DEFINITIONS, CHANNELS, type ContactField } from '../../channels/registry.js';
import * as z from './zod.js';

export const localeSchema = z.string().check(
  z.refine(isLocale, { message: 'must be a BCP 47 language tag such as "de-DE"' }),
  // The common shape (language, script, region) for the description; any tag Intl reads is accepted.
  z.meta({ pattern: '^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$', examples: ['de-DE'] }),
);

/** Each channel's contact (e.g. email_address, phone_number) that has one, and the person's locale. */
export const contactsSchema = z.strictObject({
  ...(Object.fromEntries(
    CHANNELS.flatMap((channel) => {
      const definition = CHANNEL_DEFINITIONS[channel];
      return 'contact' in definition ? [[definition.contact.field, z.optional(definition.contact.schema)]] : [];
    }),
  ) as Record<ContactField, z.ZodMiniOptional<z.ZodMiniString>>),
  locale: z.optional(localeSchema),
});

export type Contacts = z.infer<typeof contactsSchema>;

/** The fields of the contacts document, in order. */
export const CONTACT_FIELDS = Object.keys(contactsSchema.shape) as (keyof Contacts)[];

function isLocale(value: string): boolean {
  if (value.length === 0 || value.length > 35) return false;
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
}
