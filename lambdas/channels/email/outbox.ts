/**
 * Local only (the outbox page of `npm start`): the emails LocalStack's SES recorded, both their parts and, for a raw
 * message (what the worker sends), its headers too, read with mailparser.
 */
import { simpleParser } from 'mailparser';
import { fetchJson, type ProviderMessageReader } from '../../../local/outbox.js';

export interface SesRecord {
  Id: string;
  Destination?: { ToAddresses?: string[] };
  Subject?: string;
  Body?: { text_part?: string | null; html_part?: string | null };
  /** The whole MIME message, for one sent raw. */
  RawData?: string;
  /** UTC, without a zone designator (LocalStack writes datetime.utcnow()). */
  Timestamp?: string;
}

export const readProviderMessages: ProviderMessageReader = async (sources) => {
  const { messages } = await fetchJson<{ messages: SesRecord[] }>(`${sources.localStackUrl}/_aws/ses`);
  return Promise.all(
    messages.map(async (email) => {
      const { to, subject, text, html } = await partsOf(email);
      return {
        kind: 'email' as const,
        providerMessageId: email.Id,
        to,
        subject,
        text,
        ...(html ? { html } : {}),
        ...(email.Timestamp ? { sentAt: utc(email.Timestamp) } : {}),
      };
    }),
  );
};

/** The parts of an email LocalStack recorded, sent raw or not; `headers` only for a raw one. */
export async function partsOf(
  email: SesRecord,
): Promise<{ to: string; subject: string; text: string; html?: string; headers?: ReadonlyMap<string, string> }> {
  if (email.RawData === undefined) {
    return {
      to: email.Destination?.ToAddresses?.join(', ') ?? '',
      subject: email.Subject ?? '',
      text: email.Body?.text_part ?? '',
      ...(email.Body?.html_part ? { html: email.Body.html_part } : {}),
    };
  }
  const parsed = await simpleParser(email.RawData);
  const to = [parsed.to ?? []].flat().map((address) => address.text);
  return {
    to: to.join(', '),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    ...(typeof parsed.html === 'string' ? { html: parsed.html } : {}),
    // Each header as written (mailparser's own map reads List-* into structures): unfolded, by lower-case name.
    headers: new Map(
      parsed.headerLines.map(({ key, line }) => [
        key,
        line
          .slice(line.indexOf(':') + 1)
          .replace(/\r?\n[ \t]+/g, ' ')
          .trim(),
      ]),
    ),
  };
}

function utc(timestamp: string): string | undefined {
  const at = new Date(/(Z|[+-]\d\d:?\d\d)$/.test(timestamp) ? timestamp : `${timestamp}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}
