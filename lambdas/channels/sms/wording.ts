import * as z from '../../shared/schemas/zod.js';
import { DEFAULT_HELP_TEXT, SMS_VARIABLES, type SmsWording } from './channel.js';

const wordingSchema = z.object({
  helpText: z.catchall(z.object({ en: z.string() }), z.string()),
  optOutLine: z.record(z.string(), z.string()),
});

let wording: SmsWording | undefined;

/** What the platform says by text (SMS_WORDING, from the channel's settings); read once per function instance. */
export function smsWordingFromEnv(): SmsWording {
  const raw = process.env[SMS_VARIABLES.wording];
  wording ??= raw
    ? (wordingSchema.parse(JSON.parse(raw)) as SmsWording)
    : { helpText: { en: DEFAULT_HELP_TEXT }, optOutLine: {} };
  return wording;
}
