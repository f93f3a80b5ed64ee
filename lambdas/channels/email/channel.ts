import * as z from '../../shared/schemas/zod.js';
import type { ChannelDefinition } from '../channel-definition.js';
import { liquidSource } from '../liquid-source.js';

/** Email through Amazon SES. */
export const emailChannel = {
  name: 'email',
  templatePart: z.strictObject({ subject: liquidSource(998), body: liquidSource(100_000) }),
  contact: {
    field: 'email_address',
    schema: z.email({ message: 'must be an email address' }).check(z.maxLength(254, 'must be at most 254 characters')),
  },
  quietByDefault: false,
  settings: z.strictObject({
    /** A verified SES identity (address or domain) to send from. */
    sender: z.email({ message: 'must be an email address verified in SES' }),
    configurationSet: z.optional(z.string().check(z.minLength(1))),
    /**
     * An address that takes unsubscribe requests by mail, offered in List-Unsubscribe beside the one-click URL (your
     * own mailbox or an SES receipt rule); the URL alone is what Gmail and Yahoo require.
     */
    unsubscribeMailto: z.optional(z.email()),
  }),
} as const satisfies ChannelDefinition<'email'>;

/** What the email worker reads. */
export const EMAIL_VARIABLES = {
  sender: 'SES_SENDER',
  configurationSet: 'SES_CONFIGURATION_SET',
  unsubscribeMailto: 'EMAIL_UNSUBSCRIBE_MAILTO',
} as const;
