import { z } from 'zod';
import type { ChannelDefinition } from '../channel-definition.js';
import { liquidSource } from '../liquid-source.js';

/** E.164: a plus, a country code that does not start with 0, at most 15 digits in all. */
export const e164PhoneNumberSchema = z
  .string()
  .regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 phone number such as +4915112345678');

/** What HELP is answered with when platform.config.ts says nothing. */
export const DEFAULT_HELP_TEXT =
  'Notifications from our service. Reply STOP to unsubscribe, START to subscribe again. Msg & data rates may apply.';

/** SMS through Twilio. */
export const smsChannel = {
  name: 'sms',
  templatePart: z.strictObject({ body: liquidSource(1_600) }),
  contact: { field: 'phone_number', schema: e164PhoneNumberSchema },
  quietByDefault: true,
  settings: z.strictObject({
    /** An existing secret {account_sid, auth_token, messaging_service_sid | from_number}; created empty when absent. */
    twilioSecretArn: z.string().startsWith('arn:').optional(),
    /**
     * The answer to HELP (or INFO) texted to the platform's number: who sends these texts and how to stop them.
     * Carriers require one; at most one segment of plain characters keeps it cheap.
     */
    helpText: z.string().min(1).max(160).default(DEFAULT_HELP_TEXT),
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
  /** The webhook's answer to HELP (the channel's helpText setting). */
  helpText: 'SMS_HELP_TEXT',
} as const;
