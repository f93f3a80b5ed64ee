import { type SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
// nodemailer's MIME composer (pinned): headers folded and encoded, parts and charsets right, not written by hand.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { NOTIFICATION_TAG } from './feedback.js';
import type { RenderedEmail } from './render.js';

/**
 * Sends one rendered email through SES, from the configured sender, in the configuration set whose events tell the
 * platform what became of it; answers SES's message id. The notification's id goes with it as a message tag, so that
 * each event names its notification without a lookup. The message is composed as MIME and sent raw: SendEmail
 * cannot set headers, and an email a person may leave carries List-Unsubscribe.
 */
export class EmailSender {
  constructor(
    private readonly client: SESClient,
    private readonly sender: string,
    private readonly configurationSet?: string,
  ) {}

  async send(
    to: string,
    email: RenderedEmail,
    notificationId: string,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<string> {
    const raw = await new MailComposer({
      from: this.sender,
      to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      headers: { ...headers },
    })
      .compile()
      .build();
    const { MessageId } = await this.client.send(
      new SendRawEmailCommand({
        Source: this.sender,
        Destinations: [to],
        RawMessage: { Data: raw },
        ConfigurationSetName: this.configurationSet,
        // A UUID: within what SES allows in a tag's value (letters, digits, _ and -).
        Tags: [{ Name: NOTIFICATION_TAG, Value: notificationId }],
      }),
    );
    if (!MessageId) throw new Error('SES returned no MessageId');
    return MessageId;
  }
}
