/** Local only (the outbox page of `npm start`): the emails LocalStack's SES recorded. */
import { fetchJson, type ProviderMessageReader } from '../../../local/outbox.js';

interface SesRecord {
  Id: string;
  Destination?: { ToAddresses?: string[] };
  Subject?: string;
  Body?: { text_part?: string | null; html_part?: string | null };
}

export const readProviderMessages: ProviderMessageReader = async (sources) => {
  const { messages } = await fetchJson<{ messages: SesRecord[] }>(`${sources.localStackUrl}/_aws/ses`);
  return messages.map((email) => ({
    providerMessageId: email.Id,
    to: email.Destination?.ToAddresses?.join(', ') ?? '',
    subject: email.Subject,
    body: email.Body?.text_part ?? email.Body?.html_part ?? '',
  }));
};
