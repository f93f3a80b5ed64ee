/** Where the SMS worker and the webhooks find Twilio's credentials, and the StatusCallback each text carries. */
import { ENV, optionalEnv, requiredEnv } from '../../shared/platform/environment.js';
import { OPERATIONS } from '../../shared/platform/operations.js';
import { RotatingSecret } from '../../shared/platform/rotating-secret.js';
import * as z from '../../shared/schemas/zod.js';
import { SMS_VARIABLES } from './channel.js';
import { NOTIFICATION_PARAMETER } from './feedback.js';

const twilioCredentialsSchema = z
  .object({
    account_sid: z.string().check(z.minLength(1)),
    auth_token: z.string().check(z.minLength(1)),
    /**
     * The auth token before the current one, while Twilio's rotation is under way: webhooks signed with it are still
     * accepted (a callback Twilio signed before it promoted the new token). Remove it once the rotation is done.
     */
    previous_auth_token: z.optional(z.string().check(z.minLength(1))),
    messaging_service_sid: z.optional(z.string().check(z.minLength(1))),
    from_number: z.optional(z.string().check(z.minLength(1))),
  })
  .check(
    z.refine((settings) => settings.messaging_service_sid || settings.from_number, {
      message: 'needs messaging_service_sid or from_number',
    }),
  );

export type TwilioSettings = z.infer<typeof twilioCredentialsSchema> & {
  readonly api_base_url?: string;
  /** Where Twilio reports each text's status: the platform's webhook (none: no status callbacks). */
  readonly status_callback_url?: string;
};

/**
 * Deployed, the credentials live in Secrets Manager (TWILIO_SECRET_ARN): read through a five-minute cache, and again at
 * once when Twilio refuses them (20003) or a webhook's signature matches none of the tokens held, so that a rotated
 * token reaches every instance without a restart. Locally and in tests, they are in the environment.
 */
export const twilioCredentials = new RotatingSecret(
  {
    arnVariable: SMS_VARIABLES.twilioSecretArn,
    fallback: () => ({
      account_sid: requiredEnv(SMS_VARIABLES.twilioAccountSid),
      auth_token: requiredEnv(SMS_VARIABLES.twilioAuthToken),
      messaging_service_sid: optionalEnv(SMS_VARIABLES.twilioMessagingServiceSid),
      from_number: optionalEnv(SMS_VARIABLES.twilioFromNumber),
    }),
  },
  (raw): TwilioSettings => {
    const publicApiUrl = optionalEnv(ENV.publicApiUrl);
    return {
      ...twilioCredentialsSchema.parse(raw),
      api_base_url: optionalEnv(SMS_VARIABLES.twilioApiBaseUrl),
      ...(publicApiUrl ? { status_callback_url: `${publicApiUrl}${OPERATIONS.twilioStatusCallback.path}` } : {}),
    };
  },
);

export function loadTwilioSettings(): Promise<TwilioSettings> {
  return twilioCredentials.value();
}

/** The credentials read afresh after Twilio refused them; undefined when there is nothing new to try. */
export function reloadTwilioSettings(): Promise<TwilioSettings | undefined> {
  return twilioCredentials.reread();
}

/** The tokens a webhook's signature may be made with: the current one, and the previous one during a rotation. */
export function signingTokens(settings: TwilioSettings): string[] {
  return [settings.auth_token, ...(settings.previous_auth_token ? [settings.previous_auth_token] : [])];
}

/** The StatusCallback of one text: the webhook, naming its notification. Twilio signs exactly this URL. */
export function statusCallbackUrl(webhook: string, notificationId: string): string {
  return `${webhook}?${NOTIFICATION_PARAMETER}=${encodeURIComponent(notificationId)}`;
}
