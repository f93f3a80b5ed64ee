import { z } from 'zod';

/** E.164: a plus, a country code that does not start with 0, at most 15 digits in all. */
export const e164PhoneNumberSchema = z
  .string()
  .regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 phone number such as +4915112345678');

export const localeSchema = z.string().refine(isLocale, { message: 'must be a BCP 47 language tag such as "de-DE"' });

export const contactsSchema = z.strictObject({
  email_address: z.email({ message: 'must be an email address' }).max(254, 'must be at most 254 characters').optional(),
  phone_number: e164PhoneNumberSchema.optional(),
  locale: localeSchema.optional(),
});

export type Contacts = z.infer<typeof contactsSchema>;

function isLocale(value: string): boolean {
  if (value.length === 0 || value.length > 35) return false;
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
}
