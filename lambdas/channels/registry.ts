/**
 * The channels, once. Adding one is a folder beside these (see CONTRIBUTING.md), its entry here and its block in
 * platform.config.ts; the domain, the schemas, the stack, the local platform, the outbox and the fault drill
 * iterate over this list.
 */
import { emailChannel } from './email/channel.js';
import { pushChannel } from './push/channel.js';
import { smsChannel } from './sms/channel.js';

export const CHANNEL_DEFINITIONS = {
  email: emailChannel,
  sms: smsChannel,
  push: pushChannel,
} as const;

export type Channel = keyof typeof CHANNEL_DEFINITIONS;
/** Every channel, in the registry's order (the order answers and statuses list them in). */
export const CHANNELS = Object.keys(CHANNEL_DEFINITIONS) as readonly Channel[] as readonly [Channel, ...Channel[]];

/** The contacts document's field of each channel that has one, e.g. "email_address". */
export type ContactField = {
  [Name in Channel]: (typeof CHANNEL_DEFINITIONS)[Name] extends { contact: { field: infer Field } } ? Field : never;
}[Channel];
