/** Local only (the outbox page of `npm start`): the emails LocalStack's SES recorded, both their parts. */
import { fetchJson, type ProviderMessageReader } from '../../../local/outbox.js';

interface SesRecord {
  Id: string;
  Destination?: { ToAddresses?: string[] };
  Subject?: string;
  Body?: { text_part?: string | null; html_part?: string | null };
  /** UTC, without a zone designator (LocalStack writes datetime.utcnow()). */
  Timestamp?: string;
}

export const readProviderMessages: ProviderMessageReader = async (sources) => {
  const { messages } = await fetchJson<{ messages: SesRecord[] }>(`${sources.localStackUrl}/_aws/ses`);
  return messages.map((email) => ({
    kind: 'email',
    providerMessageId: email.Id,
    to: email.Destination?.ToAddresses?.join(', ') ?? '',
    subject: email.Subject ?? '',
    text: email.Body?.text_part ?? '',
    ...(email.Body?.html_part ? { html: email.Body.html_part } : {}),
    ...(email.Timestamp ? { sentAt: utc(email.Timestamp) } : {}),
  }));
};

function utc(timestamp: string): string | undefined {
  const at = new Date(/(Z|[+-]\d\d:?\d\d)$/.test(timestamp) ? timestamp : `${timestamp}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}
