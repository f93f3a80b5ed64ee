import { LANGUAGES, type Language } from '../../shared/domain/language.js';
import * as z from '../../shared/schemas/zod.js';
import type { ChannelDefinition } from '../channel-definition.js';
import { liquidSource } from '../liquid-source.js';

/** E.164: a plus, a country code that does not start with 0, at most 15 digits in all. */
export const e164PhoneNumberSchema = z
  .string()
  .check(z.regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 phone number such as +4915112345678'));

/** What HELP is answered with when platform.config.ts says nothing. */
export const DEFAULT_HELP_TEXT =
  'Notifications from our service. Reply STOP to unsubscribe, START to subscribe again. Msg & data rates may apply.';

/** The answer to HELP and the opt-out line, in English and in each translation. */
const helpText = z.string().check(z.minLength(1), z.maxLength(160));
const optOutLine = z.string().check(z.minLength(1), z.maxLength(60));

/** SMS through Twilio. */
export const smsChannel = {
  name: 'sms',
  templatePart: z.strictObject({ body: liquidSource(1_600) }),
  contact: { field: 'phone_number', schema: e164PhoneNumberSchema },
  quietByDefault: true,
  settings: z.strictObject({
    /** An existing secret {account_sid, auth_token, messaging_service_sid | from_number}; created empty when absent. */
    twilioSecretArn: z.optional(z.string().check(z.startsWith('arn:'))),
    /**
     * The answer to HELP (or INFO) texted to the platform's number: who sends these texts and how to stop them.
     * Carriers require one; at most one segment of plain characters keeps it cheap.
     */
    helpText: z._default(helpText, DEFAULT_HELP_TEXT),
    /**
     * A line a text of a category a person may leave ends with, e.g. "Reply STOP to opt out." (US carriers expect
     * one on marketing texts). None: texts end as their template does.
     */
    optOutLine: z.optional(optOutLine),
    /** The help text and opt-out line in the other languages the platform speaks, e.g. { de: { helpText: '...' } }. */
    translations: z._default(
      z.partialRecord(
        z.enum(LANGUAGES),
        z.strictObject({ helpText: z.optional(helpText), optOutLine: z.optional(optOutLine) }),
      ),
      {},
    ),
  }),
} as const satisfies ChannelDefinition<'sms'>;

/** What the SMS worker reads. */
export const SMS_VARIABLES = {
  /** Deployed: a Secrets Manager secret {account_sid, auth_token, messaging_service_sid?, from_number?}. */
  twilioSecretArn: 'TWILIO_SECRET_ARN',
  /** Local: the same values from the environment. */
  twilioAccountSid: 'TWILIO_ACCOUNT_SID',
  twilioAuthToken: 'TWILIO_AUTH_TOKEN',
  twilioMessagingServiceSid: 'TWILIO_MESSAGING_SERVICE_SID',
  twilioFromNumber: 'TWILIO_FROM_NUMBER',
  /** Where the Twilio client sends requests; the local Twilio-compatible server in tests and `npm start`. */
  twilioApiBaseUrl: 'TWILIO_API_BASE_URL',
  /** JSON SmsWording: the answer to HELP and the opt-out line, by language (the channel's settings). */
  wording: 'SMS_WORDING',
} as const;

/** What the platform itself says by text, by language: English always, others where the settings give them. */
export interface SmsWording {
  readonly helpText: Readonly<Partial<Record<Language, string>>> & { readonly en: string };
  readonly optOutLine: Readonly<Partial<Record<Language, string>>>;
}

export function smsWording(settings: z.output<typeof smsChannel.settings>): SmsWording {
  const translated = (field: 'helpText' | 'optOutLine') =>
    Object.fromEntries(
      Object.entries(settings.translations).flatMap(([language, words]) =>
        words?.[field] ? [[language, words[field]]] : [],
      ),
    );
  return {
    helpText: { ...translated('helpText'), en: settings.helpText },
    optOutLine: { ...translated('optOutLine'), ...(settings.optOutLine ? { en: settings.optOutLine } : {}) },
  };
}

/** The wording in a language, English where it has none. */
export function wordIn(words: Readonly<Partial<Record<Language, string>>>, language: Language): string | undefined {
  return words[language] ?? words.en;
}
