/** Where the SMS worker and the webhooks find Twilio's credentials, and the StatusCallback each text carries. */
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { ENV, optionalEnv, requiredEnv } from '../../shared/platform/environment.js';
import { OPERATIONS } from '../../shared/platform/operations.js';
import * as z from '../../shared/schemas/zod.js';
import { SMS_VARIABLES } from './channel.js';
import { NOTIFICATION_PARAMETER } from './feedback.js';

const twilioSettingsSchema = z
  .object({
    account_sid: z.string().check(z.minLength(1)),
    auth_token: z.string().check(z.minLength(1)),
    messaging_service_sid: z.optional(z.string().check(z.minLength(1))),
    from_number: z.optional(z.string().check(z.minLength(1))),
  })
  .check(
    z.refine((settings) => settings.messaging_service_sid || settings.from_number, {
      message: 'needs messaging_service_sid or from_number',
    }),
  );

export type TwilioSettings = z.infer<typeof twilioSettingsSchema> & {
  readonly api_base_url?: string;
  /** Where Twilio reports each text's status: the platform's webhook (none: no status callbacks). */
  readonly status_callback_url?: string;
};

/**
 * Deployed, the credentials live in Secrets Manager (TWILIO_SECRET_ARN), read once per instance and
 * cached by Powertools; locally and in tests, in the environment.
 */
export async function loadTwilioSettings(): Promise<TwilioSettings> {
  const secretArn = optionalEnv(SMS_VARIABLES.twilioSecretArn);
  const raw = secretArn
    ? await getSecret(secretArn, { transform: 'json', maxAge: 300 })
    : {
        account_sid: requiredEnv(SMS_VARIABLES.twilioAccountSid),
        auth_token: requiredEnv(SMS_VARIABLES.twilioAuthToken),
        messaging_service_sid: optionalEnv(SMS_VARIABLES.twilioMessagingServiceSid),
        from_number: optionalEnv(SMS_VARIABLES.twilioFromNumber),
      };
  const publicApiUrl = optionalEnv(ENV.publicApiUrl);
  return {
    ...twilioSettingsSchema.parse(raw),
    api_base_url: optionalEnv(SMS_VARIABLES.twilioApiBaseUrl),
    ...(publicApiUrl ? { status_callback_url: `${publicApiUrl}${OPERATIONS.twilioStatusCallback.path}` } : {}),
  };
}

/** The StatusCallback of one text: the webhook, naming its notification. Twilio signs exactly this URL. */
export function statusCallbackUrl(webhook: string, notificationId: string): string {
  return `${webhook}?${NOTIFICATION_PARAMETER}=${encodeURIComponent(notificationId)}`;
}
