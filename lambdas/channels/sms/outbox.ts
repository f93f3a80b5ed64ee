/** Local only (the outbox page of `npm start`): the texts the Twilio-compatible server received. */
import type { ProviderMessageReader } from '../../../local/outbox.js';

export const readProviderMessages: ProviderMessageReader = async (sources) =>
  sources.twilio.messages.map((sms) => ({
    kind: 'text_message',
    providerMessageId: sms.sid,
    to: sms.fields.To ?? '',
    body: sms.fields.Body ?? '',
    sentAt: sms.receivedAt.toISOString(),
  }));
